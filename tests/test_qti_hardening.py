"""QTI packages that used to end in a traceback get one line naming the package and member:
corrupt, encrypted or oddly compressed members, a non-UTF-8 member name, elements nested 1,000
deep, and entity definitions hidden in UTF-16 (issue 17)."""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from psychometrics.cli import main

MANIFEST = (
    '<?xml version="1.0"?><manifest xmlns="http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1"'
    ' identifier="m"><resources><resource identifier="X1" type="imsqti_item_xmlv3p0"'
    ' href="X1.xml"><file href="X1.xml"/></resource></resources></manifest>'
)
ITEM = (
    '<?xml version="1.0"?><qti-assessment-item xmlns="http://www.imsglobal.org/xsd/imsqtiasi_v3p0"'
    ' identifier="X1" title="t"><qti-item-body>{body}</qti-item-body></qti-assessment-item>'
)


def _package(path: Path, item: bytes | str, *, compression=zipfile.ZIP_STORED) -> Path:
    with zipfile.ZipFile(path, "w", compression=compression) as zf:
        zf.writestr("imsmanifest.xml", MANIFEST)
        zf.writestr("X1.xml", item)
    return path


def _patch_flags(path: Path, member: str, *, flags: int | None = None, method: int | None = None):
    """Rewrite a member's general-purpose flags or compression method in both of its headers."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    for signature, flag_at, method_at, name_at in (
        (b"PK\x03\x04", 6, 8, 30),
        (b"PK\x01\x02", 8, 10, 46),
    ):
        start = 0
        while (k := data.find(signature, start)) >= 0:
            start = k + 4
            if data[k + name_at : k + name_at + len(name)] != name:
                continue
            if flags is not None:
                data[k + flag_at : k + flag_at + 2] = struct.pack("<H", flags)
            if method is not None:
                data[k + method_at : k + method_at + 2] = struct.pack("<H", method)
    path.write_bytes(bytes(data))
    return path


def _import(tmp_path: Path, package: Path):
    bank = tmp_path / "bank"
    result = CliRunner().invoke(main, ["bank", "import", str(package), "--into", str(bank)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert not (bank / "items").exists() or not any((bank / "items").iterdir())
    return result.output


def test_a_member_with_a_bad_crc(tmp_path):
    pkg = _package(tmp_path / "p.zip", ITEM.format(body="<p>" + "x" * 200 + "</p>"))
    data = bytearray(pkg.read_bytes())
    k = data.find(b"xxxxxxxx")
    data[k] = ord("y")  # stored, so the CRC no longer matches
    pkg.write_bytes(bytes(data))
    assert "p.zip!X1.xml: cannot read this member" in _import(tmp_path, pkg)


@pytest.mark.parametrize(
    ("flags", "method"), [(1, None), (None, 99)], ids=["encrypted", "method-99"]
)
def test_encrypted_or_unknown_compression(tmp_path, flags, method):
    pkg = _package(tmp_path / "p.zip", ITEM.format(body="<p>x</p>"))
    _patch_flags(pkg, "X1.xml", flags=flags, method=method)
    assert "p.zip" in _import(tmp_path, pkg)


def test_elements_nested_a_thousand_deep(tmp_path):
    pkg = _package(tmp_path / "p.zip", ITEM.format(body="<div>" * 1000 + "x" + "</div>" * 1000))
    assert "p.zip!X1.xml: elements nested more than 200 deep" in _import(tmp_path, pkg)


def test_an_entity_definition_in_utf16_is_refused(tmp_path):
    text = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE a [<!ENTITY x "yyyy">]><a>&x;</a>'
    pkg = _package(tmp_path / "p.zip", text.encode("utf-16"))
    assert "DOCTYPE or entity definitions" in _import(tmp_path, pkg)


@pytest.mark.skipif(not Path("/proc/locks").exists(), reason="needs Linux /proc/locks")
def test_two_concurrent_imports_with_renumber_lose_no_item(tmp_path):
    """Importer A is paused between choosing new ids and writing them, until importer B has
    either written the same files (no lock) or is waiting for the bank's lock; A then writes.
    Without the lock B picks the same ids and one import's items are lost."""
    import shutil
    import subprocess
    import sys
    import time

    root = Path(__file__).resolve().parent.parent
    bank = tmp_path / "bank"
    (bank / "items").mkdir(parents=True)
    for item in ("DA-0002", "DA-0003", "DA-0009"):
        shutil.copy(root / "item_bank" / "items" / f"{item}.yaml", bank / "items")
    pkg = tmp_path / "pkg.zip"
    export = CliRunner().invoke(
        main, ["bank", "export", str(bank), "--format", "qti", "--out", str(pkg)]
    )
    assert export.exit_code == 0, export.output
    marker = tmp_path / "a-chose-ids"
    code = """
import sys, time
from pathlib import Path
import psychometrics.bank.qti_import as qi
real = qi.write_files_transactionally
def slow(texts, **kwargs):
    targets = [p for p in texts if p.suffix == ".yaml"]
    Path(sys.argv[3]).write_text("chosen")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if any(p.exists() for p in targets):
            break
        try:
            if "->" in Path("/proc/locks").read_text():
                break
        except OSError:
            pass
        time.sleep(0.02)
    return real(texts, **kwargs)
qi.write_files_transactionally = slow
qi.import_qti(sys.argv[1], sys.argv[2], renumber=True)
"""
    a = subprocess.Popen(
        [sys.executable, "-c", code, str(pkg), str(bank), str(marker)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert a.poll() is None, a.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.02)
    b = subprocess.run(
        [sys.executable, "-m", "psychometrics", "bank", "import", str(pkg), "--into", str(bank),
         "--renumber"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    _, err_a = a.communicate(timeout=120)
    assert a.returncode == 0, err_a
    assert b.returncode == 0, b.stderr
    files = sorted(p.stem for p in (bank / "items").glob("*.yaml"))
    assert len(files) == 9, files  # 3 originals and both imports' 3 new items
