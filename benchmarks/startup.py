"""Start-up time of the ``credkit`` command against a bare ``python -c pass``, same run.

Run by hand::

    python benchmarks/startup.py            # 15 rounds
    python benchmarks/startup.py --rounds 30

Each round starts a fresh process for ``python -c pass``, ``credkit --version`` and
``credkit --help`` in turn (interleaved, so that load changes hit all three alike) and times its
whole life. The medians and their ratios to the bare interpreter are printed; the ratios are
what to compare between machines. Nothing is written.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

CASES = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "credkit --version": [sys.executable, "-m", "psychometrics", "--version"],
    "credkit --help": [sys.executable, "-m", "psychometrics", "--help"],
}


def _seconds(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    times: dict[str, list[float]] = {name: [] for name in CASES}
    for _ in range(args.rounds):
        for name, argv in CASES.items():
            times[name].append(_seconds(argv))
    base = statistics.median(times["python -c pass"])
    print(f"load average {os.getloadavg()[0]:.2f}, {args.rounds} rounds, medians:")
    print("| command | median s | ratio to python -c pass |")
    print("|---|---|---|")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"| {name} | {median:.3f} | {median / base:.2f} |")


if __name__ == "__main__":
    main()
