"""Calibration on a busy machine: whole-process ``credkit calibrate`` quiet and under contention.

Run by hand from the repository root::

    python benchmarks/contention.py              # 2PL, 3PL and GRM cases, 3 repetitions
    python benchmarks/contention.py --quick      # the 2PL case only, 2 repetitions
    python benchmarks/contention.py --out contention.md

For each case the benchmark writes simulated responses (fixed seeds) to a temporary folder and
times the whole ``credkit calibrate`` process (start-up, reading, EM, Louis standard errors,
writing) with two BLAS thread settings:

* ``BLAS default``: ``--threads`` set to the number of cores, which is what OpenBLAS uses when
  nobody limits it (the behaviour before issue 20);
* ``credkit default``: no ``--threads`` (credkit's own setting, :data:`DEFAULT_THREADS`).

Each setting runs on the machine as it is ("quiet") and while the benchmark keeps ``--busy``
(default 2) busy-loop processes of its own running ("busy"); the runs of one repetition are
interleaved so that a change of the background load hits every setting alike. The table reports
median wall-clock seconds and two ratios measured in the same run: busy / quiet for the same
setting (the slowdown under contention; issue 20's target for credkit's setting is at most 1.5)
and each time against credkit's quiet time, and the median CPU seconds of the process (threads
that spin-wait for a descheduled partner burn CPU without progress). A fixed pure-Python loop is
timed the same way first: its busy / quiet ratio is what the scheduler does to any
single-threaded program (1.5 on two idle cores; more when other work already uses them). The
machine may be shared with other work: its load average is printed with the table, and only the
ratios should be compared across runs.
Nothing is written unless ``--out`` is given.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from calibration import simulate_dichotomous, simulate_grm

from psychometrics.irt.threads import DEFAULT_THREADS

BUSY_LOOP = "while True:\n    pass\n"
REFERENCE_LOOP = "x = 0\nfor i in range(30_000_000):\n    x += i\n"
"""A fixed single-threaded CPU-bound job: its busy / quiet ratio is the machine's floor for any
single-threaded program under the same contention (what the scheduler gives, not credkit)."""


def write_csv(path: Path, x: np.ndarray) -> None:
    header = "person_id," + ",".join(f"i{j + 1}" for j in range(x.shape[1]))
    ids = np.arange(1, x.shape[0] + 1)[:, None]
    np.savetxt(path, np.hstack([ids, x]), fmt="%d", delimiter=",", header=header, comments="")


def cases(folder: Path, quick: bool) -> list[tuple[str, Path, list[str]]]:
    out = []
    x, *_ = simulate_dichotomous(100, 20_000, seed=1)
    write_csv(folder / "2pl.csv", x)
    out.append(("2PL 100 x 20,000", folder / "2pl.csv", ["--model", "2pl"]))
    if quick:
        return out
    x, *_ = simulate_dichotomous(100, 20_000, three_pl=True, seed=2)
    write_csv(folder / "3pl.csv", x)
    out.append(("3PL 100 x 20,000", folder / "3pl.csv", ["--model", "3pl"]))
    x, *_ = simulate_grm(20, 10_000, 5, seed=4)
    write_csv(folder / "grm.csv", x)
    out.append(("GRM 20 x 10,000, 5 categories", folder / "grm.csv", ["--model", "grm"]))
    return out


def run_once(csv: Path, args: list[str], threads: int | None, out: Path) -> tuple[float, float]:
    """Wall-clock and CPU (user + system) seconds of one whole ``credkit calibrate`` process."""
    cmd = [sys.executable, "-m", "psychometrics", "calibrate", str(csv), "--out", str(out)]
    cmd += args + ["--progress-interval", "0"]
    if threads is not None:
        cmd += ["--threads", str(threads)]
    env = {k: v for k, v in os.environ.items() if k != "CREDKIT_THREADS"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    secs = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"credkit calibrate failed: {proc.stderr.strip()[-300:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return secs, cpu


def reference_once() -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", REFERENCE_LOOP], check=True)
    return time.perf_counter() - start


class BusyLoops:
    """``n`` busy-loop Python processes, stopped (by their own handles) on exit."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.procs: list[subprocess.Popen] = []

    def __enter__(self) -> BusyLoops:
        self.procs = [subprocess.Popen([sys.executable, "-c", BUSY_LOOP]) for _ in range(self.n)]
        time.sleep(0.5)  # let the scheduler see them
        return self

    def __exit__(self, *exc) -> None:
        for p in self.procs:
            p.kill()
        for p in self.procs:
            p.wait()


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the 2PL case only")
    parser.add_argument("--repeat", type=int, default=None, help="repetitions (default 3, quick 2)")
    parser.add_argument("--busy", type=int, default=2, help="busy-loop processes (default 2)")
    parser.add_argument("--out", help="also write the table (markdown) to this file")
    args = parser.parse_args(argv)
    repeat = args.repeat or (2 if args.quick else 3)
    cores = os.cpu_count() or 1
    settings = {
        f"BLAS default ({cores} threads)": cores,
        f"credkit default ({DEFAULT_THREADS} thread{'s' if DEFAULT_THREADS > 1 else ''})": None,
    }
    load_before = os.getloadavg()
    rows = []
    ref_quiet, ref_busy = [], []
    for _ in range(repeat):
        ref_quiet.append(reference_once())
        with BusyLoops(args.busy):
            ref_busy.append(reference_once())
    floor = statistics.median(ref_busy) / statistics.median(ref_quiet)
    print(f"reference single-threaded loop: busy / quiet {floor:.2f}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        out = folder / "params.csv"
        for name, csv, extra in cases(folder, args.quick):
            times = {(s, m): [] for s in settings for m in ("quiet", "busy")}
            cpus = {key: [] for key in times}
            run_once(csv, extra, None, out)  # warm the file cache and the imports
            for _ in range(repeat):
                for label, threads in settings.items():
                    wall, cpu = run_once(csv, extra, threads, out)
                    times[(label, "quiet")].append(wall)
                    cpus[(label, "quiet")].append(cpu)
                with BusyLoops(args.busy):
                    for label, threads in settings.items():
                        wall, cpu = run_once(csv, extra, threads, out)
                        times[(label, "busy")].append(wall)
                        cpus[(label, "busy")].append(cpu)
            med = {k: statistics.median(v) for k, v in times.items()}
            med_cpu = {k: statistics.median(v) for k, v in cpus.items()}
            base = med[(list(settings)[1], "quiet")]
            for label in settings:
                q, b = med[(label, "quiet")], med[(label, "busy")]
                rows.append(
                    {
                        "case": name,
                        "setting": label,
                        "quiet_s": q,
                        "busy_s": b,
                        "busy_over_quiet": b / q,
                        "quiet_vs_credkit_quiet": q / base,
                        "busy_vs_credkit_quiet": b / base,
                        "quiet_cpu_s": med_cpu[(label, "quiet")],
                        "busy_cpu_s": med_cpu[(label, "busy")],
                        "runs": times[(label, "busy")],
                    }
                )
                print(_line(rows[-1]), flush=True)
    load_after = os.getloadavg()
    text = (
        _table(rows)
        + f"\n\n{cores} cores; {args.busy} busy-loop processes in the busy runs; median of "
        f"{repeat} runs; a single-threaded pure-Python loop slows by {floor:.2f}x under the same "
        "contention (the floor for any single-threaded program on this machine now); "
        f"load average (1, 5, 15 min) {_load(load_before)} before, "
        f"{_load(load_after)} after (the machine may be shared with other work: compare ratios). "
        "Whole-process wall-clock time of `credkit calibrate` with Louis standard errors; "
        "CPU = user + system seconds of the process (all its threads): CPU time that grows "
        "under contention is spent spinning, not computing.\n"
    )
    print()
    print(text)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    return rows


def _load(load) -> str:
    return ", ".join(f"{v:.1f}" for v in load)


def _line(r: dict) -> str:
    return (
        f"| {r['case']} | {r['setting']} | {r['quiet_s']:.2f} | {r['busy_s']:.2f} "
        f"| {r['busy_over_quiet']:.2f} | {r['quiet_vs_credkit_quiet']:.2f} "
        f"| {r['busy_vs_credkit_quiet']:.2f} | {r['quiet_cpu_s']:.2f} | {r['busy_cpu_s']:.2f} |"
    )


def _table(rows: list[dict]) -> str:
    head = (
        "| case | BLAS threads | quiet (s) | busy (s) | busy / quiet "
        "| quiet / credkit quiet | busy / credkit quiet | CPU quiet (s) | CPU busy (s) |"
    )
    return "\n".join([head, "|" + "---|" * 9] + [_line(r) for r in rows])


if __name__ == "__main__":
    main()
