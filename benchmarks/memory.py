"""Peak memory of ``credkit analyze`` (and ``credkit calibrate``) on a large response file.

Run by hand::

    python benchmarks/memory.py                       # 2,000,000 persons x 70 items
    python benchmarks/memory.py --persons 200000      # a quicker look
    python benchmarks/memory.py --dif                 # also analyze --group (a group column)

A seeded 2PL response file (0/1 scores, ids ``P0000001``..., 149 bytes a row at 70 items) is
written to a temporary folder, then each command runs as a fresh child process under GNU
``/usr/bin/time -f %M``, which reports the kernel's peak resident set size of that command alone.
Without GNU time the peak comes from ``os.wait4`` on the child; Linux then counts the memory of
this (forking) process as a floor, which only matters for the small baseline row. The table
gives the peak in MB and as a multiple of the file size, which is what to compare between
machines (issue 17 asks for at most 4x). Wall-clock seconds are shown for orientation only: the
machine is shared, so they are not a measurement. The temporary folder is removed at the end.

Rows:

* ``python + numpy/scipy``: the interpreter and the numeric libraries, nothing read;
* ``read_responses``: the reader alone (the response matrix and what it takes to build it);
* ``credkit analyze``: classical item analysis (``--json`` to /dev/null);
* ``credkit calibrate``: 2PL by MML-EM without standard errors, for reference, stopped after
  ``--calibrate-iter`` EM steps (every step allocates the same arrays, so the peak is reached
  in the first steps; the full run only takes longer);
* with ``--dif``: ``credkit analyze --group`` (Mantel-Haenszel and logistic-regression DIF) on
  the same data with a group column added (its own file size is the denominator);
* with ``--keyed``: ``credkit analyze --key`` on the same responses written as option letters
  (key B for every item), which adds the raw letters kept for the distractor analysis.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

CREDKIT = [sys.executable, "-m", "psychometrics"]
ROWS_PER_WRITE = 100_000


def write_responses(
    path: Path,
    *,
    n_persons: int,
    n_items: int,
    seed: int,
    group: bool = False,
    letters: bool = False,
) -> int:
    """Write a wide 0/1 response CSV simulated from a 2PL model; return its size in bytes.

    With ``letters`` the cells are option letters instead: B when correct, else A, C or D.

    Rows are assembled as bytes with numpy, ``ROWS_PER_WRITE`` at a time, so writing the file
    needs little memory of its own.
    """
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.6, 2.0, n_items)
    b = np.linspace(-2.0, 2.0, n_items)
    width = len(str(n_persons))
    header = [
        "person_id",
        *(["group"] if group else []),
        *(f"I{j + 1:03d}" for j in range(n_items)),
    ]
    with path.open("wb") as handle:
        handle.write((",".join(header) + "\n").encode())
        for start in range(0, n_persons, ROWS_PER_WRITE):
            m = min(ROWS_PER_WRITE, n_persons - start)
            theta = rng.normal(size=m)
            correct = rng.random((m, n_items)) < 1.0 / (1.0 + np.exp(-a * (theta[:, None] - b)))
            row = np.empty((m, 2 + width + (2 if group else 0) + 2 * n_items), dtype=np.uint8)
            ids = np.arange(start + 1, start + m + 1)
            row[:, 0] = ord("P")
            for pos in range(width):
                row[:, 1 + pos] = ids // 10 ** (width - 1 - pos) % 10 + ord("0")
            row[:, 1 + width] = ord(",")
            offset = 2 + width
            if group:
                row[:, offset] = np.where(rng.random(m) < 0.3, ord("F"), ord("R"))
                row[:, offset + 1] = ord(",")
                offset += 2
            if letters:
                wrong = np.array([ord("A"), ord("C"), ord("D")])[rng.integers(0, 3, correct.shape)]
                row[:, offset::2] = np.where(correct, ord("B"), wrong)
            else:
                row[:, offset::2] = correct + ord("0")
            row[:, offset + 1 :: 2] = ord(",")
            row[:, -1] = ord("\n")
            handle.write(row.tobytes())
    return path.stat().st_size


GNU_TIME = Path("/usr/bin/time")


def peak_rss(argv: list[str], log: Path) -> tuple[int, float]:
    """Run ``argv``; return its peak resident set size in bytes and its wall-clock seconds.

    Exits with the child's error output when the command fails.
    """
    use_time = GNU_TIME.exists() and sys.platform.startswith("linux")
    start = time.perf_counter()
    with log.open("wb") as err:
        proc = subprocess.Popen(
            [str(GNU_TIME), "-f", "%M", *argv] if use_time else argv,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
        _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - start
    text = log.read_text(errors="replace")
    if proc.returncode != 0:
        sys.exit(f"failed ({proc.returncode}): {' '.join(argv)}\n{text[-2000:]}")
    if use_time:
        return int(text.strip().splitlines()[-1]) * 1024, seconds  # GNU time: KiB
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    return usage.ru_maxrss * scale, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=2_000_000)
    parser.add_argument("--items", type=int, default=70)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--calibrate-iter", type=int, default=10, help="EM steps of calibrate")
    parser.add_argument("--no-calibrate", action="store_true", help="skip calibrate")
    parser.add_argument("--dif", action="store_true", help="also run analyze --group")
    parser.add_argument("--keyed", action="store_true", help="also run analyze --key (letters)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="credkit-memory-") as tmp:
        folder = Path(tmp)
        data = folder / "responses.csv"
        size = write_responses(data, n_persons=args.persons, n_items=args.items, seed=args.seed)
        read = f"from psychometrics.responses import read_responses; read_responses({str(data)!r})"
        cases: list[tuple[str, list[str], int]] = [
            ("python + numpy/scipy", [sys.executable, "-c", "import numpy, scipy.stats"], size),
            ("read_responses", [sys.executable, "-c", read], size),
            ("credkit analyze", [*CREDKIT, "analyze", str(data), "--json"], size),
        ]
        if not args.no_calibrate:
            argv = [*CREDKIT, "calibrate", str(data), "--model", "2pl", "--se", "none"]
            argv += ["--max-iter", str(args.calibrate_iter), "--out", str(folder / "p.csv")]
            cases.append((f"credkit calibrate 2pl (--max-iter {args.calibrate_iter})", argv, size))
        if args.dif:
            grouped = folder / "grouped.csv"
            gsize = write_responses(
                grouped, n_persons=args.persons, n_items=args.items, seed=args.seed, group=True
            )
            argv = [*CREDKIT, "analyze", str(grouped), "--json", "--group", "group"]
            cases.append(
                ("credkit analyze --group", [*argv, "--focal", "F", "--reference", "R"], gsize)
            )

        if args.keyed:
            keyed = folder / "letters.csv"
            ksize = write_responses(
                keyed, n_persons=args.persons, n_items=args.items, seed=args.seed, letters=True
            )
            key = folder / "key.csv"
            key.write_text(
                "item_id,key\n" + "".join(f"I{j + 1:03d},B\n" for j in range(args.items))
            )
            argv = [*CREDKIT, "analyze", str(keyed), "--json", "--key", str(key)]
            cases.append(("credkit analyze --key (letters)", argv, ksize))

        print(
            f"{args.persons} persons x {args.items} items, {size / 1e6:.0f} MB "
            f"(load average {os.getloadavg()[0]:.2f})"
        )
        print("| command | peak RSS MB | file MB | x file size | seconds | load after |")
        print("|---|---|---|---|---|---|")
        for name, argv, nbytes in cases:
            peak, seconds = peak_rss(argv, folder / "stderr.txt")
            print(
                f"| {name} | {peak / 1e6:.0f} | {nbytes / 1e6:.0f} | {peak / nbytes:.2f} "
                f"| {seconds:.0f} | {os.getloadavg()[0]:.2f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
