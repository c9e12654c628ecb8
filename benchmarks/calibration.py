"""Calibration speed: credkit's engine side by side with R mirt and girth, same data, same run.

Run by hand from the repository root::

    python benchmarks/calibration.py                  # every case (about 15-20 min with mirt)
    python benchmarks/calibration.py --quick          # no 200k case; growth to 200,000 only
    python benchmarks/calibration.py --cases 2pl grm  # some cases only
    python benchmarks/calibration.py --no-mirt --out results.md

Data are simulated from fixed seeds and written once to a temporary CSV (person id + one column
per item), which every program reads. For each case the benchmark reports

* **estimation** (EM only, no standard errors): credkit's ``calibrate(se="none")`` in this
  process (best of 3, CPU seconds and CPU milliseconds per EM step) against ``mirt(...,
  SE=FALSE)`` timed inside R (``proc.time``; mirt's own EM cycles) and girth's MML estimator on
  the same array;
* **whole process**: ``credkit calibrate CSV --out ...`` (start-up, reading, EM, Louis standard
  errors, writing) against ``Rscript`` running ``library(mirt); read.csv; mirt(...)`` without
  standard errors and with ``SE=TRUE, SE.type="Oakes"``;
* **agreement**: the largest absolute difference of the estimates (a, b in the IRT metric; c for
  the 3PL), of the log-likelihoods, and the largest relative difference of the standard errors of
  ``a`` (credkit Louis against mirt Oakes: both are the observed information).

Both programs use 61 quadrature points on [-6, 6] and one thread (credkit's default BLAS setting;
mirt without ``mirtCluster``). mirt keeps its defaults (TOL = 1e-4, at most 500 EM cycles);
credkit its own (tolerance 1e-5). The 3PL case is fitted without a prior on c by both (the same
model: maximum likelihood). The growth cases (2PL 100 items, 20,000 / 200,000 / 1,000,000
persons, Louis standard errors) run ``calibrate`` in a subprocess of their own so that its peak
resident memory (GNU ``time -f %M`` when present) is measured alone; the subprocess loads the
responses from a ``.npy`` file (100 MB for a million persons), so the peak includes them.

The machine may be shared: its load average (``uptime``) is printed at the start and the end,
and only ratios measured in the same run should be compared. mirt is used when ``Rscript`` is on
the path and ``library(mirt)`` loads (``R_LIBS`` may point at a private library); girth when it
is importable. Nothing is written unless ``--out`` is given.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from psychometrics.irt import ItemParameters, calibrate, category_probabilities

CASES = ("2pl", "3pl", "grm", "200k", "growth")

R_SCRIPT = r"""
args <- commandArgs(trailingOnly = TRUE)
file <- args[1]; itemtype <- args[2]; se <- args[3] == "se"
suppressPackageStartupMessages(library(mirt))
d <- read.csv(file)[, -1]
t0 <- proc.time()
if (se) {
  m <- mirt(d, 1, itemtype = itemtype, SE = TRUE, SE.type = "Oakes", verbose = FALSE)
} else {
  m <- mirt(d, 1, itemtype = itemtype, SE = FALSE, verbose = FALSE)
}
t1 <- proc.time() - t0
tm <- extract.mirt(m, "time")
co <- coef(m, IRTpars = TRUE, printSE = se, simplify = FALSE)
items <- co[names(co) != "GroupPars"]
par <- lapply(items, function(x) as.list(x[1, ]))
ses <- if (se) lapply(items, function(x) as.list(x[2, ])) else NULL
out <- list(
  elapsed = unname(t1[["elapsed"]]), cpu = unname(t1[["user.self"]] + t1[["sys.self"]]),
  time = as.list(tm), cycles = extract.mirt(m, "iterations"),
  converged = extract.mirt(m, "converged"), loglik = extract.mirt(m, "logLik"),
  par = par, se = ses, version = as.character(packageVersion("mirt"))
)
cat("RESULT", jsonlite::toJSON(out, auto_unbox = TRUE, digits = NA, null = "null"), "\n")
"""

GROWTH_CODE = r"""
import json, sys, time, warnings
import numpy as np
from psychometrics.irt import calibrate, calibration
if len(sys.argv) > 2:  # --louis-budget: where calibrate falls back to the cross-product
    calibration.LOUIS_BUDGET = float(sys.argv[2])
x = np.load(sys.argv[1])
warnings.simplefilter("ignore")
t0, c0 = time.perf_counter(), time.process_time()
r0 = calibrate(x, model="2pl", se="none")
t1, c1 = time.perf_counter(), time.process_time()
r = calibrate(x, model="2pl", se="louis")
t2, c2 = time.perf_counter(), time.process_time()
print("RESULT", json.dumps({
    "em_s": t1 - t0, "em_cpu": c1 - c0, "with_se_s": t2 - t1, "with_se_cpu": c2 - c1,
    "steps": r.iterations, "converged": bool(r.converged), "loglik": r.loglik,
    "se_method": r.se_method, "finite_se": bool(np.all(np.isfinite(r.params.se_a))),
    "same_ll": abs(r.loglik - r0.loglik)}))
"""


# ----------------------------------------------------------------------------- data


def simulate_dichotomous(n_items, n_persons, *, three_pl=False, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.lognormal(0.0, 0.3, n_items)
    b = rng.normal(0.0, 1.0, n_items)
    c = rng.uniform(0.10, 0.25, n_items) if three_pl else np.zeros(n_items)
    x = np.empty((n_persons, n_items), dtype=np.int8)
    step = 100_000
    for s in range(0, n_persons, step):
        theta = rng.standard_normal(min(step, n_persons - s))
        p = c + (1 - c) / (1 + np.exp(-a * (theta[:, None] - b)))
        x[s : s + theta.size] = rng.random(p.shape) < p
    return x, a, b, c


def simulate_grm(n_items, n_persons, n_cat, *, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.lognormal(0.0, 0.3, n_items)
    b = np.sort(rng.normal(0.0, 1.0, (n_items, n_cat - 1)), axis=1)
    params = ItemParameters(
        item_ids=tuple(f"g{j}" for j in range(n_items)),
        model=("grm",) * n_items,
        a=a,
        b=b,
        c=np.zeros(n_items),
    )
    probs = category_probabilities(params, rng.standard_normal(n_persons))
    u = rng.random((n_persons, n_items, 1))
    x = np.sum(u > np.cumsum(probs, axis=2)[:, :, :-1], axis=2).astype(np.int8)
    return x, a, b


def write_csv(path: Path, x: np.ndarray) -> None:
    """``person_id,i1..iJ`` with one-digit scores, built as bytes (fast for millions of rows)."""
    n, m = x.shape
    width = len(str(n))
    ids = np.arange(1, n + 1)
    line = width + 2 * m + 1
    buf = np.empty((n, line), dtype=np.uint8)
    for k in range(width):  # zero-padded decimal ids
        buf[:, k] = ord("0") + (ids // 10 ** (width - 1 - k)) % 10
    buf[:, width::2] = ord(",")
    buf[:, width + 1 : line - 1 : 2] = ord("0") + x.astype(np.uint8)
    buf[:, -1] = ord("\n")
    header = "person_id," + ",".join(f"i{j + 1}" for j in range(m)) + "\n"
    with open(path, "wb") as handle:
        handle.write(header.encode())
        handle.write(buf.tobytes())


# ----------------------------------------------------------------------------- runners


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    except OSError:
        load = os.getloadavg()
        return f"load average: {load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f}"


def mirt_available() -> str:
    """Empty when R mirt can be used, else why not."""
    if shutil.which("Rscript") is None:
        return "Rscript not found"
    proc = subprocess.run(
        ["Rscript", "-e", "suppressPackageStartupMessages(library(mirt)); cat(1)"],
        capture_output=True,
        text=True,
    )
    return "" if proc.returncode == 0 else "R package mirt not installed"


def run_mirt(csv: Path, itemtype: str, se: bool, folder: Path) -> dict:
    """One whole Rscript process; its wall-clock seconds and mirt's own timings and estimates."""
    script = folder / "mirt_bench.R"
    script.write_text(R_SCRIPT, encoding="utf-8")
    cmd = ["Rscript", str(script), str(csv), itemtype, "se" if se else "none"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc, secs = timed(lambda: subprocess.run(cmd, capture_output=True, text=True))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = [s for s in proc.stdout.splitlines() if s.startswith("RESULT ")]
    if proc.returncode != 0 or not line:
        return {"error": (proc.stderr.strip() or proc.stdout.strip())[-300:]}
    out = json.loads(line[-1][len("RESULT ") :])
    out["process_s"] = secs
    out["process_cpu"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return out


def run_cli(csv: Path, args: list[str], folder: Path) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one whole ``credkit calibrate`` process (Louis SEs)."""
    cmd = [sys.executable, "-m", "psychometrics", "calibrate", str(csv)]
    cmd += ["--out", str(folder / "params.csv"), *args]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc, secs = timed(lambda: subprocess.run(cmd, capture_output=True, text=True))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"credkit calibrate failed: {proc.stderr.strip()[-300:]}")
    return secs, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def run_girth(kind, x):
    try:
        import girth
    except ImportError:
        return None, float("nan"), "girth not installed"
    data = x.T.astype(int)
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            if kind == "2pl":
                out, secs = timed(lambda: girth.twopl_mml(data))
            elif kind == "3pl":
                out, secs = timed(lambda: girth.threepl_mml(data))
            else:
                out, secs = timed(lambda: girth.grm_mml(data))
    except Exception as exc:  # girth's 3PL fails under numpy >= 2.4; report, do not crash
        return None, float("nan"), f"girth failed: {type(exc).__name__}: {str(exc)[:60]}"
    return out, secs, ""


def mirt_matrix(par: dict, names: list[str]) -> np.ndarray:
    """mirt's per-item values of ``names`` (``b`` or ``b1..``), items in file order."""
    rows = []
    for j in range(len(par)):
        item = par[f"i{j + 1}"]
        rows.append([float(item.get(k, np.nan)) for k in names])
    return np.array(rows)


# ----------------------------------------------------------------------------- cases


def credkit_case(name, kind, x, folder, *, mirt, girth, mirt_se, c_prior="default", repeat=3):
    model = "grm" if kind == "grm" else kind
    kw = {} if c_prior == "default" else {"c_prior": None}
    with warnings.catch_warnings():  # warm-up (imports, BLAS): one EM step
        warnings.simplefilter("ignore")
        calibrate(x, model=model, se="none", max_iter=1, **kw)
    em_s, em_cpu = float("inf"), float("inf")
    for _ in range(repeat):  # best of `repeat`: the machine may be shared
        c0 = time.process_time()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res, secs = timed(lambda: calibrate(x, model=model, se="none", **kw))
        em_s, em_cpu = min(em_s, secs), min(em_cpu, time.process_time() - c0)
    c0 = time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res_se, se_total = timed(lambda: calibrate(x, model=model, se="louis", **kw))
    se_cpu = time.process_time() - c0 - em_cpu
    csv = folder / f"{kind}.csv"
    write_csv(csv, x)
    cli_args = ["--model", model] + (["--c-prior", "none"] if kw else [])
    cli_s, cli_cpu = run_cli(csv, cli_args, folder)
    row = {
        "case": name,
        "em_s": em_s,
        "em_cpu": em_cpu,
        "steps": res.iterations,
        "converged": res.converged,
        "ms_per_step": 1000 * em_cpu / max(res.iterations, 1),
        "se_extra_cpu": se_cpu,
        "se_method": res_se.se_method,
        "cli_s": cli_s,
        "cli_cpu": cli_cpu,
        "loglik": res.loglik,
        "notes": [],
    }
    if girth:
        out, secs, note = run_girth(kind, x)
        row["girth_s"] = secs
        if note:
            row["notes"].append(note)
        if out is not None:
            ga = np.asarray(out["Discrimination"], dtype=float)
            gb = np.asarray(out["Difficulty"], dtype=float).reshape(res.params.b.shape)
            row["girth_diff"] = max(
                float(np.max(np.abs(ga - res.params.a))),
                float(np.nanmax(np.abs(gb - res.params.b))),
            )
    if mirt:
        itemtype = {"2pl": "2PL", "3pl": "3PL", "grm": "graded"}[kind]
        m = run_mirt(csv, itemtype, False, folder)
        if "error" in m:
            row["notes"].append("mirt failed: " + m["error"])
        else:
            row["mirt_em_cpu"] = m["cpu"]
            row["mirt_em_s"] = m["elapsed"]
            row["mirt_cycles"] = m["cycles"]
            row["mirt_converged"] = m["converged"]
            row["mirt_ms_per_cycle"] = 1000 * m["cpu"] / max(m["cycles"], 1)
            row["mirt_process_s"] = m["process_s"]
            row["mirt_loglik"] = m["loglik"]
            row["mirt_version"] = m["version"]
            bn = ["b"] if kind != "grm" else [f"b{k}" for k in range(1, res.params.b.shape[1] + 1)]
            ma = mirt_matrix(m["par"], ["a"])[:, 0]
            mb = mirt_matrix(m["par"], bn)
            diff = max(
                float(np.max(np.abs(ma - res.params.a))),
                float(np.nanmax(np.abs(mb - res.params.b.reshape(mb.shape)))),
            )
            if kind == "3pl":
                mg = mirt_matrix(m["par"], ["g"])[:, 0]
                diff = max(diff, float(np.max(np.abs(mg - res.params.c))))
            row["mirt_diff"] = diff
            row["loglik_diff"] = res.loglik - m["loglik"]
        if mirt_se and "error" not in m:
            ms = run_mirt(csv, itemtype, True, folder)
            if "error" in ms:
                row["notes"].append("mirt SE failed: " + ms["error"])
            else:
                row["mirt_se_process_s"] = ms["process_s"]
                row["mirt_se_s"] = ms["elapsed"]
                se_a = mirt_matrix(ms["se"], ["a"])[:, 0]
                row["se_rel_diff"] = float(np.max(np.abs(res_se.params.se_a / se_a - 1.0)))
    return row


def growth_case(n_persons: int, folder: Path, louis_budget: float | None = None) -> dict:
    """2PL 100 items x ``n_persons``: EM and EM + Louis SEs in a subprocess; peak RSS."""
    x, *_ = simulate_dichotomous(100, n_persons, seed=3)
    npy = folder / f"growth_{n_persons}.npy"
    np.save(npy, x)
    del x
    argv = [sys.executable, "-c", GROWTH_CODE, str(npy)]
    if louis_budget is not None:
        argv.append(repr(float(louis_budget)))
    gnu_time = shutil.which("time") or ("/usr/bin/time" if os.path.exists("/usr/bin/time") else "")
    log = folder / "time.log"
    if gnu_time:
        argv = [gnu_time, "-f", "%M", "-o", str(log), *argv]
    proc, secs = timed(lambda: subprocess.run(argv, capture_output=True, text=True))
    npy.unlink()
    line = [s for s in proc.stdout.splitlines() if s.startswith("RESULT ")]
    if proc.returncode != 0 or not line:
        return {"n": n_persons, "error": proc.stderr.strip()[-300:]}
    out = json.loads(line[-1][len("RESULT ") :])
    out["n"] = n_persons
    out["peak_mb"] = (
        int(log.read_text().split()[-1]) / 1024 if gnu_time and log.exists() else float("nan")
    )
    out["data_mb"] = n_persons * 100 / 1024**2
    return out


# ----------------------------------------------------------------------------- output


def fmt(x, spec=".2f"):
    if x is None:
        return "-"
    if isinstance(x, bool):
        return "yes" if x else "NO"
    if isinstance(x, float) and x != x:
        return "-"
    return format(x, spec) if isinstance(x, (float, np.floating)) else str(x)


def ratio(num, den):
    if num is None or den is None or not (den > 0) or num != num:
        return float("nan")
    return num / den


def tables(rows: list[dict], growth: list[dict]) -> str:
    out = []
    if rows:
        out.append("### Estimation (no standard errors)\n")
        out.append(
            "| case | credkit CPU s | EM steps | conv. | ms CPU / step | mirt CPU s | mirt cycles "
            "| conv. | mirt ms / cycle | mirt / credkit (CPU) | girth s | girth / credkit |"
        )
        out.append("|" + "---|" * 12)
        for r in rows:
            out.append(
                f"| {r['case']} | {fmt(r['em_cpu'])} | {r['steps']} | {fmt(r['converged'])} "
                f"| {fmt(r['ms_per_step'], '.1f')} | {fmt(r.get('mirt_em_cpu'))} "
                f"| {r.get('mirt_cycles', '-')} | {fmt(r.get('mirt_converged'))} "
                f"| {fmt(r.get('mirt_ms_per_cycle'), '.0f')} "
                f"| {fmt(ratio(r.get('mirt_em_cpu'), r['em_cpu']), '.1f')} "
                f"| {fmt(r.get('girth_s'))} | {fmt(ratio(r.get('girth_s'), r['em_s']), '.1f')} |"
            )
        out.append("\n### Whole process (start-up, reading the CSV, estimation, SEs, writing)\n")
        out.append(
            "| case | credkit calibrate (Louis SEs) s | SE step CPU s | mirt, no SEs s "
            "| mirt / credkit | mirt, Oakes SEs s | mirt SEs / credkit |"
        )
        out.append("|" + "---|" * 7)
        for r in rows:
            out.append(
                f"| {r['case']} | {fmt(r['cli_s'])} | {fmt(r['se_extra_cpu'])} "
                f"| {fmt(r.get('mirt_process_s'))} "
                f"| {fmt(ratio(r.get('mirt_process_s'), r['cli_s']), '.1f')} "
                f"| {fmt(r.get('mirt_se_process_s'))} "
                f"| {fmt(ratio(r.get('mirt_se_process_s'), r['cli_s']), '.1f')} |"
            )
        out.append("\n### Agreement\n")
        out.append(
            "| case | credkit loglik | credkit - mirt loglik | max abs diff vs mirt (a, b, c) "
            "| max rel diff SE(a) Louis vs Oakes | max abs diff vs girth | notes |"
        )
        out.append("|" + "---|" * 7)
        for r in rows:
            out.append(
                f"| {r['case']} | {fmt(r['loglik'], '.3f')} | {fmt(r.get('loglik_diff'), '.4f')} "
                f"| {fmt(r.get('mirt_diff'), '.4f')} | {fmt(r.get('se_rel_diff'), '.4f')} "
                f"| {fmt(r.get('girth_diff'), '.3f')} | {'; '.join(r['notes'])} |"
            )
    if growth:
        out.append("\n### Growth (2PL, 100 items, subprocess per size)\n")
        out.append(
            "| persons | EM s | EM CPU s | EM + Louis SEs s | CPU s | EM steps | SE method "
            "| peak RSS MB | of which responses MB | CPU us per person (with SEs) |"
        )
        out.append("|" + "---|" * 10)
        for g in growth:
            if "error" in g:
                out.append(f"| {g['n']:,} | failed: {g['error']} |" + " |" * 8)
                continue
            out.append(
                f"| {g['n']:,} | {fmt(g['em_s'])} | {fmt(g['em_cpu'])} | {fmt(g['with_se_s'])} "
                f"| {fmt(g['with_se_cpu'])} | {g['steps']} | {g['se_method']} "
                f"| {fmt(g['peak_mb'], '.0f')} | {fmt(g['data_mb'], '.0f')} "
                f"| {fmt(1e6 * g['with_se_cpu'] / g['n'], '.1f')} |"
            )
    return "\n".join(out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", choices=CASES, default=list(CASES))
    parser.add_argument("--quick", action="store_true", help="growth to 200,000 persons only")
    parser.add_argument("--no-mirt", action="store_true", help="skip R mirt")
    parser.add_argument("--no-girth", action="store_true", help="skip girth")
    parser.add_argument("--no-mirt-se", action="store_true", help="skip mirt's Oakes SEs")
    parser.add_argument(
        "--louis-budget",
        type=float,
        help="growth cases: set calibrate's LOUIS_BUDGET (flops above which Louis' SEs fall back "
        "to the cross-product) to this, to time Louis' SEs beyond the default budget",
    )
    parser.add_argument("--out", help="also write the tables (markdown) to this file")
    args = parser.parse_args(argv)
    why = "skipped (--no-mirt)" if args.no_mirt else mirt_available()
    mirt = not why
    girth = not args.no_girth
    load_start = uptime()
    print(f"start: {load_start}; R mirt: {'yes' if mirt else why}", flush=True)
    rows, growth = [], []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        specs = {
            "2pl": ("2PL 100 x 20,000", "2pl", lambda: simulate_dichotomous(100, 20_000, seed=1)),
            "3pl": (
                "3PL 100 x 20,000 (c ~ U(.1, .25), no prior)",
                "3pl",
                lambda: simulate_dichotomous(100, 20_000, three_pl=True, seed=2),
            ),
            "grm": (
                "GRM 20 x 10,000, 5 categories",
                "grm",
                lambda: simulate_grm(20, 10_000, 5, seed=4),
            ),
            "200k": (
                "2PL 100 x 200,000",
                "2pl",
                lambda: simulate_dichotomous(100, 200_000, seed=5),
            ),
        }
        for key in ("2pl", "3pl", "grm", "200k"):
            if key not in args.cases or (key == "200k" and args.quick):
                continue
            name, kind, make = specs[key]
            x = make()[0]
            rows.append(
                credkit_case(
                    name,
                    kind,
                    x,
                    folder,
                    mirt=mirt,
                    girth=girth and key != "200k",
                    mirt_se=mirt and not args.no_mirt_se and key in ("2pl", "grm"),
                    c_prior=None if kind == "3pl" else "default",
                    repeat=1 if key == "200k" else 3,
                )
            )
            print(tables(rows[-1:], []).split("\n")[4], flush=True)
        if "growth" in args.cases:
            sizes = (20_000, 200_000) if args.quick else (20_000, 200_000, 1_000_000)
            for n in sizes:
                growth.append(growth_case(n, folder, args.louis_budget))
                print(json.dumps(growth[-1]), flush=True)
    version = next((r["mirt_version"] for r in rows if "mirt_version" in r), None)
    info = (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores; numpy "
        f"{np.__version__}; R mirt {version or why or '-'}. Machine load at the start: "
        f"`{load_start}`; at the end: `{uptime()}`. credkit estimation: best of 3 in-process "
        "runs (200k: one), CPU seconds; mirt: CPU seconds of mirt() inside R (one run); whole "
        "processes: wall-clock seconds of one run each."
        + (
            f" Growth cases with LOUIS_BUDGET = {args.louis_budget:g}."
            if args.louis_budget is not None
            else ""
        )
    )
    text = tables(rows, growth) + "\n\n" + info + "\n"
    print()
    print(text)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(text)
    return rows, growth


if __name__ == "__main__":
    main()
