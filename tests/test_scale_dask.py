"""The partitioned path on a dask.distributed cluster: a worker killed mid-run (issue 16).

Partitions are tasks whose inputs stay in the task graph, so when the worker holding some of them
dies the scheduler rebuilds them on another worker (and the nanny starts a replacement). The
statistics are summed in partition order whoever computed them, so the estimates must equal an
undisturbed run exactly (same floating-point operations on the same numbers).
"""

from __future__ import annotations

import faulthandler
import os
import signal
import time

import numpy as np
import pytest

from psychometrics.irt.partitioned import calibrate_sparse
from psychometrics.long_responses import from_dense

distributed = pytest.importorskip("distributed")

GUARD_SECONDS = 300  # a hung cluster ends the test run with a traceback instead of hanging CI


def _simulate(n, m, *, seed):
    rng = np.random.default_rng(seed)
    theta = rng.normal(size=n)
    a = rng.uniform(0.7, 2.0, m)
    b = rng.normal(size=m)
    x = (rng.random((n, m)) < 1 / (1 + np.exp(-a * (theta[:, None] - b)))).astype(np.int16)
    x[rng.random((n, m)) < 0.3] = -1
    return x


@pytest.fixture
def cluster_client():
    faulthandler.dump_traceback_later(GUARD_SECONDS, exit=True)
    try:
        with (
            distributed.LocalCluster(
                n_workers=2,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=50,
            ) as cluster,
            distributed.Client(cluster, timeout=60) as client,
        ):
            yield client
    finally:
        faulthandler.cancel_dump_traceback_later()


def test_worker_killed_mid_calibration_gives_the_same_estimates(cluster_client):
    client = cluster_client
    sp = from_dense(_simulate(3000, 12, seed=31))
    ref = calibrate_sparse(sp, partition_size=300)
    killed: list[tuple[str, int, int]] = []

    def progress(line: str) -> None:
        # in the middle of the third E-step: some partitions done, the others still to come
        if killed or not line.startswith("E-step 3: 2 of"):
            return
        pids = client.run(os.getpid)
        held = client.has_what()
        address = max(pids, key=lambda w: sum("make_partition" in k for k in held.get(w, ())))
        n_held = sum("make_partition" in k for k in held.get(address, ()))
        os.kill(pids[address], signal.SIGKILL)
        killed.append((address, pids[address], n_held))

    got = calibrate_sparse(
        sp, partition_size=300, scheduler=client, progress=progress, progress_interval=0
    )
    assert killed, "the worker was never killed"
    address, pid, n_held = killed[0]
    assert n_held >= 1  # the dead worker held partitions: they had to be rebuilt elsewhere
    client.wait_for_workers(2, timeout=60)  # the nanny started a replacement
    assert pid not in client.run(os.getpid).values()
    assert got.iterations == ref.iterations
    assert got.loglik == ref.loglik
    np.testing.assert_array_equal(got.params.a, ref.params.a)
    np.testing.assert_array_equal(got.params.b, ref.params.b)


def test_a_users_client_keeps_no_partitions_afterwards(cluster_client):
    client = cluster_client
    sp = from_dense(_simulate(800, 6, seed=32))
    ref = calibrate_sparse(sp, partition_size=200)
    got = calibrate_sparse(sp, partition_size=200, scheduler=client)
    assert got.loglik == ref.loglik
    # the partitions were released when the calibration ended (the client is the user's)
    for _ in range(100):
        if not any(client.has_what().values()):
            break
        time.sleep(0.05)
    assert not any(client.has_what().values())
