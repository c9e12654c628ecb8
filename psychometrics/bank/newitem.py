"""``credkit bank new``: a draft item file with the next free id and every field to fill."""

from __future__ import annotations

import datetime as _dt
import difflib
import json
import os
import re
from collections import Counter
from collections.abc import Collection
from pathlib import Path

from psychometrics.bank.journal import bank_lock, bank_root
from psychometrics.bank.model import TYPES
from psychometrics.bank.store import item_files, items_dir
from psychometrics.bank.yamlio import dump_item, parse_yaml
from psychometrics.errors import InputError
from psychometrics.fileio import write_temporary_file

ID_NUMBER = re.compile(r"^([A-Za-z][A-Za-z0-9]*)-(\d+)\Z")
DEFAULT_WIDTH = 4


def next_item_id(
    bank_dir: str | os.PathLike[str], *, prefix: str | None = None, outcome: str | None = None
) -> str:
    """The next free id ``PREFIX-NNNN`` of the bank (one sequence for the whole bank).

    The prefix is ``prefix`` if given, else the most common prefix of the bank's ids, else the
    letters of ``outcome`` (``DA1`` -> ``DA``), else ``ITEM``. The number is one more than the
    highest number in use with that prefix, zero-padded to at least 4 digits.
    """
    numbers: dict[str, list[tuple[int, int]]] = {}
    for path in item_files(bank_dir):
        match = ID_NUMBER.match(path.stem)
        if match:
            numbers.setdefault(match.group(1), []).append(
                (int(match.group(2)), len(match.group(2)))
            )
    if prefix is None:
        if numbers:
            prefix = Counter({k: len(v) for k, v in numbers.items()}).most_common(1)[0][0]
        elif outcome:
            letters = re.match(r"[A-Za-z]+", outcome)
            prefix = letters.group(0).upper() if letters else "ITEM"
        else:
            prefix = "ITEM"
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", prefix):
        raise InputError("a prefix is letters and digits, starting with a letter", field="prefix")
    used = numbers.get(prefix, [])
    nxt = max((n for n, _ in used), default=0) + 1
    width = max([DEFAULT_WIDTH, *(w for _, w in used)])
    return f"{prefix}-{nxt:0{width}d}"


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid YAML scalar


def item_template(
    item_id: str,
    *,
    outcome: str,
    item_type: str = "mcq",
    author: str = "",
    today: _dt.date | None = None,
    n_options: int = 4,
) -> str:
    """The YAML text of a new draft item, in the canonical layout (``bank format`` leaves it as
    it is, and checks it like any other file); TODO marks every field to fill."""
    if item_type not in TYPES:
        raise InputError(f"unknown type '{item_type}'; one of: {', '.join(TYPES)}", field="type")
    if not re.fullmatch(r"[A-Za-z0-9._-]+", outcome):
        raise InputError("an outcome id is letters, digits, '.', '_' or '-'", field="outcome")
    if not 3 <= n_options <= 26:
        raise InputError("an item has 3 to 26 options", field="options")
    day = (today or _dt.date.today()).isoformat()
    lines = [
        f"id: {item_id}",
        "version: 1",
        "status: draft",
        f"outcome: {outcome}",
        "cognitive_level: understand",
        f"type: {item_type}",
        "stem: |",
        "  TODO: the stem, in Markdown.",
    ]
    if item_type == "rubric":
        lines += [
            "max_score: 2",
            "score_levels:",
            "  0: TODO what earns 0",
            "  1: TODO what earns 1",
            "  2: TODO what earns 2",
        ]
    else:
        lines.append("options:")
        for k in range(n_options):
            letter = chr(ord("A") + k)
            lines.append(f"  {letter}: TODO option {letter}")
        lines.append("key: [A, B]" if item_type == "msq" else "key: A")
    lines += [
        "rationale: TODO why the key is right and each distractor is wrong",
        "enemies: []",
        "set: null",
        f"author: {_quote(author)}",
        "reviewers: []",
        f"created: {day}",
        f"updated: {day}",
        "expected_seconds: 60",
        "tags: []",
        "irt: null",
        "stats: null",
        "history: []",
        "exposure: null",
    ]
    data, _ = parse_yaml("\n".join(lines) + "\n")
    return dump_item(data)


def new_item(
    bank_dir: str | os.PathLike[str],
    *,
    outcome: str,
    item_type: str = "mcq",
    author: str = "",
    prefix: str | None = None,
    today: _dt.date | None = None,
    outcomes: Collection[str] | None = None,
    outcomes_source: str = "",
) -> Path:
    """Create a draft item file with the next free id; return its path.

    ``outcomes`` (when given) are the outcome ids the bank's items may name, read from
    ``outcomes_source``; any other ``outcome`` is refused, with the closest id as a hint.

    The file is written to a temporary name and linked into place only if no file of that name
    exists (so two writers never overwrite each other's new item).
    """
    if outcomes is not None and outcome not in outcomes:
        hint = difflib.get_close_matches(outcome, list(outcomes), n=1)
        did = f"; did you mean '{hint[0]}'?" if hint else ""
        where = f" of {outcomes_source}" if outcomes_source else ""
        raise InputError(
            f"'{outcome}' is not an outcome{where} (known: {', '.join(outcomes)}){did}",
            field="--outcome",
        )
    with bank_lock(bank_root(bank_dir)):
        return _new_item(bank_dir, outcome, item_type, author, prefix, today)


def _new_item(bank_dir, outcome, item_type, author, prefix, today) -> Path:
    folder = items_dir(bank_dir)
    item_id = next_item_id(bank_dir, prefix=prefix, outcome=outcome)
    text = item_template(item_id, outcome=outcome, item_type=item_type, author=author, today=today)
    target = folder / f"{item_id}.yaml"
    tmp = write_temporary_file(target, text.encode("utf-8"))  # the umask's mode, like open()
    try:
        try:
            os.link(tmp, target)  # atomic, and fails if the name is taken
        except FileExistsError:
            raise InputError(
                "the file already exists; run the command again", file=target
            ) from None
        except OSError:  # a file system without hard links: exclusive create instead
            try:
                with open(target, "x", encoding="utf-8") as handle:
                    handle.write(text)
            except FileExistsError:
                raise InputError(
                    "the file already exists; run the command again", file=target
                ) from None
    finally:
        tmp.unlink(missing_ok=True)
    return target
