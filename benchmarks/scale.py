"""Sparse long data at scale (issue 16): in-memory engine vs the partitioned E-step vs Dask.

Run by hand::

    python benchmarks/scale.py                               # 20k, 200k, 1M persons x 100 items
    python benchmarks/scale.py --persons 20000 200000        # a quicker look
    python benchmarks/scale.py --sparse 1000000 --bank 2000 --per-person 40

Each row runs in a fresh child process (its peak resident set size from ``os.wait4``, the
kernel's ``ru_maxrss`` of that child alone). Responses are simulated from a seeded 2PL model
inside the child, straight into the sparse layout (persons x presented items), so no file is
written. Modes:

* ``in-memory``: :func:`psychometrics.irt.calibrate` on the dense matrix (not-presented = -1);
* ``partitioned`` (the issue's "in-memory chunked"):
  :func:`psychometrics.irt.partitioned.calibrate_sparse` in this process (partitions of
  ``--partition`` persons, default 250,000);
* ``dask-local``: the same on a ``dask.distributed`` LocalCluster of 2 single-threaded worker
  processes (default partitions: the persons split between the two workers); the workers' own
  peak RSS is reported beside the client's (which also runs the scheduler, holding the
  partitions' input slices so that a lost partition can be rebuilt). The cluster's start-up is
  not timed.

Standard errors are off (``se="none"``) in every mode. Times are wall-clock seconds on a shared
machine: compare the *ratios* within one run (``x in-memory``) and the growth with N, not the
absolute values. The log-likelihoods of the modes must agree to 1e-8 relative (shown).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np


def simulate(n: int, bank: int, per_person: int, seed: int = 0, forms: int = 500):
    """Sparse 2PL responses: each person sees ``per_person`` items of one of ``forms`` random
    forms (500 forms of 40 items leave on average 0.1 of 2,000 items unused)."""
    from psychometrics.long_responses import SparseResponses

    rng = np.random.default_rng(seed)
    a = rng.uniform(0.6, 2.0, bank)
    b = rng.normal(0, 1, bank)
    if per_person >= bank:
        forms = np.arange(bank)[None, :]
    else:
        forms = np.sort(np.argsort(rng.random((forms, bank)), axis=1)[:, :per_person], axis=1)
    form_of = rng.integers(0, forms.shape[0], n)
    items = np.empty(n * per_person, dtype=np.int32)
    scores = np.empty(n * per_person, dtype=np.int16)
    step = 200_000
    for start in range(0, n, step):  # bounded temporaries
        stop = min(start + step, n)
        it = forms[form_of[start:stop]]
        theta = rng.normal(size=stop - start)
        p = 1 / (1 + np.exp(-a[it] * (theta[:, None] - b[it])))
        items[start * per_person : stop * per_person] = it.ravel()
        scores[start * per_person : stop * per_person] = (rng.random(p.shape) < p).ravel()
    return SparseResponses(
        person_ids=np.arange(n).astype(str),
        item_ids=tuple(f"I{j}" for j in range(bank)),
        indptr=np.arange(0, n * per_person + 1, per_person, dtype=np.int64),
        items=items,
        scores=scores,
    )


def child(mode: str, n: int, bank: int, per_person: int, part: int) -> dict:
    part = part or None  # 0: calibrate_sparse's default (in process 250,000; Dask N / threads)
    import warnings

    from psychometrics.irt import calibrate
    from psychometrics.irt.partitioned import calibrate_sparse

    warnings.simplefilter("ignore")  # an unused item is left out with a warning, in every mode
    data = simulate(n, bank, per_person)
    out = {"sparse_mb": data.nbytes / 1e6}
    start = time.perf_counter()
    if mode == "in-memory":
        res = calibrate(data.to_dense(), model="2pl", se="none")
    elif mode == "partitioned":
        res = calibrate_sparse(data, model="2pl", se="none", partition_size=part)
    else:
        import resource

        from distributed import Client, LocalCluster

        with (
            LocalCluster(
                n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
            ) as cluster,
            Client(cluster) as client,
        ):
            start = time.perf_counter()
            res = calibrate_sparse(
                data, model="2pl", se="none", partition_size=part, scheduler=client
            )
            rss = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
            out["worker_mb"] = max(rss.values()) / 1024
    out.update(seconds=time.perf_counter() - start, loglik=res.loglik, iterations=res.iterations)
    return out


def run(mode, n, bank, per_person, part) -> dict:
    cmd = [sys.executable, __file__, "--child", mode, str(n), str(bank), str(per_person), str(part)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    text = proc.stdout.read()
    proc.stdout.close()
    if os.waitstatus_to_exitcode(status) != 0:
        return {"error": f"exit {os.waitstatus_to_exitcode(status)}"}
    out = json.loads(text.strip().splitlines()[-1])
    out["peak_mb"] = usage.ru_maxrss / 1024
    return out


def _rel(x: float, ref: float) -> float:
    return abs(x - ref) / abs(ref)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, nargs="*", default=[20_000, 200_000, 1_000_000])
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--sparse", type=int, nargs="*", default=[])
    parser.add_argument("--bank", type=int, default=2000)
    parser.add_argument("--per-person", type=int, default=40)
    parser.add_argument(
        "--partition", type=int, default=0, help="persons per partition (0: the default)"
    )
    parser.add_argument("--modes", nargs="*", default=["in-memory", "partitioned", "dask-local"])
    parser.add_argument("--child", nargs=5)
    args = parser.parse_args()
    if args.child:
        mode, *nums = args.child
        print(json.dumps(child(mode, *map(int, nums))))
        return
    print(f"load: {os.getloadavg()}")
    print(
        "| persons | items (seen) | mode | seconds | x in-memory | peak MB | worker MB | "
        "sparse MB | EM steps | loglik rel. diff |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    cases = [(n, args.items, args.items) for n in args.persons]
    cases += [(n, args.bank, args.per_person) for n in args.sparse]
    for n, bank, seen in cases:
        base = None
        for mode in args.modes:
            if mode == "in-memory" and bank > 500 and seen < bank:
                continue  # a dense persons x bank matrix is what this path avoids
            r = run(mode, n, bank, seen, args.partition)
            if "error" in r:
                print(f"| {n} | {bank} ({seen}) | {mode} | {r['error']} |")
                continue
            base = base or r
            print(
                f"| {n} | {bank} ({seen}) | {mode} | {r['seconds']:.1f} | "
                f"{r['seconds'] / base['seconds']:.2f} | {r['peak_mb']:.0f} | "
                f"{r.get('worker_mb', float('nan')):.0f} | {r['sparse_mb']:.0f} | "
                f"{r['iterations']} | {_rel(r['loglik'], base['loglik']):.1e} |",
                flush=True,
            )
    print(f"load: {os.getloadavg()}")


if __name__ == "__main__":
    main()
