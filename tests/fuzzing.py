"""Loaders, seed files and mutations for the fuzz tests and the fuzz benchmark.

Every loader takes a path and either returns (the input was accepted) or raises
:class:`~psychometrics.errors.CredkitError` (a clean error). Anything else escaping is a traceback
for the user. Mutations are of two kinds: *blind* ones (bytes flipped, lines dropped, repeated or
cut, junk inserted), whose outcome may be either, and *invalid* ones, each of which breaks a rule
the loader must enforce, so that accepting it is a silent acceptance.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from psychometrics.bank.specinfo import read_spec_info
from psychometrics.bank.store import read_item_file
from psychometrics.errors import CredkitError, InputError
from psychometrics.irt.models import ItemParameters
from psychometrics.irt.params_io import params_to_csv, read_params
from psychometrics.responses import ItemKey, read_key_csv, read_responses
from psychometrics.standard_setting.ratings import check_ratings_against, read_ratings

ROOT = Path(__file__).resolve().parents[1]

ITEM = (ROOT / "item_bank" / "items" / "DA-0002.yaml").read_text(encoding="utf-8")
SPEC = (ROOT / "specs" / "data-analytics-fundamentals.yaml").read_text(encoding="utf-8")
PARAMS = params_to_csv(
    ItemParameters(
        item_ids=("I1", "I2", "R1"),
        model=("3pl", "2pl", "grm"),
        a=np.array([1.1, 0.8, 1.4]),
        b=np.array([[0.2, np.nan], [-0.5, np.nan], [-0.7, 0.6]]),
        c=np.array([0.18, 0.0, 0.0]),
    )
)
RATING_PARAMS = ItemParameters(
    item_ids=("I1", "I2", "R1"),
    model=("2pl", "2pl", "grm"),
    a=np.ones(3),
    b=np.array([[0.0, np.nan], [0.5, np.nan], [-0.5, 0.5]]),
    c=np.zeros(3),
)
RATINGS = "rater,item_id,rating,round\n" + "".join(
    f"R{r},{i},{v},{rnd}\n"
    for rnd in (1, 2)
    for r in (1, 2, 3)
    for i, v in (("I1", 0.6), ("I2", 0.45), ("R1", 1.2))
)
KEY_CSV = "item_id,key,options,max_score\nI1,B,ABCD,\nI2,AC,ABCDE,\nR1,,,2\n"
KEY = {
    "I1": ItemKey(options=("A", "B", "C", "D"), correct=frozenset("B")),
    "I2": ItemKey(options=("A", "B", "C", "D", "E"), correct=frozenset("AC")),
    "R1": ItemKey(max_score=2),
}
RESPONSES = "person_id,I1,I2,R1\n" + "".join(
    f"P{k:03d},{'ABCD'[k % 4]},{['AC', 'B', '*', ''][k % 4]},{k % 3}\n" for k in range(24)
)
SCORED = "person_id,I1,I2,R1\n" + "".join(
    f"P{k:03d},{k % 2},{(k // 2) % 2},{k % 3}\n" for k in range(24)
)


def _item(path: Path) -> None:
    _, findings = read_item_file(path)
    errors = [f for f in findings if f.is_error]
    if errors:
        raise InputError(errors[0].message, file=path, line=errors[0].line)


def _ratings(path: Path) -> None:
    check_ratings_against(read_ratings(path), RATING_PARAMS)


@dataclass(frozen=True)
class Loader:
    name: str
    seed: str
    suffix: str
    load: Callable[[Path], object]
    invalid: tuple[tuple[str, str], ...]
    """(what, replacement) pairs: ``old => new`` edits of the seed that make it invalid."""

    @property
    def file_name(self) -> str:
        return "DA-0002.yaml" if self.name == "item YAML" else f"input{self.suffix}"


LOADERS = (
    Loader(
        "item YAML",
        ITEM,
        ".yaml",
        _item,
        (
            ("key: D", "key: D\nkey: A"),
            ("status: operational", "status: operational\nstatus: draft"),
            ("version: 1", "version: 0"),
            ("type: mcq", "type: essay"),
            ("key: D", "key: Z"),
            ("  model: 3pl", "  model: 4pl"),
            ("cognitive_level: apply", "cognitive_level: memorise"),
            ("id: DA-0002", 'id: "DA-0002\\n"'),
            ("stem: ", 'stem: "bad \\0 nul"\nx_stem: '),
            ("status: operational", "status: 12"),
            ("outcome: DA1", "outcome: [DA1, DA2]"),
            ("  a: ", "  a: -"),
            ("  b: ", "  b: 1e308\n  x_b: "),
            ("  c: ", "  c: 0.9\n  x_c: "),
            ("  a: ", "  a: .nan\n  x_a: "),
            ("key: D", "key: [A, D]"),
            ("rationale: |", "rationale: 12\nx_rationale: |"),
        ),
    ),
    Loader(
        "params CSV",
        PARAMS,
        ".csv",
        read_params,
        (
            ("R1,grm,1.4,,0,,,,-0.7,0.6", "R1,grm,1.4,,0,,,,0.6,-0.7"),
            ("I2,2pl,0.8,-0.5", "I2,2pl,0.8,1e308"),
            ("I2,2pl,0.8", "I2,2pl,-0.8"),
            ("I1,3pl,1.1,0.2,0.18", "I1,3pl,1.1,0.2,1.5"),
            ("I2,2pl,0.8,-0.5,0", "I2,2pl,0.8,-0.5,0.3"),
            ("I2,2pl,0.8,-0.5", "I2,2pl,0.8,nan"),
            ("I2,2pl", "I1,2pl"),
            ("I2,2pl", "I2,4pl"),
            ("I2,2pl,0.8", "I2,2pl,1e308"),
        ),
    ),
    Loader(
        "Angoff ratings",
        RATINGS,
        ".csv",
        _ratings,
        (
            ("R1,I1,0.6,1", "R1,I1,1.5,1"),
            ("R1,I1,0.6,1", "R1,I1,101,1"),
            ("R1,I1,0.6,1", "R1,I1,0.6,"),
            ("R1,I1,0.6,1", "R1,I1,0.6,99999999999999999999"),
            ("R1,I1,0.6,1", "R1,I1,-0.1,1"),
            ("R1,I1,0.6,1", "R1,I1,abc,1"),
            ("R1,R1,1.2,1", "R1,R1,2.5,1"),
            ("R1,I1,0.6,1", "R1,I1,0.6,0"),
            ("R1,I1,0.6,1", "R1,I1,nan,1"),
            ("R2,I1,0.6,1", "R1,I1,0.6,1"),
        ),
    ),
    Loader(
        "responses (keyed)",
        RESPONSES,
        ".csv",
        lambda p: read_responses(p, key=KEY),
        (
            ("P001,B", "P001," + "B" * 1000),
            ("P001,B", "P001,Z"),
            ("P001,B", "P001,BB"),
            ("P002,C", "P001,C"),
            ("P003,D,", "P003,D,,,"),
            ("P002,C,*,2", "P002,C,*,3"),
            ("P001,B", "P001," + "B" * 100_000),
        ),
    ),
    Loader(
        "responses (scored)",
        SCORED,
        ".csv",
        read_responses,
        (
            ("P001,1", "P001,1.5"),
            ("P001,1", "P001,-1"),
            ("P001,1", "P001,x"),
            ("P002,0", "P001,0"),
            ("person_id,I1", "person_id,I2"),
        ),
    ),
    Loader(
        "key CSV",
        KEY_CSV,
        ".csv",
        read_key_csv,
        (
            ("I1,B,ABCD", "I1,Z,ABCD"),
            ("I2,AC", "I1,AC"),
            ("R1,,,2", "R1,,,0"),
            ("R1,,,2", "R1,,,x"),
        ),
    ),
    Loader(
        "spec",
        SPEC,
        ".yaml",
        read_spec_info,
        (
            ("outcomes:", "outcomes: []\nx_outcomes:"),
            ("bank: ../item_bank", "bank: ../item_bank\nbank: ../other"),
            ("  max_overlap:", "  max_overlap: 7\n  x_max_overlap:"),
        ),
    ),
)

BLIND = ("flip", "drop-line", "repeat-line", "truncate", "insert-junk", "swap-lines", "empty")
JUNK = (
    "\x00", "\ufeff", "\r", "\n", '"', "'", ",", ":", "- ", "{", "[", "&a", "*a", "!!python/object",
    "%YAML 1.2\n---\n", "\u2028", "é", "𝒳", "1e999", "-0", "nan", "=HYPERLINK(1)", "\t",
    "<<: *a", "? ", "|", ">", "#", "...", "---", "\\", "\\0", "~", "null", "9" * 40,
)  # fmt: skip


def blind_mutant(text: str, rng: random.Random) -> tuple[str, str]:
    """``(kind, mutated text)`` from one blind mutation of ``text``."""
    kind = rng.choice(BLIND)
    lines = text.splitlines(keepends=True) or [""]
    if kind == "flip" and text:
        data = bytearray(text.encode("utf-8", errors="surrogateescape"))
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        return kind, data.decode("utf-8", errors="surrogateescape")
    if kind == "drop-line":
        del lines[rng.randrange(len(lines))]
    elif kind == "repeat-line":
        k = rng.randrange(len(lines))
        lines.insert(k, lines[k] * rng.randint(1, 3))
    elif kind == "truncate":
        return kind, text[: rng.randrange(len(text) + 1)]
    elif kind == "insert-junk":
        pos = rng.randrange(len(text) + 1)
        return kind, text[:pos] + rng.choice(JUNK) * rng.randint(1, 3) + text[pos:]
    elif kind == "swap-lines" and len(lines) > 1:
        i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    elif kind == "empty":
        return kind, ""
    return kind, "".join(lines)


def invalid_mutant(loader: Loader, rng: random.Random) -> tuple[str, str]:
    """``(what, text)`` with one rule-breaking edit (each edit's ``old`` is in the seed)."""
    old, new = rng.choice(loader.invalid)
    assert old in loader.seed, (loader.name, old)
    return f"{old!r} -> {new!r}", loader.seed.replace(old, new, 1)


def write(path: Path, text: str) -> None:
    path.write_bytes(text.encode("utf-8", errors="surrogateescape"))


def outcome(loader: Loader, path: Path) -> str:
    """``accepted``, ``clean error`` or ``traceback: <type>``."""
    try:
        loader.load(path)
    except CredkitError as exc:
        text = str(exc)
        if "\n" in text.strip() or not text:
            return "traceback: multi-line error"
        return "clean error"
    except Exception as exc:
        return f"traceback: {type(exc).__name__}: {exc}"[:200]
    return "accepted"
