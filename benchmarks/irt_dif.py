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
Nothing is written unless ``--out`` is given.
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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--n", type=int, default=600, help="persons per group")
    parser.add_argument("--out")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    lines = [
        "| condition | tested item | replications | reject at .05 (SE) | reject at .01 (SE) |",
        "|---|---|---|---|---|",
    ]
    for condition in ("null", "uniform", "non-uniform"):
        p = np.array([replication(r, condition, args.n) for r in range(args.reps)])
        cells = []
        for alpha in (0.05, 0.01):
            rate = float(np.mean(p < alpha))
            cells.append(f"{rate:.3f} ({np.sqrt(rate * (1 - rate) / p.size):.3f})")
        item = "clean (type I error)" if condition == "null" else "DIF (power)"
        lines.append(f"| {condition} | {item} | {p.size} | {cells[0]} | {cells[1]} |")
        print(lines[-1], flush=True)
    load = os.getloadavg()
    text = "\n".join(lines) + (
        f"\n\n2PL, 8 items, {args.n} persons per group, focal N(-0.5, 1.2^2); "
        f"{time.perf_counter() - start:.0f} s; load average {load[0]:.1f}.\n"
    )
    print()
    print(text)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(text)


if __name__ == "__main__":
    main()
