"""Benchmark: parallel-form assembly on seeded synthetic banks, against a plain MILP formulation.

Scenarios (the speed targets of the assembly issue):

- ``small``: 1,000-item bank, 4 forms x 60 items, 20 count constraints (12 outcomes with a range
  each, 4 cognitive levels with minimums, 4 item-type caps), 50 enemy pairs, 5 item sets, max
  overlap 10 % (6 items), two targets. Target: within 1 % of the optimum in <= 5 s.
- ``large``: 2,000 items, 8 forms x 60, the same kinds of constraints. Target: within 1 % in
  <= 30 s.

For each scenario credkit's default method (usage/split decomposition, swap polish, and the full
model with a lower-bound cut when needed) runs first, then the plain full formulation
(``method="plain"``: x, z, maximin, no symmetry breaking, no aggregated cuts) in the same process
with the same time limit. Gaps are relative to the best proven upper bound either run found
(credkit's usage relaxation), so the two are comparable. Timings are wall-clock on a shared
machine: compare the ratios, not the absolute seconds.

Usage: ``python benchmarks/assembly.py [--scenario small|large|all] [--seed N] [--json]``
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time

import numpy as np
import scipy

from psychometrics.assembly import CountConstraint, assemble_forms
from psychometrics.irt.models import ItemParameters, item_information

SCENARIOS = {
    "small": {"n_items": 1000, "n_forms": 4, "length": 60, "time_limit": 5.0},
    "large": {"n_items": 2000, "n_forms": 8, "length": 60, "time_limit": 30.0},
}


def synthetic_bank(n_items: int, *, seed: int):
    """Seeded 3PL bank with outcomes, levels, types, enemies and sets."""
    rng = np.random.default_rng(seed)
    params = ItemParameters(
        item_ids=tuple(f"I{i:05d}" for i in range(n_items)),
        model=("3pl",) * n_items,
        a=rng.lognormal(0.0, 0.3, n_items),
        b=rng.normal(0.0, 1.0, n_items),
        c=rng.uniform(0.1, 0.25, n_items),
    )
    info = item_information(params, [-0.5, 0.5]).T  # targets around a cut near -0.5..0.5
    outcome = rng.integers(0, 12, n_items)
    level = rng.integers(0, 4, n_items)
    itype = rng.integers(0, 4, n_items)
    perm = rng.permutation(n_items)
    enemies = perm[:100].reshape(50, 2)
    sets = [perm[100 + 3 * k : 103 + 3 * k].tolist() for k in range(5)]
    return info, outcome, level, itype, enemies, sets


def constraints_for(outcome, level, itype) -> list[CountConstraint]:
    out = [CountConstraint(f"outcome O{k:02d}", outcome == k, 4, 6) for k in range(12)]
    out += [CountConstraint(f"level L{k}", level == k, 12, None) for k in range(4)]
    out += [CountConstraint(f"type T{k}", itype == k, 0, 20) for k in range(4)]
    return out


def run(name: str, *, seed: int) -> dict:
    cfg = SCENARIOS[name]
    info, outcome, level, itype, enemies, sets = synthetic_bank(cfg["n_items"], seed=seed)
    common = dict(
        length=cfg["length"],
        n_forms=cfg["n_forms"],
        constraints=constraints_for(outcome, level, itype),
        enemies=enemies,
        sets=sets,
        max_overlap=int(0.10 * cfg["length"]),
        parallel_tolerance=0.05,
        time_limit=cfg["time_limit"],
        gap=0.01,
    )
    started = time.perf_counter()
    ours = assemble_forms(info, method="auto", **common)
    ours_wall = time.perf_counter() - started
    started = time.perf_counter()
    plain = assemble_forms(info, method="plain", **common)
    plain_wall = time.perf_counter() - started
    bound = min(b for b in (ours.bound, plain.bound) if np.isfinite(b))

    def gap(r) -> float:
        return float("nan") if not np.isfinite(r.objective) else (bound - r.objective) / bound

    return {
        "scenario": name,
        **cfg,
        "constraints": len(common["constraints"]),
        "enemy_pairs": len(enemies),
        "max_overlap": common["max_overlap"],
        "credkit": {
            "status": ours.status,
            "seconds": round(ours_wall, 2),
            "objective": round(ours.objective, 4),
            "gap": gap(ours),
            "stages": [
                {k: s[k] for k in ("stage", "seconds", "value") if k in s} for s in ours.stages
            ],
        },
        "plain": {
            "status": plain.status,
            "seconds": round(plain_wall, 2),
            "objective": None if not np.isfinite(plain.objective) else round(plain.objective, 4),
            "gap": gap(plain),
        },
        "bound": round(bound, 4),
        "time_ratio_plain_over_credkit": round(plain_wall / ours_wall, 1),
        "target_met": bool(gap(ours) <= 0.01 and ours_wall <= cfg["time_limit"] * 1.05),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=[*SCENARIOS, "all"], default="all")
    parser.add_argument("--seed", type=int, default=20241125)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    names = list(SCENARIOS) if args.scenario == "all" else [args.scenario]
    rows = [run(name, seed=args.seed) for name in names]
    if args.json:
        print(json.dumps({"python": platform.python_version(), "scipy": scipy.__version__,
                          "seed": args.seed, "results": rows}, indent=2))  # fmt: skip
        return 0
    print(f"assembly benchmark (seed {args.seed}; scipy {scipy.__version__} / HiGHS; wall clock)")
    header = (
        f"{'scenario':9} {'bank':>5} {'forms':>7} {'limit':>6} | {'credkit':>8} {'gap':>7} "
        f"{'status':>9} | {'plain':>7} {'gap':>7} {'status':>10} | {'plain/credkit time':>18}"
    )
    print(header)
    print("-" * len(header))

    def pct(x: float) -> str:
        return "   none" if not np.isfinite(x) else f"{100 * x:>6.2f}%"

    for r in rows:
        c, p = r["credkit"], r["plain"]
        print(
            f"{r['scenario']:9} {r['n_items']:>5} {r['n_forms']:>3}x{r['length']:<3} "
            f"{r['time_limit']:>5.0f}s | {c['seconds']:>7.2f}s {pct(c['gap'])} "
            f"{c['status']:>9} | {p['seconds']:>6.2f}s {pct(p['gap'])} "
            f"{p['status']:>10} | {r['time_ratio_plain_over_credkit']:>17.1f}x"
        )
    for r in rows:
        stages = ", ".join(f"{s['stage']} {s['seconds']:.2f}s" for s in r["credkit"]["stages"])
        met = "met" if r["target_met"] else "NOT met"
        print(f"{r['scenario']}: target (<= 1% in <= {r['time_limit']:.0f}s) {met}; {stages}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
