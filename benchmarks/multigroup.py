"""Multiple-group calibration speed against a single-group run of the same size.

Run by hand from the repository root::

    python benchmarks/multigroup.py            # 2 groups x 10,000 persons x 50 items, best of 3

Times (CPU seconds, best of ``--repeat``) ``calibrate(x, model='2pl', se='none')`` on all 20,000
persons and ``calibrate_groups(..., se=False)`` on the same responses split into two groups of
10,000 (the second group N(0.3, 1.1^2)), in the same process, and reports the ratio (issue 14's
target: at most 2); then one run of each with standard errors. Nothing is written.
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

import numpy as np

from psychometrics.irt import calibrate
from psychometrics.irt.models import ItemParameters, category_probabilities
from psychometrics.irt.multigroup import calibrate_groups


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(7)
    j, n = 50, 10_000
    params = ItemParameters(
        item_ids=tuple(f"i{k}" for k in range(j)),
        model=("2pl",) * j,
        a=rng.lognormal(0, 0.3, j),
        b=rng.normal(0, 1, (j, 1)),
        c=np.zeros(j),
    )
    theta = np.concatenate([rng.standard_normal(n), 0.3 + 1.1 * rng.standard_normal(n)])
    probs = category_probabilities(params, theta)
    x = (rng.random((2 * n, j)) < probs[:, :, 1]).astype(int)
    groups = ["A"] * n + ["B"] * n
    single = multi = float("inf")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(args.repeat):
            t = time.process_time()
            one = calibrate(x, model="2pl", se="none")
            single = min(single, time.process_time() - t)
            t = time.process_time()
            two = calibrate_groups(x, groups, se=False)
            multi = min(multi, time.process_time() - t)
        t = time.process_time()
        calibrate(x, model="2pl")
        single_se = time.process_time() - t
        t = time.process_time()
        calibrate_groups(x, groups)
        multi_se = time.process_time() - t
    print(
        f"single group: {single:.2f} s CPU ({one.iterations} EM steps); two groups: "
        f"{multi:.2f} s CPU ({two.iterations} EM steps); ratio {multi / single:.2f}; "
        f"focal mean {two.latent_means[1]:.3f} (true 0.3), sd {two.latent_sds[1]:.3f} (true 1.1); "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"with standard errors (one run): single group (Louis) {single_se:.2f} s CPU; two groups "
        f"(observed information by differences of the score) {multi_se:.2f} s CPU; "
        f"ratio {multi_se / single_se:.2f}"
    )


if __name__ == "__main__":
    main()
