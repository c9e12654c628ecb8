"""Concurrent writers and process death: the bank lock, the write-ahead journal, the report swap.

Each test runs real child processes (``sys.executable``), because a lock taken in one process and a
SIGKILL in the middle of a write cannot be simulated inside the test process.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from test_bank_lint import BASE, OTHER, write_bank
from test_bank_store import RUBRIC

from psychometrics.bank import load_bank
from psychometrics.bank.journal import JOURNAL_NAME, needs_recovery
from psychometrics.bank.update import update_item_stats
from psychometrics.program.build.output import recover_report_dir

pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGKILL and flock are POSIX")

THIRD = {**RUBRIC, "id": "DA-0004", "irt": None}
ITEMS = ("DA-0001", "DA-0002", "DA-0003", "DA-0004")


def _snapshot(bank: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((bank / "items").iterdir())}


def _run(code: str, *args: str, **kw) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        **kw,
    )


STATS_UPDATE = """
    import sys
    from psychometrics.bank.update import update_item_stats
    ids = {ids!r}
    update_item_stats(sys.argv[1], ids, p=[0.5] * len(ids), rpbis=[0.25] * len(ids), n=123,
                      date="2026-03-04", source="kill-test")
"""


def test_two_writers_on_one_item_lose_nothing(tmp_path):
    """Writer A renders its new item file, then pauses before renaming it; writer B (the real
    CLI) changes the same item meanwhile. Without the lock A's rename would drop B's change
    (and B's history entry)."""
    bank = write_bank(tmp_path, BASE, OTHER)
    marker = tmp_path / "a-has-read"
    writer_a = _run(
        """
        import sys, time
        from pathlib import Path
        import psychometrics.bank.update as update
        real = update.write_files_transactionally
        def slow_write(texts, **kwargs):
            # A holds the new text of DA-0001; wait until B has written the same file (no lock)
            # or is waiting for the lock (a blocked request in /proc/locks), then rename
            (target,) = texts
            before = target.read_bytes()
            Path(sys.argv[2]).write_text("rendered")
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if target.read_bytes() != before:
                    break
                try:
                    if "->" in Path("/proc/locks").read_text():
                        break
                except OSError:
                    pass
                time.sleep(0.02)
            return real(texts, **kwargs)
        update.write_files_transactionally = slow_write
        update.update_item_stats(sys.argv[1], ["DA-0001"], p=[0.55], rpbis=[0.31], n=77,
                                 date="2026-03-01")
        """,
        str(bank),
        str(marker),
    )
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert writer_a.poll() is None, writer_a.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.02)
    writer_b = subprocess.run(
        [sys.executable, "-m", "psychometrics", "bank", "status", "DA-0001", "--to", "suspended"]
        + ["--bank", str(bank), "--by", "writer-b"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    out_a, err_a = writer_a.communicate(timeout=120)
    assert writer_a.returncode == 0, err_a
    assert writer_b.returncode == 0, writer_b.stderr
    item = load_bank(bank)["DA-0001"]
    assert item.status == "suspended"  # B's change
    assert item.stats.p == 0.55 and item.stats.n == 77  # A's change
    events = [h.get("event") for h in item.history]
    assert events.count("status") == 1 and events.count("new statistics") == 1


def test_many_concurrent_status_changes_keep_every_history_entry(tmp_path):
    """Six unpaused CLI processes each add a note to one item: all six entries survive."""
    bank = write_bank(tmp_path, BASE, OTHER)
    code = """
        import sys
        from psychometrics.bank.update import record_exposure
        record_exposure(sys.argv[1], ["DA-0002"], form_id=sys.argv[2], administrations=1,
                        date="2026-04-01")
    """
    procs = [_run(code, str(bank), f"F-{k}") for k in range(6)]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    exposure = load_bank(bank)["DA-0002"].exposure
    assert exposure.administrations == 900 + 6
    assert set(exposure.forms) == {"F1", *(f"F-{k}" for k in range(6))}


def _expected_after(tmp_path: Path) -> dict[str, bytes]:
    bank = write_bank(tmp_path / "reference", BASE, OTHER, RUBRIC, THIRD)
    update_item_stats(
        bank, list(ITEMS), p=[0.5] * 4, rpbis=[0.25] * 4, n=123, date="2026-03-04",
        source="kill-test",
    )  # fmt: skip
    return _snapshot(bank)


KILL_AFTER_RENAMES = """
    import os, signal, sys
    k = int(sys.argv[2])
    real = os.replace
    count = [0]
    def replace(src, dst, *a, **kw):
        if str(dst).endswith(".yaml"):
            if count[0] == k:
                os.kill(os.getpid(), signal.SIGKILL)
            count[0] += 1
        return real(src, dst, *a, **kw)
    os.replace = replace
"""

KILL_BEFORE_JOURNAL = """
    import os, signal, sys
    import psychometrics.bank.journal as journal
    def die(*a, **kw):
        os.kill(os.getpid(), signal.SIGKILL)
    journal.atomic_write_bytes = die
"""


@pytest.mark.parametrize("k", [None, 0, 1, 2, 3])
def test_killed_multi_file_write_is_all_old_or_all_new_after_the_next_open(tmp_path, k):
    """SIGKILL after k of the 4 renames (None: before the journal is written)."""
    bank = write_bank(tmp_path, BASE, OTHER, RUBRIC, THIRD)
    before = _snapshot(bank)
    after = _expected_after(tmp_path)
    assert before != after
    prelude = KILL_BEFORE_JOURNAL if k is None else KILL_AFTER_RENAMES
    proc = _run(prelude + STATS_UPDATE.format(ids=list(ITEMS)), str(bank), str(k))
    proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL
    assert needs_recovery(bank)  # a journal or temporary files were left behind
    load_bank(bank)  # the next command that opens the bank
    state = _snapshot(bank)
    assert state == (before if k is None else after)
    assert not (bank / JOURNAL_NAME).exists()
    assert not [p.name for p in (bank / "items").iterdir() if p.name.startswith(".")]
    assert not needs_recovery(bank)


def test_a_corrupt_journal_is_one_clear_error(tmp_path):
    bank = write_bank(tmp_path, BASE, OTHER)
    (bank / JOURNAL_NAME).write_text('{"version": 1, "renames": [["../../etc/x", "items/a"]]}')
    result = subprocess.run(
        [sys.executable, "-m", "psychometrics", "bank", "lint", str(bank)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert JOURNAL_NAME in result.stderr and "outside the bank" in result.stderr


# ---------------------------------------------------------------- the build's report swap

SWAP = """
    import os, signal, sys
    from pathlib import Path
    from psychometrics.program.build.output import _swap_in
    k = int(sys.argv[3])
    real = os.replace
    count = [0]
    def replace(src, dst, *a, **kw):
        if count[0] == k:
            os.kill(os.getpid(), signal.SIGKILL)
        count[0] += 1
        return real(src, dst, *a, **kw)
    os.replace = replace
    _swap_in(Path(sys.argv[1]), Path(sys.argv[2]))
"""


def _report(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "index.html").write_text(text)
    (folder / "manifest.json").write_text("{}")
    return folder


@pytest.mark.parametrize("k", [0, 1])
def test_killed_report_swap_is_recovered_by_the_next_build(tmp_path, k):
    reports = tmp_path / "reports"
    out = _report(reports / "cred", "old")
    tmp = _report(reports / ".cred.tmp-abc", "new")
    proc = _run(SWAP, str(tmp), str(out), str(k))
    proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL
    if k == 1:
        assert not out.exists()  # the window the recovery exists for
    done = recover_report_dir(out)
    assert done
    assert (out / "index.html").read_text() == "old"
    assert sorted(p.name for p in reports.iterdir()) == ["cred"]


def test_report_swap_leftovers_after_a_finished_swap_are_cleaned(tmp_path):
    reports = tmp_path / "reports"
    out = _report(reports / "cred", "new")
    _report(reports / ".cred.old-xyz" / "previous", "old")
    _report(reports / ".cred.tmp-123", "half")
    _report(reports / "other", "someone else's")
    recover_report_dir(out)
    assert (out / "index.html").read_text() == "new"
    assert sorted(p.name for p in reports.iterdir()) == ["cred", "other"]
    shutil.rmtree(reports)
    assert recover_report_dir(out) == []


def test_the_lock_excludes_another_thread_and_is_reentrant_in_one(tmp_path):
    import threading

    from psychometrics.bank.journal import LOCK_NAME, bank_lock

    order: list[str] = []
    inside = threading.Event()
    with bank_lock(tmp_path):
        with bank_lock(tmp_path):  # the same thread again: no deadlock
            order.append("outer")

            def other() -> None:
                with bank_lock(tmp_path):
                    order.append("other")
                inside.set()

            thread = threading.Thread(target=other)
            thread.start()
            assert not inside.wait(0.5)  # blocked while this thread holds the lock
            order.append("release")
    thread.join(timeout=60)
    assert order == ["outer", "release", "other"]
    assert not (tmp_path / LOCK_NAME).exists()
