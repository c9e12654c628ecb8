"""Property-based fuzzing of QTI import (issue 17): a package whose item XML or zip bytes are
mutated is imported or refused with one InputError, never another exception, and a refused
import leaves the bank as it was. Bounded for CI (derandomized, a few dozen examples)."""

from __future__ import annotations

import io
import random
import shutil
import zipfile
from pathlib import Path

import pytest
from fuzzing import blind_mutant
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from psychometrics.bank.qti import export_qti
from psychometrics.bank.qti_import import import_qti
from psychometrics.bank.store import load_bank
from psychometrics.errors import InputError

ROOT = Path(__file__).resolve().parent.parent
FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)


@pytest.fixture(scope="module")
def seed_package(tmp_path_factory) -> bytes:
    bank = tmp_path_factory.mktemp("seed") / "bank"
    (bank / "items").mkdir(parents=True)
    for item in ("DA-0002", "DA-0003"):
        shutil.copy(ROOT / "item_bank" / "items" / f"{item}.yaml", bank / "items")
    out = bank.parent / "seed.zip"
    export_qti(load_bank(bank), out)
    return out.read_bytes()


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _check(tmp_path: Path, package: bytes) -> None:
    pkg, bank = tmp_path / "p.zip", tmp_path / "bank"
    shutil.rmtree(bank, ignore_errors=True)
    (bank / "items").mkdir(parents=True)
    pkg.write_bytes(package)
    try:
        import_qti(pkg, bank, outcome="DA1", renumber=True)
    except InputError:
        assert not any((bank / "items").iterdir())  # nothing half-written


def test_the_seed_package_imports(tmp_path, seed_package):
    _check(tmp_path, seed_package)
    assert len(list((tmp_path / "bank" / "items").glob("*.yaml"))) == 2


@FUZZ
@given(seed=st.integers(0, 2**32 - 1), rounds=st.integers(1, 3))
def test_mutated_item_xml_never_gives_a_traceback(tmp_path, seed_package, seed, rounds):
    rng = random.Random(seed)
    members = _members(seed_package)
    name = rng.choice(sorted(n for n in members if n.endswith((".xml", ".yaml"))))
    text = members[name].decode("utf-8")
    for _ in range(rounds):
        _, text = blind_mutant(text, rng)
    members[name] = text.encode("utf-8", errors="surrogatepass")
    _check(tmp_path, _zip(members))


@FUZZ
@given(seed=st.integers(0, 2**32 - 1), flips=st.integers(1, 8))
def test_flipped_zip_bytes_never_give_a_traceback(tmp_path, seed_package, seed, flips):
    rng = random.Random(seed)
    data = bytearray(seed_package)
    for _ in range(flips):
        data[rng.randrange(len(data))] = rng.randrange(256)
    _check(tmp_path, bytes(data))
