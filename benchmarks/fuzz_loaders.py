"""Fuzz every loader with thousands of mutants and print the table of outcomes.

Run by hand from the repository root::

    python benchmarks/fuzz_loaders.py                 # 3,500 mutants, seed 17
    python benchmarks/fuzz_loaders.py --runs 10000 --seed 3

Each mutant is one seed file (see ``tests/fuzzing.py``) changed either blindly (bytes flipped,
lines dropped, repeated, swapped or cut, junk inserted; one to three times) or by one
rule-breaking edit. Every mutant is loaded in this process with a 10 s alarm. Columns: clean error
(one-line :class:`CredkitError`), accepted, traceback (any other exception), over 10 s, and
"silently accepted although invalid" (a rule-breaking edit that loaded). Nothing is written
outside a temporary folder.
"""

from __future__ import annotations

import argparse
import random
import signal
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fuzzing import LOADERS, blind_mutant, invalid_mutant, outcome, write

LIMIT_SECONDS = 10


class _Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise _Timeout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3500)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--invalid-share", type=float, default=0.3)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    signal.signal(signal.SIGALRM, _alarm)
    table = {loader.name: Counter() for loader in LOADERS}
    examples: list[str] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(args.runs):
            loader = LOADERS[run % len(LOADERS)]
            invalid = rng.random() < args.invalid_share
            if invalid:
                what, text = invalid_mutant(loader, rng)
            else:
                text, what = loader.seed, []
                for _ in range(rng.randint(1, 3)):
                    kind, text = blind_mutant(text, rng)
                    what.append(kind)
                what = "+".join(what)
            path = Path(tmp) / loader.file_name
            write(path, text)
            signal.alarm(LIMIT_SECONDS)
            try:
                result = outcome(loader, path)
            except _Timeout:
                result = "over 10 s"
            finally:
                signal.alarm(0)
            row = table[loader.name]
            row["runs"] += 1
            if result.startswith("traceback"):
                row["traceback"] += 1
                examples.append(f"{loader.name}: {what}: {result}")
            elif result == "over 10 s":
                row["over 10 s"] += 1
                examples.append(f"{loader.name}: {what}: over 10 s")
            else:
                row[result] += 1
                if invalid and result == "accepted":
                    row["silently accepted although invalid"] += 1
                    examples.append(f"{loader.name}: {what}: accepted")
    columns = ["runs", "clean error", "accepted", "traceback", "over 10 s",
               "silently accepted although invalid"]  # fmt: skip
    print("| input | " + " | ".join(columns) + " |")
    print("|---|" + "---:|" * len(columns))
    total = Counter()
    for name, row in table.items():
        total.update(row)
        print(f"| {name} | " + " | ".join(str(row[c]) for c in columns) + " |")
    print("| **all** | " + " | ".join(f"**{total[c]}**" for c in columns) + " |")
    print(f"\n{args.runs} mutants, seed {args.seed}, {time.perf_counter() - started:.0f} s")
    for line in examples[:20]:
        print("  ", line)
    bad = total["traceback"] + total["over 10 s"] + total["silently accepted although invalid"]
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
