"""File modes: new files and folders get the umask's mode, replaced files keep theirs, and only an
explicit ``mode`` (for secrets) overrides that (issue 11, item 9)."""

from __future__ import annotations

import os
import stat
import sys

import pytest
from click.testing import CliRunner
from test_bank_lint import BASE, OTHER, write_bank
from test_calibration_bank import _letters_csv, small_bank  # noqa: F401 - a fixture

from psychometrics import fileio
from psychometrics.bank.update import update_item_parameters
from psychometrics.cli import main
from psychometrics.irt.models import ItemParameters

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")

FILE_MODE = {0o022: 0o644, 0o027: 0o640}
DIR_MODE = {0o022: 0o755, 0o027: 0o750}


@pytest.fixture(params=[0o022, 0o027], ids=["umask022", "umask027"])
def umask(request):
    """Run the test under this umask; the previous one is restored afterwards."""
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


@pytest.fixture()
def umask022():
    old = os.umask(0o022)
    try:
        yield 0o022
    finally:
        os.umask(old)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def item_files(bank):
    return sorted((bank / "items").iterdir())


# ---------------------------------------------------------------- fileio


def test_current_umask_reads_without_changing_it(umask):
    assert fileio.current_umask() == umask
    assert fileio.current_umask() == umask
    assert os.umask(umask) == umask  # still set
    assert fileio.new_file_mode() == FILE_MODE[umask]
    assert fileio.new_dir_mode() == DIR_MODE[umask]


def test_current_umask_without_proc(umask, monkeypatch):
    real_open = open

    def no_proc(path, *args, **kwargs):
        if str(path) == "/proc/self/status":
            raise FileNotFoundError(path)
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr("builtins.open", no_proc)
    assert fileio.current_umask() == umask
    monkeypatch.undo()
    assert os.umask(umask) == umask  # restored after the read


def test_new_file_gets_the_umask_mode(tmp_path, umask):
    target = tmp_path / "new.txt"
    fileio.atomic_write_text(target, "hello\n")
    assert target.read_text() == "hello\n"
    assert mode(target) == FILE_MODE[umask]
    binary = tmp_path / "sub" / "new.bin"  # missing parent folders get the umask's mode too
    fileio.atomic_write_bytes(binary, b"\x00\x01")
    assert mode(binary) == FILE_MODE[umask]
    assert mode(tmp_path / "sub") == DIR_MODE[umask]
    assert not [p for p in tmp_path.rglob(".*")]


@pytest.mark.parametrize("existing", [0o664, 0o600, 0o640])
def test_replaced_file_keeps_its_mode(tmp_path, umask, existing):
    target = tmp_path / "shared.csv"
    target.write_text("old\n")
    os.chmod(target, existing)
    fileio.atomic_write_text(target, "new\n")
    assert target.read_text() == "new\n"
    assert mode(target) == existing


def test_forced_mode_for_secrets(tmp_path, umask):
    new = tmp_path / "key.pem"
    fileio.atomic_write_text(new, "secret\n", mode=0o600)
    assert mode(new) == 0o600
    shared = tmp_path / "was-shared.pem"
    shared.write_text("old\n")
    os.chmod(shared, 0o644)
    fileio.atomic_write_bytes(shared, b"secret\n", mode=0o600)
    assert mode(shared) == 0o600
    assert shared.read_bytes() == b"secret\n"


def test_failed_write_leaves_the_original_and_no_temporary_file(tmp_path, umask, monkeypatch):
    target = tmp_path / "data.csv"
    target.write_text("old\n")
    os.chmod(target, 0o664)

    def broken(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError, match="No space"):
        fileio.atomic_write_text(target, "new\n")
    monkeypatch.undo()
    assert target.read_text() == "old\n" and mode(target) == 0o664
    assert [p.name for p in tmp_path.iterdir()] == ["data.csv"]


def test_write_temporary_file_has_the_target_mode(tmp_path, umask):
    target = tmp_path / "item.yaml"
    tmp = fileio.write_temporary_file(target, b"x: 1\n")
    assert tmp.parent == tmp_path and tmp.name.startswith(".item.yaml.")
    assert mode(tmp) == FILE_MODE[umask]
    tmp.unlink()
    target.write_text("x: 0\n")
    os.chmod(target, 0o664)
    tmp = fileio.write_temporary_file(target, b"x: 1\n", suffix=".restore")
    assert tmp.name.endswith(".restore") and mode(tmp) == 0o664
    assert fileio.write_temporary_file(target, b"", mode=0o600).stat().st_mode & 0o777 == 0o600


def test_make_temporary_dir_gets_the_umask_mode(tmp_path, umask):
    first = fileio.make_temporary_dir(tmp_path, ".report.tmp-")
    second = fileio.make_temporary_dir(tmp_path, ".report.tmp-")
    assert first != second
    for folder in (first, second):
        assert folder.is_dir() and folder.parent == tmp_path
        assert folder.name.startswith(".report.tmp-")
        assert mode(folder) == DIR_MODE[umask]
        assert not list(folder.iterdir())


def test_make_temporary_dir_in_a_missing_parent_fails(tmp_path, umask):
    with pytest.raises(FileNotFoundError):
        fileio.make_temporary_dir(tmp_path / "missing", "x-")


# ---------------------------------------------------------------- bank writes


def test_bank_status_keeps_modes(tmp_path, umask):
    bank = write_bank(tmp_path, BASE, OTHER)
    first, second = item_files(bank)
    os.chmod(first, 0o644)
    os.chmod(second, 0o664)
    r = run("bank", "status", "DA-0001", "DA-0002", "--to", "suspended", "--bank", bank)
    assert r.exit_code == 0, r.output
    assert "status: suspended" in first.read_text()
    assert mode(first) == 0o644 and mode(second) == 0o664


def test_bank_new_gets_the_umask_mode(tmp_path, umask):
    bank = write_bank(tmp_path, BASE, OTHER)
    r = run("bank", "new", "--outcome", "DA1", "--bank", bank)
    assert r.exit_code == 0, r.output
    path = bank / "items" / "DA-0003.yaml"
    assert r.stdout.strip() == str(path)
    assert mode(path) == FILE_MODE[umask]


def test_bank_new_without_hard_links_gets_the_umask_mode(tmp_path, umask, monkeypatch):
    bank = write_bank(tmp_path, BASE, OTHER)

    def no_links(src, dst):
        raise OSError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    r = run("bank", "new", "--outcome", "DA1", "--bank", bank)
    assert r.exit_code == 0, r.output
    assert mode(bank / "items" / "DA-0003.yaml") == FILE_MODE[umask]
    assert not [p for p in (bank / "items").iterdir() if p.name.startswith(".")]


def _params():
    return ItemParameters(
        item_ids=("DA-0001", "DA-0002"),
        model=("3pl", "2pl"),
        a=[1.2, 0.9],
        b=[[0.5], [-0.3]],
        c=[0.2, 0.0],
    )


def test_update_item_parameters_keeps_modes(tmp_path, umask):
    bank = write_bank(tmp_path, BASE, OTHER)
    first, second = item_files(bank)
    os.chmod(first, 0o644)
    os.chmod(second, 0o664)
    update_item_parameters(bank, _params(), calibration_id="cal-2")
    assert "cal-2" in first.read_text() and "cal-2" in second.read_text()
    assert mode(first) == 0o644 and mode(second) == 0o664


def test_failed_bank_update_restores_files_with_their_modes(tmp_path, umask, monkeypatch):
    bank = write_bank(tmp_path, BASE, OTHER)
    first, second = item_files(bank)
    os.chmod(first, 0o644)
    os.chmod(second, 0o664)
    before = {p.name: p.read_bytes() for p in item_files(bank)}
    real_replace = os.replace
    calls = {"n": 0}

    def flaky(src, dst):
        calls["n"] += 1
        if calls["n"] == 2:  # the first file is already replaced when the second one fails
            raise OSError(28, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", flaky)
    with pytest.raises(OSError):
        update_item_parameters(bank, _params(), calibration_id="cal-2")
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in item_files(bank)} == before
    assert mode(first) == 0o644 and mode(second) == 0o664


def test_calibrate_update_bank_keeps_0644(small_bank, tmp_path, umask022):  # noqa: F811
    root, items = small_bank
    for path in item_files(root):
        os.chmod(path, 0o644)
    resp = tmp_path / "resp.csv"
    _letters_csv(resp, items, 2500)
    out = tmp_path / "params.csv"
    r = run(
        "calibrate", resp, "--bank", root, "--model", "3pl", "--poly-model", "grm",
        "--out", out, "--update-bank", "--calibration-id", "MODES-1",
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    for path in item_files(root):
        assert "MODES-1" in path.read_text()
        assert mode(path) == 0o644, path.name
    assert mode(out) == 0o644


# ---------------------------------------------------------------- credkit init


def test_init_creates_umask_modes(tmp_path, umask):
    root = tmp_path / "program"
    r = run("init", root)
    assert r.exit_code == 0, r.output
    files = [p for p in root.rglob("*") if p.is_file()]
    folders = [root, *(p for p in root.rglob("*") if p.is_dir())]
    assert len(files) == 5 and len(folders) >= 5
    for path in files:
        assert mode(path) == FILE_MODE[umask], path
    for path in folders:
        assert mode(path) == DIR_MODE[umask], path
    assert not [p for p in root.rglob(".*")]
