"""Reading and scoring examinee responses.

A response file is a CSV in one of two layouts:

wide
    first column the person id, one column per item (header = item id), plus optional group
    columns (kept for DIF) and ignored columns;
long
    columns ``person_id,item_id,response`` and optionally ``form``.

Cells are either integer scores (0/1, or 0..K-1 for polytomous items) or, when a key is given,
option letters scored against it. Missing data follow the design conventions:

* a blank cell means *not presented*: coded :data:`NOT_PRESENTED` and left out of likelihoods;
* the omit code (default ``"*"``) means *presented but unanswered*: flagged in
  :attr:`ResponseMatrix.omitted` and scored 0 unless ``omit_as_wrong=False``, in which case it is
  treated as not presented.

Anything else is an :class:`~psychometrics.errors.InputError` naming the file, line and column.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from psychometrics.errors import InputError
from psychometrics.fileio import csv_rows, iter_csv_rows, read_user_text

NOT_PRESENTED = -1
"""Score code of a cell that was not presented to the person (blank in the CSV)."""

MAX_FILE_BYTES = 2 * 1024**3
MAX_CELL_CHARS = 1000
"""Longest cell of a response file: a response is an option list or a score, never an essay."""
BLOCK_CHARS = 16 * 1024**2
"""Characters of response text scored at a time (bounds the text held in memory, ~64 MB)."""


@dataclass(frozen=True)
class ItemKey:
    """How one item's raw responses are scored.

    Attributes
    ----------
    options
        The option letters the item offers (``("A", "B", "C", "D")``); ``None`` for an item whose
        responses are already integer scores (e.g. a rubric item).
    correct
        The keyed option(s). A response scores 1 when the set of letters chosen equals this set
        (several letters may be written together, ``"AC"``, or separated by ``;``).
    max_score
        Highest integer score of an already-scored item (``K - 1``); ``None`` if unknown.
    """

    options: tuple[str, ...] | None = None
    correct: frozenset[str] | None = None
    max_score: int | None = None

    @property
    def is_keyed(self) -> bool:
        return self.correct is not None


@dataclass(frozen=True)
class ResponseMatrix:
    """Scored responses of persons (rows) to items (columns).

    Attributes
    ----------
    person_ids, item_ids
        Row and column labels.
    scores
        ``int16`` array of shape ``(n_persons, n_items)``; :data:`NOT_PRESENTED` (-1) where the
        item was not presented.
    omitted
        Boolean array, True where the item was presented but left unanswered.
    groups
        Group columns (e.g. a demographic variable for DIF), each an array of strings of length
        ``n_persons``.
    raw
        The raw cell text (option letters) when the responses were keyed, else ``None``; used for
        distractor analysis.
    forms
        Per-person form label in long files that carry one, else ``None``.
    source
        The file the responses came from, if any.
    """

    person_ids: tuple[str, ...]
    item_ids: tuple[str, ...]
    scores: np.ndarray
    omitted: np.ndarray
    groups: Mapping[str, np.ndarray] = field(default_factory=dict)
    raw: np.ndarray | None = None
    forms: np.ndarray | None = None
    source: str | None = None

    @property
    def n_persons(self) -> int:
        return self.scores.shape[0]

    @property
    def n_items(self) -> int:
        return self.scores.shape[1]

    @property
    def presented(self) -> np.ndarray:
        """Boolean mask of the cells that enter the likelihood."""
        return self.scores != NOT_PRESENTED

    def n_categories(self) -> np.ndarray:
        """Number of score categories per item: highest observed score + 1 (at least 2)."""
        return np.maximum(self.scores.max(axis=0, initial=0) + 1, 2).astype(int)

    def sum_scores(self) -> np.ndarray:
        """Sum of the presented scores per person (not-presented cells count as nothing)."""
        return np.where(self.presented, self.scores, 0).sum(axis=1)

    def constant_items(self) -> list[str]:
        """Items whose presented responses all have the same score (no variance) or none at all."""
        out = []
        for j, item in enumerate(self.item_ids):
            col = self.scores[:, j]
            col = col[col != NOT_PRESENTED]
            if col.size == 0 or np.all(col == col[0]):
                out.append(item)
        return out

    def empty_persons(self) -> list[str]:
        """Persons with no presented response."""
        mask = ~self.presented.any(axis=1)
        return [p for p, m in zip(self.person_ids, mask, strict=True) if m]

    def select_items(self, item_ids: Sequence[str]) -> ResponseMatrix:
        """A new matrix with only ``item_ids`` (in that order)."""
        index = {item: j for j, item in enumerate(self.item_ids)}
        missing = [i for i in item_ids if i not in index]
        if missing:
            raise InputError(f"unknown item ids: {', '.join(missing)}", field="items")
        cols = [index[i] for i in item_ids]
        return ResponseMatrix(
            person_ids=self.person_ids,
            item_ids=tuple(item_ids),
            scores=self.scores[:, cols],
            omitted=self.omitted[:, cols],
            groups=self.groups,
            raw=None if self.raw is None else self.raw[:, cols],
            forms=self.forms,
            source=self.source,
        )

    def select_persons(self, mask: np.ndarray) -> ResponseMatrix:
        """A new matrix with the persons where ``mask`` is True."""
        mask = np.asarray(mask, dtype=bool)
        return ResponseMatrix(
            person_ids=tuple(p for p, m in zip(self.person_ids, mask, strict=True) if m),
            item_ids=self.item_ids,
            scores=self.scores[mask],
            omitted=self.omitted[mask],
            groups={k: v[mask] for k, v in self.groups.items()},
            raw=None if self.raw is None else self.raw[mask],
            forms=None if self.forms is None else self.forms[mask],
            source=self.source,
        )


def from_array(
    scores: np.ndarray,
    *,
    item_ids: Sequence[str] | None = None,
    person_ids: Sequence[str] | None = None,
    groups: Mapping[str, Sequence[str]] | None = None,
) -> ResponseMatrix:
    """Wrap an in-memory score array (NaN or -1 = not presented) as a :class:`ResponseMatrix`."""
    arr = np.asarray(scores, dtype=float)
    if arr.ndim != 2:
        raise ValueError(f"scores must be 2-D (persons x items), got shape {arr.shape}")
    missing = np.isnan(arr) | (arr == NOT_PRESENTED)
    if np.any((arr[~missing] < 0) | (arr[~missing] != np.round(arr[~missing]))):
        raise ValueError("scores must be non-negative integers, NaN or -1 (not presented)")
    out = np.where(missing, NOT_PRESENTED, arr).astype(np.int16)
    n, m = out.shape
    items = tuple(item_ids) if item_ids is not None else tuple(f"item{j + 1}" for j in range(m))
    persons = tuple(person_ids) if person_ids is not None else tuple(str(i + 1) for i in range(n))
    if len(items) != m or len(persons) != n:
        raise ValueError("item_ids/person_ids do not match the shape of scores")
    return ResponseMatrix(
        person_ids=persons,
        item_ids=items,
        scores=out,
        omitted=np.zeros_like(out, dtype=bool),
        groups={k: np.asarray(v, dtype=str) for k, v in (groups or {}).items()},
    )


def read_responses(
    path: str | os.PathLike[str],
    *,
    group: Sequence[str] = (),
    ignore: Sequence[str] = (),
    key: Mapping[str, ItemKey] | None = None,
    omit_code: str = "*",
    omit_as_wrong: bool = True,
    long: bool = False,
) -> ResponseMatrix:
    """Read a response CSV (wide or long) and score it.

    Parameters
    ----------
    path
        The CSV file.
    group
        Names of columns that hold person groups (kept in :attr:`ResponseMatrix.groups`).
    ignore
        Names of columns to skip.
    key
        Item id -> :class:`ItemKey`. Without a key every cell must be an integer score; with one,
        every item column must be in it.
    omit_code
        Cell text meaning "presented but not answered".
    omit_as_wrong
        Score omitted cells 0 (default) or treat them as not presented.
    long
        Read the long layout ``person_id,item_id,response[,form]``.

    Raises
    ------
    InputError
        For a missing or unreadable file, duplicate ids, and any cell that cannot be scored; the
        message names the line and column.
    """
    path = Path(path)
    if not long:
        return _read_wide(
            path, group=group, ignore=ignore, key=key, omit_code=omit_code,
            omit_as_wrong=omit_as_wrong,
        )  # fmt: skip
    rows = csv_rows(read_user_text(path, max_bytes=MAX_FILE_BYTES), path)
    while rows and not any(cell.strip() for cell in rows[-1]):
        rows.pop()
    if not rows:
        raise InputError("the file is empty", file=path)
    _check_cell_lengths(rows, path)
    person_ids, item_ids, cells, lines, groups, forms = _pivot_long(rows, path, group)
    scores, omitted, raw = _score_cells(
        cells, lines, item_ids, path, key=key, omit_code=omit_code, omit_as_wrong=omit_as_wrong
    )
    return ResponseMatrix(
        person_ids=tuple(person_ids),
        item_ids=tuple(item_ids),
        scores=scores,
        omitted=omitted,
        groups=groups,
        raw=_compact(raw),
        forms=forms,
        source=str(path),
    )


def _check_cell_lengths(rows, path, first_line: int = 1) -> None:
    for offset, row in enumerate(rows):
        if row and max(map(len, row)) > MAX_CELL_CHARS:
            col = next(k for k, cell in enumerate(row) if len(cell) > MAX_CELL_CHARS)
            raise InputError(
                f"cell {col + 1} holds more than {MAX_CELL_CHARS} characters",
                file=path,
                line=first_line + offset,
            )


def _compact(raw: np.ndarray | None) -> np.ndarray | None:
    """The raw responses in the narrowest string type that holds them."""
    if raw is None or raw.size == 0:
        return raw
    width = max(int(np.char.str_len(raw).max()), 1)
    return raw.astype(f"U{width}")


def _read_wide(path, *, group, ignore, key, omit_code, omit_as_wrong) -> ResponseMatrix:
    """Stream a wide file in blocks of rows: each block is scored (int16) as soon as it is read,
    so memory holds the scores plus one block of text, never the whole file as strings."""
    rows = iter_csv_rows(path, max_bytes=MAX_FILE_BYTES)
    header_row = next((row for _, row in rows if any(cell.strip() for cell in row)), None)
    if header_row is None:
        raise InputError("the file is empty", file=path)
    _check_cell_lengths([header_row], path)
    header, item_cols, seen = _wide_header(header_row, path, group, ignore)
    item_ids = [header[p] for p in item_cols]
    person_ids: list[str] = []
    blocks: list[tuple[np.ndarray, np.ndarray, np.ndarray | None]] = []
    group_blocks: dict[str, list[np.ndarray]] = {name: [] for name in group}
    pending: list[tuple[int, list[str]]] = []
    blank_tail: list[tuple[int, list[str]]] = []
    width = 1
    first_seen: dict[str, int] = {}

    def flush() -> None:
        nonlocal width
        if not pending:
            return
        lines = np.array([line for line, _ in pending])
        body = [row for _, row in pending]
        ids = [row[0].strip() for row in body]
        _check_person_ids(ids, path, lines, first_seen)
        person_ids.extend(ids)
        matrix = np.array(body, dtype=f"U{width}")
        cells = matrix[:, item_cols]
        line_grid = np.broadcast_to(lines[:, None], cells.shape)
        blocks.append(
            _score_cells(
                cells,
                line_grid,
                item_ids,
                path,
                key=key,
                omit_code=omit_code,
                omit_as_wrong=omit_as_wrong,
            )  # fmt: skip
        )
        for name in group:
            group_blocks[name].append(_compact(np.char.strip(matrix[:, seen[name]])))
        pending.clear()
        width = 1

    for line, row in rows:
        if not any(cell.strip() for cell in row):
            blank_tail.append((line, row))  # blank lines count only if data follow
            continue
        for blank_line, blank in blank_tail:
            _check_row(blank, header, path, blank_line)
        blank_tail.clear()
        _check_row(row, header, path, line)
        longest = max(map(len, row))
        if longest > MAX_CELL_CHARS:
            col = next(k for k, cell in enumerate(row) if len(cell) > MAX_CELL_CHARS)
            raise InputError(
                f"cell holds more than {MAX_CELL_CHARS} characters",
                file=path,
                line=line,
                field=header[col],
            )
        width = max(width, longest)
        pending.append((line, row))
        if len(pending) * len(header) * width >= BLOCK_CHARS:
            flush()
    flush()
    if not person_ids:
        scores = np.zeros((0, len(item_ids)), dtype=np.int16)
        omitted = np.zeros((0, len(item_ids)), dtype=bool)
        raw = None
    else:
        scores = np.concatenate([b[0] for b in blocks])
        omitted = np.concatenate([b[1] for b in blocks])
        raws = [b[2] for b in blocks]
        raw = None if any(r is None for r in raws) else np.concatenate(raws)
    groups = {
        name: np.concatenate(parts) if parts else np.zeros(0, dtype=str)
        for name, parts in group_blocks.items()
    }
    return ResponseMatrix(
        person_ids=tuple(person_ids),
        item_ids=tuple(item_ids),
        scores=scores,
        omitted=omitted,
        groups=groups,
        raw=raw,
        forms=None,
        source=str(path),
    )


def _check_row(row, header, path, line) -> None:
    if len(row) != len(header):
        raise InputError(
            f"has {len(row)} cells, the header has {len(header)}", file=path, line=line
        )


def _wide_header(header_row, path, group, ignore):
    header = [h.strip() for h in header_row]
    if len(header) < 2:
        raise InputError("need a person id column and at least one item column", file=path, line=1)
    seen: dict[str, int] = {}
    for pos, name in enumerate(header):
        if not name:
            raise InputError(f"column {pos + 1} has an empty header", file=path, line=1)
        if name in seen:
            raise InputError(f"duplicate column '{name}'", file=path, line=1, field=name)
        seen[name] = pos
    for name in (*group, *ignore):
        if name not in seen:
            raise InputError(f"column '{name}' is not in the header", file=path, line=1, field=name)
        if seen[name] == 0:
            raise InputError("the first column is the person id", file=path, line=1, field=name)
    item_cols = [p for p in range(1, len(header)) if header[p] not in (*group, *ignore)]
    if not item_cols:
        raise InputError("no item columns left", file=path, line=1)
    return header, item_cols, seen


def _pivot_long(rows, path, group):
    header = [h.strip().lower() for h in rows[0]]
    required = ["person_id", "item_id", "response"]
    for name in required:
        if name not in header:
            raise InputError(f"long format needs a '{name}' column", file=path, line=1)
    col = {name: header.index(name) for name in header}
    for name in group:
        if name.lower() not in col:
            raise InputError(f"column '{name}' is not in the header", file=path, line=1)
    body = rows[1:]
    persons: dict[str, int] = {}
    items: dict[str, int] = {}
    entries = []
    for lineno, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise InputError(
                f"has {len(row)} cells, the header has {len(header)}", file=path, line=lineno
            )
        pid, iid = row[col["person_id"]].strip(), row[col["item_id"]].strip()
        if not pid or not iid:
            raise InputError("empty person_id or item_id", file=path, line=lineno)
        p = persons.setdefault(pid, len(persons))
        i = items.setdefault(iid, len(items))
        entries.append((p, i, row[col["response"]], lineno, row))
    cells = np.full((len(persons), len(items)), "", dtype=object)
    lines = np.zeros((len(persons), len(items)), dtype=int)
    forms = np.full(len(persons), "", dtype=object) if "form" in col else None
    groups = {name: np.full(len(persons), "", dtype=object) for name in group}
    for p, i, value, lineno, row in entries:
        if lines[p, i]:
            raise InputError(
                f"person '{row[col['person_id']]}' answers item '{row[col['item_id']]}' twice "
                f"(first on line {lines[p, i]})",
                file=path,
                line=lineno,
            )
        cells[p, i] = value
        lines[p, i] = lineno
        if forms is not None:
            forms[p] = row[col["form"]].strip()
        for name in group:
            groups[name][p] = row[col[name.lower()]].strip()
    cells = cells.astype(str)
    groups = {k: v.astype(str) for k, v in groups.items()}
    return (
        list(persons),
        list(items),
        cells,
        lines,
        groups,
        None if forms is None else forms.astype(str),
    )


def _check_person_ids(person_ids, path, lines, seen: dict[str, int] | None = None) -> None:
    """Empty or repeated person ids (``seen`` carries the ids of earlier blocks)."""
    seen = {} if seen is None else seen
    for pid, line in zip(person_ids, lines, strict=True):
        line = int(line)
        if not pid:
            raise InputError("empty person id", file=path, line=line)
        if pid in seen:
            raise InputError(
                f"duplicate person id '{pid[:80]}' (first on line {seen[pid]})",
                file=path,
                line=line,
            )
        seen[pid] = line


def _score_cells(cells, lines, item_ids, path, *, key, omit_code, omit_as_wrong):
    n, m = cells.shape
    stripped = np.char.strip(np.asarray(cells, dtype=str))
    scores = np.full((n, m), NOT_PRESENTED, dtype=np.int16)
    omitted = stripped == omit_code
    keyed_any = False
    for j, item in enumerate(item_ids):
        item_key = None
        if key is not None:
            item_key = key.get(item)
            if item_key is None:
                raise InputError(f"item '{item}' is not in the key", file=path, line=1, field=item)
        col = stripped[:, j]
        values, inverse = np.unique(col, return_inverse=True)
        mapped = np.empty(len(values), dtype=np.int16)
        for u, value in enumerate(values):
            mapped[u] = _score_value(value, item_key, omit_code, omit_as_wrong)
            if mapped[u] == _BAD:
                row = int(np.flatnonzero(inverse == u)[0])
                line = int(lines[row, j])
                raise InputError(
                    _bad_cell_message(value, item_key), file=path, line=line, field=item
                )
        scores[:, j] = mapped[inverse]
        keyed_any = keyed_any or (item_key is not None and item_key.is_keyed)
    raw = _compact(stripped) if keyed_any else None
    return scores, omitted, raw


_BAD = -2


def _score_value(value: str, item_key: ItemKey | None, omit_code: str, omit_as_wrong: bool) -> int:
    if value == "":
        return NOT_PRESENTED
    if value == omit_code:
        return 0 if omit_as_wrong else NOT_PRESENTED
    if item_key is not None and item_key.is_keyed:
        chosen = _parse_choice(value)
        if not chosen or not chosen <= set(item_key.options or ()):
            return _BAD
        return int(chosen == item_key.correct)
    try:
        score = int(value)
    except ValueError:
        try:
            as_float = float(value)
        except ValueError:
            return _BAD
        if not as_float.is_integer():
            return _BAD
        score = int(as_float)
    if score < 0 or score > 1000:
        return _BAD
    if item_key is not None and item_key.max_score is not None and score > item_key.max_score:
        return _BAD
    return score


def _parse_choice(value: str) -> frozenset[str]:
    """The letters of a response (``B``, ``AC``, ``A;C``); empty when a letter repeats (``AA``
    is no answer a candidate can give, so it is not read as ``A``)."""
    if ";" in value or "," in value or " " in value:
        parts = value.replace(",", ";").replace(" ", ";").split(";")
        letters = [p.strip().upper() for p in parts if p.strip()]
    else:
        letters = list(value.upper())
    chosen = frozenset(letters)
    return chosen if len(chosen) == len(letters) else frozenset()


def _bad_cell_message(value: str, item_key: ItemKey | None) -> str:
    shown = value if len(value) <= 20 else value[:17] + "..."
    if item_key is not None and item_key.is_keyed:
        opts = ", ".join(item_key.options or ())
        return f"response '{shown}' is not an option of the item (options: {opts})"
    if item_key is not None and item_key.max_score is not None:
        return f"'{shown}' is not an integer score in 0..{item_key.max_score}"
    return f"'{shown}' is not an integer score (or blank for not presented)"


def read_key_csv(path: str | os.PathLike[str]) -> dict[str, ItemKey]:
    """Read a scoring key CSV: columns ``item_id,key`` and optionally ``options``, ``max_score``.

    ``key`` holds the keyed letter(s) (``B``, ``AC`` or ``A;C``); ``options`` the letters offered
    (``ABCD`` or ``A;B;C;D``; default ``A``-``D``, widened to the highest keyed letter). A row
    with an empty key is an already-scored item, 0..``max_score`` when that column is given.

    Raises
    ------
    InputError
        Missing columns, duplicate or empty item ids, a key that is not one of the options, a bad
        ``max_score``; the message names the line and column.
    """
    path = Path(path)
    rows = csv_rows(read_user_text(path, max_bytes=MAX_FILE_BYTES), path)
    while rows and not any(cell.strip() for cell in rows[-1]):
        rows.pop()
    if not rows:
        raise InputError("the key file is empty", file=path)
    header = [h.strip().lower() for h in rows[0]]
    for name in ("item_id", "key"):
        if name not in header:
            raise InputError(f"the key file needs a '{name}' column", file=path, line=1)
    col = {name: pos for pos, name in enumerate(header)}
    out: dict[str, ItemKey] = {}
    for lineno, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise InputError(
                f"has {len(row)} cells, the header has {len(header)}", file=path, line=lineno
            )
        item = row[col["item_id"]].strip()
        if not item:
            raise InputError("empty item id", file=path, line=lineno, field="item_id")
        if item in out:
            raise InputError(f"duplicate item '{item}'", file=path, line=lineno, field="item_id")
        key_text = row[col["key"]].strip()
        max_text = row[col["max_score"]].strip() if "max_score" in col else ""
        if not key_text:
            max_score = None
            if max_text:
                try:
                    max_score = int(max_text)
                except ValueError:
                    max_score = -1
                if max_score < 1:
                    raise InputError(
                        f"'{max_text}' is not a positive integer",
                        file=path,
                        line=lineno,
                        field="max_score",
                    )
            out[item] = ItemKey(max_score=max_score)
            continue
        correct = _parse_choice(key_text)
        opt_text = row[col["options"]].strip() if "options" in col else ""
        if opt_text:
            options = tuple(sorted(_parse_choice(opt_text)))
        else:
            top = max(max(correct), "D")
            options = tuple(chr(c) for c in range(ord("A"), ord(top) + 1))
        bad = sorted(correct - set(options))
        if bad or not all(len(o) == 1 and o.isalnum() for o in correct):
            raise InputError(
                f"key '{key_text}' is not among the options ({', '.join(options)})",
                file=path,
                line=lineno,
                field="key",
            )
        out[item] = ItemKey(options=options, correct=correct)
    if not out:
        raise InputError("the key file has no items", file=path)
    return out
