"""Likelihood-ratio IRT DIF: type I error and power over simulated replications.

Run by hand from the repository root::

    python benchmarks/irt_dif.py                 # 200 replications (a few minutes)
    python benchmarks/irt_dif.py --reps 50 --out irt_dif.md

Each replication simulates 2PL responses of a reference group, N(0, 1), and a focal group,
N(-0.5, 1.2^2) (impact, which a DIF method must not mistake for DIF), on 8 items (a ~ lognormal(0,
0.25), b ~ U(-1.8, 1.8); seeds 1000 + replication):

* null condition: no DIF; item 1 is tested (its rejection rate estimates the type I error);
* uniform DIF: item 2's b is 0.5 higher in the focal group; item 2 is tested (power);
* non-uniform DIF: item 2's a is doubled in the focal group; item 2 is tested (power).

The table reports rejection rates at alpha = .05 and .01 with their binomial standard errors.

A second table studies anchors contaminated by DIF (seeds 5000 + replication): 10 items, items
1-3 have uniform DIF (b 0.6 higher in the focal group, all against the focal group, so the
all-other-items anchor is biased), every item is tested once with all other items as anchors
and once with iterative purification (``purify=True``). It reports, at alpha = .05, the type I
error over the 7 clean items (rate per item test, and the share of replications with at least
one clean item flagged) and the power over the 3 DIF items. The binomial SE of the per-test
rates treats the item tests of a replication as independent (they are not quite: it is a rough
guide). Nothing is written unless ``--out`` is given.
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

import numpy as np

from psychometrics.irt.irt_dif import irt_dif
from psychometrics.irt.models import ItemParameters, category_probabilities


def simulate(params, theta, rng):
    probs = category_probabilities(params, theta)
    u = rng.random((theta.size, params.n_items, 1))
    return np.sum(u > np.cumsum(probs, axis=2)[:, :, :-1], axis=2).astype(int)


def replication(rep: int, condition: str, n: int) -> float:
    rng = np.random.default_rng(1000 + rep)
    j = 8
    ids = tuple(f"i{k + 1}" for k in range(j))
    a = rng.lognormal(0.0, 0.25, j)
    b = rng.uniform(-1.8, 1.8, j)[:, None]
    ref = ItemParameters(item_ids=ids, model=("2pl",) * j, a=a, b=b, c=np.zeros(j))
    af, bf = a.copy(), b.copy()
    if condition == "uniform":
        bf[1, 0] += 0.5
    elif condition == "non-uniform":
        af[1] *= 2.0
    foc = ref.with_values(a=af, b=bf)
    x = np.vstack(
        [
            simulate(ref, rng.standard_normal(n), rng),
            simulate(foc, -0.5 + 1.2 * rng.standard_normal(n), rng),
        ]
    )
    groups = ["R"] * n + ["F"] * n
    item = "i1" if condition == "null" else "i2"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = irt_dif(x, groups, item_ids=ids, reference="R", items=[item])
    return res.items[0].p


def contamination(rep: int, n: int) -> dict[str, np.ndarray]:
    """Flags per item (all-other anchors, purified) on one replication with 3 DIF items."""
    rng = np.random.default_rng(5000 + rep)
    j = 10
    ids = tuple(f"i{k + 1}" for k in range(j))
    a = rng.lognormal(0.0, 0.25, j)
    b = rng.uniform(-1.8, 1.8, j)[:, None]
    ref = ItemParameters(item_ids=ids, model=("2pl",) * j, a=a, b=b, c=np.zeros(j))
    bf = b.copy()
    bf[:3, 0] += 0.6
    x = np.vstack(
        [
            simulate(ref, rng.standard_normal(n), rng),
            simulate(ref.with_values(b=bf), -0.5 + 1.2 * rng.standard_normal(n), rng),
        ]
    )
    groups = ["R"] * n + ["F"] * n
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, purify in (("all other items", False), ("purified", True)):
            res = irt_dif(x, groups, item_ids=ids, reference="R", purify=purify, wald=False)
            out[name] = np.array([i.p for i in res.items])
    return out


def contamination_table(reps: int, n: int) -> list[str]:
    runs = [contamination(r, n) for r in range(reps)]
    lines = [
        "| anchors | type I error per clean item test (SE) | any clean item flagged | "
        "power per DIF item test (SE) |",
        "|---|---|---|---|",
    ]
    for name in ("all other items", "purified"):
        flags = np.array([run[name] < 0.05 for run in runs])  # reps x 10
        clean, dif = flags[:, 3:], flags[:, :3]
        t1, pw = float(clean.mean()), float(dif.mean())
        lines.append(
            f"| {name} | {t1:.3f} ({np.sqrt(t1 * (1 - t1) / clean.size):.3f}) | "
            f"{float(clean.any(axis=1).mean()):.3f} | "
            f"{pw:.3f} ({np.sqrt(pw * (1 - pw) / dif.size):.3f}) |"
        )
        print(lines[-1], flush=True)
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--n", type=int, default=600, help="persons per group")
    parser.add_argument("--out")
    parser.add_argument(
        "--only", choices=("power", "contamination"), help="run one of the two tables only"
    )
    args = parser.parse_args(argv)
    start = time.perf_counter()
    conditions = () if args.only == "contamination" else ("null", "uniform", "non-uniform")
    lines = [
        "| condition | tested item | replications | reject at .05 (SE) | reject at .01 (SE) |",
        "|---|---|---|---|---|",
    ]
    lines = lines if conditions else []
    for condition in conditions:
        p = np.array([replication(r, condition, args.n) for r in range(args.reps)])
        cells = []
        for alpha in (0.05, 0.01):
            rate = float(np.mean(p < alpha))
            cells.append(f"{rate:.3f} ({np.sqrt(rate * (1 - rate) / p.size):.3f})")
        item = "clean (type I error)" if condition == "null" else "DIF (power)"
        lines.append(f"| {condition} | {item} | {p.size} | {cells[0]} | {cells[1]} |")
        print(lines[-1], flush=True)
    if args.only != "contamination":
        lines.append("")
        lines.append(f"2PL, 8 items, {args.n} persons per group, focal N(-0.5, 1.2^2).")
        lines.append("")
    if args.only != "power":
        lines += contamination_table(args.reps, args.n)
        lines.append("")
        lines.append(
            f"2PL, 10 items (1-3 with uniform DIF, b + 0.6), {args.n} persons per group, "
            f"focal N(-0.5, 1.2^2), {args.reps} replications, alpha = .05."
        )
    load = os.getloadavg()
    text = "\n".join(lines) + (
        f"\n\n{time.perf_counter() - start:.0f} s; load average {load[0]:.1f}.\n"
    )
    print()
    print(text)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(text)


if __name__ == "__main__":
    main()
