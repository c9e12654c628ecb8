"""``credkit calibrate`` on the sparse path: Parquet / --long, --scheduler local|ADDRESS (issue 16).

The reference is the ordinary (wide, in-memory) calibration of the same responses: the output
must be the same file, byte for byte, and the same JSON keys. The README's cluster example is run
as written against a real ``dask scheduler`` and two ``dask worker`` processes on localhost.
"""

from __future__ import annotations

import csv
import faulthandler
import json
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from psychometrics.cli import main

ROOT = Path(__file__).resolve().parent.parent
WIDE = ROOT / "item_bank" / "calibration" / "responses.csv"
LONG = ROOT / "item_bank" / "calibration" / "responses_long.parquet"
COMMAND = (
    "credkit calibrate item_bank/calibration/responses_long.parquet --bank item_bank "
    "--model 3pl --poly-model grm --scheduler tcp://127.0.0.1:8786 --out params_long.csv"
)
"""The README's cluster command (README.md must show exactly this one, see the last test)."""
GUARD_SECONDS = 400


def _invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def _simulate_long(path: Path, n=600, m=8, seed=5) -> np.ndarray:
    rng = np.random.default_rng(seed)
    theta = rng.normal(size=n)
    a, b = rng.uniform(0.7, 2.0, m), rng.normal(size=m)
    x = (rng.random((n, m)) < 1 / (1 + np.exp(-a * (theta[:, None] - b)))).astype(int)
    x[rng.random((n, m)) < 0.3] = -1
    rows = ["person_id,item_id,response"]
    rows += [f"p{i},i{j + 1},{x[i, j]}" for i in range(n) for j in range(m) if x[i, j] >= 0]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    wide = ["person_id," + ",".join(f"i{j + 1}" for j in range(m))]
    wide += [f"p{i}," + ",".join("" if v < 0 else str(v) for v in x[i]) for i in range(n)]
    path.with_name("wide.csv").write_text("\n".join(wide) + "\n", encoding="utf-8")
    return x


def test_example_parquet_is_the_wide_example_in_long_layout():
    pq = pytest.importorskip("pyarrow.parquet")
    table = pq.read_table(LONG).to_pydict()
    with WIDE.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    header = rows[0]
    expected = [
        (r[0], item, value, r[1])
        for r in rows[1:]
        for item, value in zip(header[2:], r[2:], strict=True)
        if value != ""
    ]
    columns = (table[c] for c in ("person_id", "item_id", "response", "form"))
    got = list(zip(*columns, strict=True))
    assert got == expected


def test_parquet_equals_the_wide_calibration(tmp_path):
    pytest.importorskip("pyarrow")
    common = ["--bank", ROOT / "item_bank", "--model", "3pl", "--poly-model", "grm", "--json"]
    wide = _invoke("calibrate", WIDE, "--ignore", "booklet", "--out", tmp_path / "w.csv", *common)
    assert wide.exit_code == 0, wide.output
    long = _invoke("calibrate", LONG, "--out", tmp_path / "l.csv", *common)
    assert long.exit_code == 0, long.output
    # the same lines; the long file lists items in order of first appearance
    w_lines = (tmp_path / "w.csv").read_text().splitlines()
    l_lines = (tmp_path / "l.csv").read_text().splitlines()
    assert l_lines[0] == w_lines[0] and sorted(l_lines) == sorted(w_lines)
    w, g = json.loads(wide.stdout), json.loads(long.stdout)
    assert w.keys() == g.keys()
    assert g["loglik"] == pytest.approx(w["loglik"], rel=1e-10)
    assert g["se_method"] == w["se_method"] == "louis"
    assert g["n_persons"] == w["n_persons"] and g["iterations"] == w["iterations"]


def test_long_csv_on_a_local_cluster(tmp_path):
    pytest.importorskip("distributed")
    _simulate_long(tmp_path / "long.csv")
    ref = _invoke("calibrate", tmp_path / "wide.csv", "--out", tmp_path / "ref.csv")
    assert ref.exit_code == 0, ref.output
    faulthandler.dump_traceback_later(GUARD_SECONDS, exit=True)
    try:
        got = _invoke(
            "calibrate", tmp_path / "long.csv", "--long", "--scheduler", "local",
            "--partition-size", "150", "--progress-interval", "0.000001",
            "--out", tmp_path / "got.csv",
        )  # fmt: skip
    finally:
        faulthandler.cancel_dump_traceback_later()
    assert got.exit_code == 0, got.output
    got_lines = (tmp_path / "got.csv").read_text().splitlines()
    assert sorted(got_lines) == sorted((tmp_path / "ref.csv").read_text().splitlines())
    assert re.search(r"^E-step 1: 4 of 4 partitions done$", got.stderr, re.M)
    assert re.search(r"^EM step \d+: log-likelihood", got.stderr, re.M)
    assert "standard errors" in got.stdout  # the normal summary
    assert got.stdout.splitlines()[-1] == f"wrote {tmp_path / 'got.csv'}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_errors_are_one_line(tmp_path, monkeypatch):
    _simulate_long(tmp_path / "long.csv", n=60, m=4)
    out = tmp_path / "p.csv"
    port = _free_port()
    cases = [
        (
            ["--long", "--scheduler", f"tcp://127.0.0.1:{port}"],
            f"--scheduler tcp://127.0.0.1:{port}: no Dask scheduler answers at "
            f"tcp://127.0.0.1:{port}",
        ),
        (["--long", "--scheduler", "nowhere"], "--scheduler: 'nowhere' is not a scheduler address"),
        (["--scheduler", "local"], "--scheduler needs long responses"),
        (["--long", "--scheduler", "local", "--engine", "girth"], "--engine girth: not available"),
    ]
    for extra, message in cases:
        res = _invoke("calibrate", tmp_path / "long.csv", "--out", out, *extra)
        assert res.exit_code == 1, res.output
        assert res.stderr.startswith(f"credkit: error: {message}"), res.stderr
        assert len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.output
    assert not out.exists()

    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name in ("distributed", "pyarrow") else real(name, *a),
    )
    res = _invoke(
        "calibrate", tmp_path / "long.csv", "--long", "--scheduler", "local", "--out", out
    )
    assert res.exit_code == 1 and "install credkit[scale]" in res.stderr
    res = _invoke("calibrate", LONG, "--out", out)
    assert res.exit_code == 1 and "install credkit[scale]" in res.stderr
    assert not out.exists()


def _readme_cluster_command() -> str | None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.findall(r"^credkit calibrate .*--scheduler tcp://.*$", text, re.M)
    return found[0] if found else None


@pytest.fixture
def dask_cluster(tmp_path):
    """``dask scheduler`` and two ``dask worker`` processes on a free localhost port."""
    pytest.importorskip("distributed")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    dask = [sys.executable, "-m", "dask"]
    logs = tmp_path / "logs"
    logs.mkdir()
    procs = []
    try:
        procs.append(
            subprocess.Popen(
                [*dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                stdout=subprocess.DEVNULL,
                stderr=(logs / "scheduler.log").open("w"),
            )
        )
        for k in range(2):
            procs.append(
                subprocess.Popen(
                    [*dask, "worker", address, "--nthreads", "1", "--no-dashboard"],
                    stdout=subprocess.DEVNULL,
                    stderr=(logs / f"worker{k}.log").open("w"),
                )
            )
        from distributed import Client

        deadline = time.monotonic() + 180
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or procs[0].poll() is not None:
                    log = (logs / "scheduler.log").read_text()
                    pytest.fail(f"dask scheduler did not start: {log}")
                time.sleep(0.2)
        with Client(address, timeout=30) as client:
            client.wait_for_workers(2, timeout=180)
        yield port
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in reversed(procs):
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=20)


def test_readme_cluster_command_runs_on_a_scheduler_and_two_workers(tmp_path, dask_cluster):
    pytest.importorskip("pyarrow")
    documented = _readme_cluster_command()
    if documented is not None:  # once merged into README.md it must be this command
        assert documented == COMMAND
    shutil.copytree(ROOT / "item_bank", tmp_path / "item_bank")
    args = shlex.split(COMMAND.replace(":8786", f":{dask_cluster}"))
    assert args[0] == "credkit"
    exe = shutil.which("credkit")
    assert exe is not None
    run = subprocess.run(
        [exe, *args[1:]], cwd=tmp_path, capture_output=True, text=True, timeout=GUARD_SECONDS
    )
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    ref = subprocess.run(
        [exe, "calibrate", str(WIDE), "--bank", "item_bank", "--ignore", "booklet", "--model",
         "3pl", "--poly-model", "grm", "--out", "ref.csv"],
        cwd=tmp_path, capture_output=True, text=True, timeout=GUARD_SECONDS,
    )  # fmt: skip
    assert ref.returncode == 0, ref.stderr
    got = (tmp_path / "params_long.csv").read_text().splitlines()
    assert sorted(got) == sorted((tmp_path / "ref.csv").read_text().splitlines())
