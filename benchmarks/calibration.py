"""Calibration speed: credkit's engine against girth (and R mirt when installed), same data.

Run by hand::

    python benchmarks/calibration.py            # all cases (the 1,000,000-person case takes ~1 min)
    python benchmarks/calibration.py --quick    # skip the 1,000,000-person case
    python benchmarks/calibration.py --out results.md

Each case simulates data from fixed seeds, times ``psychometrics.irt.calibrate`` (EM only, and
EM plus standard errors) and the matching girth estimator on the same array in the same process,
and prints wall-clock seconds, the girth/credkit ratio, the largest absolute difference between
the two engines' estimates and the log-likelihoods. The million-person case runs in a
subprocess so that its peak resident memory is measured alone. Timings on a shared machine are
noisy: compare the ratios, which are measured in the same run. Nothing is written unless
``--out`` is given.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
import warnings

import numpy as np

from psychometrics.irt import ItemParameters, calibrate, category_probabilities


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


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


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


def case(name, kind, x, *, girth=True, se=True, repeat=3):
    model = {"2pl": "2pl", "3pl": "3pl", "grm": "grm"}[kind]
    with warnings.catch_warnings():  # warm-up (imports, BLAS threads): one EM step
        warnings.simplefilter("ignore")
        calibrate(x, model=model, se="none", max_iter=1)
    t_em, cpu = float("inf"), float("inf")
    for _ in range(repeat):  # best of `repeat`: the machine may be shared
        c0 = time.process_time()
        res, secs = timed(lambda: calibrate(x, model=model, se="none"))
        t_em, cpu = min(t_em, secs), min(cpu, time.process_time() - c0)
    t_se = float("nan")
    if se:
        _, t_se = timed(lambda: calibrate(x, model=model, se="louis"))
    row = {
        "case": name,
        "credkit_cpu_s": cpu,
        "credkit_s": t_em,
        "credkit_with_se_s": t_se,
        "iterations": res.iterations,
        "converged": res.converged,
        "loglik": res.loglik,
        "girth_s": float("nan"),
        "ratio": float("nan"),
        "max_abs_diff_a": float("nan"),
        "max_abs_diff_b": float("nan"),
        "note": "",
    }
    if girth:
        out, secs, note = run_girth(kind, x)
        row["girth_s"], row["note"] = secs, note
        if out is not None:
            row["ratio"] = secs / t_em
            ga = np.asarray(out["Discrimination"], dtype=float)
            gb = np.asarray(out["Difficulty"], dtype=float).reshape(res.params.b.shape)
            row["max_abs_diff_a"] = float(np.max(np.abs(ga - res.params.a)))
            row["max_abs_diff_b"] = float(np.nanmax(np.abs(gb - res.params.b)))
    return row


def million_case(n_persons):
    """Run the big case in a subprocess; returns its row (with peak RSS)."""
    here = os.path.dirname(os.path.abspath(__file__))
    code = (
        "import json, sys, time, resource;"
        f"sys.path.insert(0, {here!r});"
        "from calibration import simulate_dichotomous;"
        "from psychometrics.irt import calibrate;"
        f"x, a, b, c = simulate_dichotomous(100, {n_persons}, seed=3);"
        "t = time.perf_counter(); c = time.process_time();"
        "r = calibrate(x, model='2pl', se='none');"
        "secs = time.perf_counter() - t; cpu = time.process_time() - c;"
        "rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024;"
        "print(json.dumps({'secs': secs, 'cpu': cpu, 'rss_mb': rss, 'it': r.iterations,"
        " 'conv': r.converged, 'll': r.loglik,"
        " 'err_a': float(abs(r.params.a - a).max()),"
        " 'err_b': float(abs(r.params.b[:, 0] - b).max())}))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if proc.returncode != 0:
        return {"case": f"2PL 100 x {n_persons:,}", "note": proc.stderr.strip()[-200:]}
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    return {
        "case": f"2PL 100 x {n_persons:,}",
        "credkit_s": out["secs"],
        "credkit_cpu_s": out["cpu"],
        "credkit_with_se_s": float("nan"),
        "iterations": out["it"],
        "converged": out["conv"],
        "loglik": out["ll"],
        "girth_s": float("nan"),
        "ratio": float("nan"),
        "max_abs_diff_a": float("nan"),
        "max_abs_diff_b": float("nan"),
        "note": (
            f"peak RSS {out['rss_mb']:.0f} MB (data generation included); "
            f"max abs(a - true) {out['err_a']:.3f}, max abs(b - true) {out['err_b']:.3f}"
        ),
    }


def fmt(x, spec=".3f"):
    if isinstance(x, bool):
        return "yes" if x else "NO"
    if isinstance(x, float) and x != x:
        return "-"
    return format(x, spec) if isinstance(x, float) else str(x)


def table(rows):
    head = (
        "| case | credkit EM (s) | (CPU s) | credkit EM + SEs (s) | EM steps | converged "
        "| girth (s) | girth / credkit | max abs diff a | max abs diff b | note |"
    )
    lines = [head, "|" + "---|" * 11]
    for r in rows:
        lines.append(
            f"| {r['case']} | {fmt(r.get('credkit_s', float('nan')))} "
            f"| {fmt(r.get('credkit_cpu_s', float('nan')), '.2f')} "
            f"| {fmt(r.get('credkit_with_se_s', float('nan')))} | {r.get('iterations', '-')} "
            f"| {fmt(r.get('converged', '-'))} | {fmt(r.get('girth_s', float('nan')), '.2f')} "
            f"| {fmt(r.get('ratio', float('nan')), '.0f')} "
            f"| {fmt(r.get('max_abs_diff_a', float('nan')))} "
            f"| {fmt(r.get('max_abs_diff_b', float('nan')))} | {r.get('note', '')} |"
        )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the million-person case")
    parser.add_argument("--no-girth", action="store_true", help="time credkit only")
    parser.add_argument("--persons", type=int, default=1_000_000, help="size of the big case")
    parser.add_argument("--out", help="also write the table (markdown) to this file")
    args = parser.parse_args(argv)
    girth = not args.no_girth
    rows = []
    x, *_ = simulate_dichotomous(100, 20_000, seed=1)
    rows.append(case("2PL 100 x 20,000", "2pl", x, girth=girth))
    print(table(rows[-1:]).splitlines()[-1], flush=True)
    x, *_ = simulate_dichotomous(100, 20_000, three_pl=True, seed=2)
    rows.append(case("3PL 100 x 20,000 (c ~ U(.1, .25))", "3pl", x, girth=girth))
    print(table(rows[-1:]).splitlines()[-1], flush=True)
    x, *_ = simulate_grm(20, 10_000, 5, seed=4)
    rows.append(case("GRM 20 x 10,000, 5 categories", "grm", x, girth=girth))
    print(table(rows[-1:]).splitlines()[-1], flush=True)
    if not args.quick:
        rows.append(million_case(args.persons))
    mirt = "R mirt: " + ("Rscript found, not run" if shutil.which("Rscript") else "not installed")
    load = os.getloadavg()
    info = (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"load average {load[0]:.1f} at the end; numpy {np.__version__}; {mirt}. "
        "girth with its default options (41 points on [-4.5, 4.5]); credkit 61 points on [-6, 6]. "
        "credkit EM: best of 3 wall-clock runs (CPU time counts both BLAS threads); "
        "girth: one run."
    )
    text = table(rows) + "\n\n" + info + "\n"
    print()
    print(text)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(text)
    return rows


if __name__ == "__main__":
    main()
