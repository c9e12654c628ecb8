"""Property-based fuzzing of every loader: a mutated input is accepted or refused with one
clean error, never a traceback; every rule-breaking edit is refused.

Bounded for CI (a few dozen examples per loader, no deadline); the benchmark
``benchmarks/fuzz_loaders.py`` runs thousands of mutants and prints the closing-note table.
"""

from __future__ import annotations

import random

import pytest
from fuzzing import LOADERS, blind_mutant, invalid_mutant, outcome, write
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)


@pytest.mark.parametrize("loader", LOADERS, ids=lambda loader: loader.name)
def test_the_seed_file_is_accepted(tmp_path, loader):
    path = tmp_path / loader.file_name
    write(path, loader.seed)
    assert outcome(loader, path) == "accepted"


@pytest.mark.parametrize("loader", LOADERS, ids=lambda loader: loader.name)
@FUZZ
@given(seed=st.integers(0, 2**32 - 1), rounds=st.integers(1, 3))
def test_blind_mutants_never_give_a_traceback(tmp_path, loader, seed, rounds):
    rng = random.Random(seed)
    text = loader.seed
    for _ in range(rounds):
        _, text = blind_mutant(text, rng)
    path = tmp_path / loader.file_name
    write(path, text)
    assert not outcome(loader, path).startswith("traceback"), outcome(loader, path)


@pytest.mark.parametrize("loader", LOADERS, ids=lambda loader: loader.name)
def test_every_rule_breaking_edit_is_refused(tmp_path, loader):
    path = tmp_path / loader.file_name
    for old, new in loader.invalid:
        write(path, loader.seed.replace(old, new, 1))
        assert outcome(loader, path) == "clean error", (loader.name, old, new)


@FUZZ
@given(text=st.text(max_size=400))
def test_arbitrary_text_in_every_loader(tmp_path, text):
    for loader in LOADERS:
        path = tmp_path / loader.file_name
        write(path, text)
        assert not outcome(loader, path).startswith("traceback"), (loader.name, text)


def test_invalid_mutant_helper_covers_each_edit():
    rng = random.Random(0)
    for loader in LOADERS:
        what, text = invalid_mutant(loader, rng)
        assert text != loader.seed and "->" in what
