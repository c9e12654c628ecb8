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

import operator
import os
from collections.abc import Iterator, Mapping, Sequence
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
INT8_CATEGORIES = 127
"""Scores are held as ``int8`` while every item has fewer categories than this (highest score
125 or less), so ``highest score + 1`` and ``+ 1`` on a category count still fit the type."""
BLOCK_CELLS = 1 << 20
"""Cells scored at a time (bounds the csv module's cell strings held in memory)."""


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


class PersonIds(Sequence[str]):
    """Person ids held compactly: one string of all ids and the offset where each ends.

    Behaves like the tuple of ids it replaces (``len``, indexing, slicing, iteration, ``in``,
    equality with a tuple or list, ``np.asarray``), but takes a few bytes per id instead of a
    Python string object each (2,000,000 eight-character ids: 32 MB instead of about 130 MB).
    :func:`read_responses` returns it for wide files.

    Parameters
    ----------
    text
        The ids written one after the other.
    ends
        The offset in ``text`` just past each id (increasing, the last one ``len(text)``).
    """

    __slots__ = ("_text", "_ends")

    def __init__(self, text: str, ends: np.ndarray) -> None:
        ends = np.asarray(ends, dtype=np.int64)
        if ends.ndim != 1 or (ends.size and int(ends[-1]) != len(text)):
            raise ValueError("ends must be one offset per id, the last one len(text)")
        self._text = text
        self._ends = ends

    @classmethod
    def from_strings(cls, ids: Sequence[str]) -> PersonIds:
        """Pack a sequence of id strings."""
        ids = [str(pid) for pid in ids]
        return cls("".join(ids), np.cumsum(np.fromiter(map(len, ids), np.int64, len(ids))))

    def __len__(self) -> int:
        return int(self._ends.size)

    def _bounds(self, i: int) -> tuple[int, int]:
        n = self._ends.size
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError("person index out of range")
        return (int(self._ends[i - 1]) if i else 0), int(self._ends[i])

    def __getitem__(self, index):
        if isinstance(index, slice):
            return self.take(np.arange(len(self))[index])
        start, end = self._bounds(operator.index(index))
        return self._text[start:end]

    def __iter__(self) -> Iterator[str]:
        text, step = self._text, 65_536
        for lo in range(0, self._ends.size, step):
            ends = self._ends[lo : lo + step].tolist()
            start = int(self._ends[lo - 1]) if lo else 0
            for end in ends:
                yield text[start:end]
                start = end

    def take(self, index: np.ndarray) -> PersonIds:
        """The ids at ``index`` (integer positions or a boolean mask), still packed."""
        index = np.asarray(index)
        if index.dtype == bool:
            if index.shape != self._ends.shape:
                raise IndexError("boolean mask does not match the number of persons")
            index = np.flatnonzero(index)
        index = index.astype(np.int64, copy=False)
        starts = np.concatenate([[0], self._ends[:-1]]).astype(np.int64)
        text = self._text
        bounds = zip(starts[index].tolist(), self._ends[index].tolist(), strict=True)
        parts = [text[s:e] for s, e in bounds]
        return PersonIds.from_strings(parts)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PersonIds):
            return self._text == other._text and np.array_equal(self._ends, other._ends)
        if isinstance(other, tuple | list):
            return len(other) == len(self) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __add__(self, other: Sequence[str]) -> tuple[str, ...]:
        return (*self, *other)

    def __radd__(self, other: Sequence[str]) -> tuple[str, ...]:
        return (*other, *self)

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        return np.array(list(self), dtype=str if dtype is None else dtype)

    def __reduce__(self):
        return (PersonIds, (self._text, self._ends))

    def __repr__(self) -> str:
        head = ", ".join(repr(p) for p in self[:3]) if len(self) else ""
        more = ", ..." if len(self) > 3 else ""
        return f"PersonIds([{head}{more}], n={len(self)})"


@dataclass(frozen=True)
class ResponseMatrix:
    """Scored responses of persons (rows) to items (columns).

    Attributes
    ----------
    person_ids, item_ids
        Row and column labels (a tuple of strings, or for a file read by
        :func:`read_responses` the equivalent compact :class:`PersonIds`).
    scores
        Signed integer array of shape ``(n_persons, n_items)``; :data:`NOT_PRESENTED` (-1) where
        the item was not presented. :func:`read_responses` gives the smallest type that holds
        the scores (``int8`` when every score is below 126, else ``int16``): convert before
        arithmetic that could exceed the type's range (sums over axes are promoted by numpy).
    omitted
        Boolean array, True where the item was presented but left unanswered. Read-only and
        taking no memory (a broadcast ``False``) when a file has no omits.
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

    person_ids: tuple[str, ...] | PersonIds
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
            person_ids=(
                self.person_ids.take(mask)
                if isinstance(self.person_ids, PersonIds)
                else tuple(p for p, m in zip(self.person_ids, mask, strict=True) if m)
            ),
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
    """Stream a wide file in blocks of rows, scoring each block as soon as it is read.

    Memory holds the compact result (see :class:`_WideBuilder`) plus one block of text, never the
    whole file as strings: the score matrix is allocated once for at most as many rows as the file
    has lines (pages past the last row are never touched, so they cost no memory), the omit mask
    only when an omit occurs, and the person ids as one string with offsets.
    """
    rows = iter_csv_rows(path, max_bytes=MAX_FILE_BYTES)
    header_row = next((row for _, row in rows if any(cell.strip() for cell in row)), None)
    if header_row is None:
        raise InputError("the file is empty", file=path)
    _check_cell_lengths([header_row], path)
    header, item_cols, seen = _wide_header(header_row, path, group, ignore)
    item_ids = [header[p] for p in item_cols]
    item_keys = []
    for item in item_ids:
        item_key = None
        if key is not None:
            item_key = key.get(item)
            if item_key is None:
                raise InputError(f"item '{item}' is not in the key", file=path, line=1, field=item)
        item_keys.append(item_key)
    keyed = any(k is not None and k.is_keyed for k in item_keys)
    build = _WideBuilder(
        path,
        item_ids,
        item_keys,
        capacity=_line_count(path),
        omit_code=omit_code,
        omit_as_wrong=omit_as_wrong,
        keep_text=keyed,
    )
    group_blocks: dict[str, list[np.ndarray]] = {name: [] for name in group}
    pending: list[list[str]] = []
    pending_lines: list[int] = []
    blank_tail: list[tuple[int, list[str]]] = []
    width = 1

    def flush() -> None:
        nonlocal width
        if not pending:
            return
        columns = list(zip(*pending, strict=True))
        build.add(pending_lines, columns[0], [columns[p] for p in item_cols])
        for name in group:
            group_blocks[name].append(
                _compact(np.array([cell.strip() for cell in columns[seen[name]]], dtype=str))
            )
        pending.clear()
        pending_lines.clear()
        width = 1

    for line, row in rows:
        # (a person id settles it for nearly every row without a generator)
        if not (row and row[0].strip()) and not any(cell.strip() for cell in row):
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
        pending.append(row)
        pending_lines.append(line)
        cells = len(pending) * len(header)
        if cells * width >= BLOCK_CHARS or cells >= BLOCK_CELLS:
            flush()
    flush()
    person_ids, scores, omitted, raw = build.finish()
    groups = {
        name: np.concatenate(parts) if parts else np.zeros(0, dtype=str)
        for name, parts in group_blocks.items()
    }
    return ResponseMatrix(
        person_ids=person_ids,
        item_ids=tuple(item_ids),
        scores=scores,
        omitted=omitted,
        groups=groups,
        raw=raw,
        forms=None,
        source=str(path),
    )


# codes of omitted cells while a block is scored (before they become their score)
_OMIT = -3
_OMIT_BLANK = -4  # the omit code is the empty string: omitted, and not presented


def _line_count(path: Path, chunk: int = 1 << 24) -> int:
    """Lines in the file (newlines + 1): an upper bound on its rows, read without decoding."""
    count = 1
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            count += block.count(b"\n")
    return count


class _WideBuilder:
    """Accumulates scored blocks of a wide file in their final compact form.

    * scores: ``int8`` (``int16`` once a score of 126 or more appears), allocated once for
      ``capacity`` rows (the file's line count); only the rows written are ever touched, so the
      unused tail costs address space but no memory. A file with more rows than lines (bare CR
      line ends) grows the array.
    * omitted: a boolean array allocated (zeroed, so untouched pages stay free) at the first
      omit; without omits, a read-only broadcast ``False`` that takes no memory.
    * raw text (keyed files): the stripped cells in one string array of the narrowest width so
      far, allocated like the scores and widened when a block needs more;
    * person ids: one string and the offsets of each id (:class:`PersonIds`); duplicates are
      found at the end by sorting 64-bit hashes, never by a dict of millions of strings.
    """

    def __init__(self, path, item_ids, item_keys, *, capacity, omit_code, omit_as_wrong, keep_text):
        self.path = path
        self.item_ids = item_ids
        self.item_keys = item_keys
        self.omit_code = omit_code
        self.omit_score = 0 if omit_as_wrong else NOT_PRESENTED
        self.m = len(item_ids)
        self.capacity = max(int(capacity), 1)
        self.scores = np.empty((self.capacity, self.m), dtype=np.int8)
        self.omitted: np.ndarray | None = None
        self.lines = np.empty(self.capacity, dtype=np.int64)
        self.hashes = np.empty(self.capacity, dtype=np.int64)
        self.n = 0
        self.id_text: list[str] = []
        self.id_lengths: list[np.ndarray] = []
        # per item: raw cell text -> score code, and -> stripped text (a few distinct cells each)
        self.codes: list[dict[str, int]] = [{} for _ in item_ids]
        self.stripped: list[dict[str, str]] = [{} for _ in item_ids]
        self.keep_text = keep_text
        self.raw: np.ndarray | None = None  # the stripped cells of keyed files, like scores

    def _grow(self, rows: int) -> None:
        need = self.n + rows
        if need <= self.capacity:
            return
        capacity = max(need, int(self.capacity * 1.5))
        for name in ("scores", "omitted", "raw", "lines", "hashes"):
            old = getattr(self, name)
            if old is None:
                continue
            new = np.zeros((capacity, *old.shape[1:]), dtype=old.dtype)
            new[: self.n] = old[: self.n]
            setattr(self, name, new)
        self.capacity = capacity

    def add(self, lines: list[int], ids: Sequence[str], columns: list[Sequence[str]]):
        """Score one block (and keep its stripped cells when the file is keyed)."""
        n = len(lines)
        ids = [pid.strip() for pid in ids]
        for pid, line in zip(ids, lines, strict=True):
            if not pid:
                raise InputError("empty person id", file=self.path, line=line)
        self._grow(n)
        block = np.empty((n, self.m), dtype=np.int16)
        stripped_columns: list[list[str]] = []
        for j, col in enumerate(columns):
            table = self.codes[j]
            bad = []
            for cell in set(col).difference(table):
                value = cell.strip()
                self.stripped[j][cell] = value
                if value == self.omit_code:
                    code = _OMIT_BLANK if value == "" else _OMIT
                else:
                    code = _score_value(value, self.item_keys[j], self.omit_code, True)
                if code == _BAD:
                    bad.append(col.index(cell))
                table[cell] = code
            if bad:  # the first unscorable cell of the column
                row = min(bad)
                raise InputError(
                    _bad_cell_message(self.stripped[j][col[row]], self.item_keys[j]),
                    file=self.path,
                    line=lines[row],
                    field=self.item_ids[j],
                )
            block[:, j] = np.fromiter(map(table.__getitem__, col), dtype=np.int16, count=n)
            if self.keep_text:
                stripped_columns.append(list(map(self.stripped[j].__getitem__, col)))
        omits = block <= _OMIT
        if omits.any():
            if self.omitted is None:
                self.omitted = np.zeros((self.capacity, self.m), dtype=bool)
            self.omitted[self.n : self.n + n] = omits
            block[block == _OMIT] = self.omit_score
            block[block == _OMIT_BLANK] = NOT_PRESENTED
        if self.scores.dtype == np.int8 and block.size and block.max() >= INT8_CATEGORIES - 1:
            wider = np.empty((self.capacity, self.m), dtype=np.int16)
            wider[: self.n] = self.scores[: self.n]
            self.scores = wider
        self.scores[self.n : self.n + n] = block
        if self.keep_text:
            self._add_raw(_compact(np.array(stripped_columns, dtype=str).T))
        self.lines[self.n : self.n + n] = lines
        self.hashes[self.n : self.n + n] = np.fromiter(map(hash, ids), dtype=np.int64, count=n)
        self.id_text.append("".join(ids))
        self.id_lengths.append(np.fromiter(map(len, ids), dtype=np.int64, count=n))
        self.n += n

    def _add_raw(self, text: np.ndarray) -> None:
        """Store a block's stripped cells, widening the string type when the block needs it."""
        if self.raw is None or self.raw.dtype.itemsize < text.dtype.itemsize:
            wider = np.empty((self.capacity, self.m), dtype=text.dtype)
            if self.raw is not None:
                wider[: self.n] = self.raw[: self.n]
            self.raw = wider
        self.raw[self.n : self.n + text.shape[0]] = text

    def finish(self) -> tuple[PersonIds, np.ndarray, np.ndarray, np.ndarray | None]:
        n = self.n
        lengths = np.concatenate(self.id_lengths) if self.id_lengths else np.zeros(0, np.int64)
        ends = np.cumsum(lengths)
        person_ids = PersonIds("".join(self.id_text), ends)
        self.id_text.clear()
        _check_unique_ids(person_ids, self.hashes[:n], self.lines[:n], self.path)
        scores = self.scores[:n]
        if self.omitted is None:
            omitted = np.broadcast_to(np.False_, scores.shape)
        else:
            omitted = self.omitted[:n]
        raw = None if self.raw is None or n == 0 else self.raw[:n]
        return person_ids, scores, omitted, raw


def _check_unique_ids(person_ids: PersonIds, hashes: np.ndarray, lines: np.ndarray, path) -> None:
    """The first repeated person id in file order, as the streaming check reported it."""
    if hashes.size < 2:
        return
    order = np.argsort(hashes, kind="stable")
    ordered = hashes[order]
    same = np.flatnonzero(ordered[1:] == ordered[:-1])
    if same.size == 0:
        return
    # rows whose hash also belongs to an earlier row: compare the actual ids in file order
    candidates = np.unique(np.concatenate([order[same], order[same + 1]]))
    seen: dict[str, int] = {}
    for row in candidates.tolist():
        pid = person_ids[row]
        if pid in seen:
            raise InputError(
                f"duplicate person id '{pid[:80]}' (first on line {seen[pid]})",
                file=path,
                line=int(lines[row]),
            )
        seen[pid] = int(lines[row])


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
