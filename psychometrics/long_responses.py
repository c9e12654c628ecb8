"""Long-format responses read in chunks and held sparsely (person -> presented items and scores).

A long file has one row per presented cell, ``person_id,item_id,response[,form]``, the layout
:func:`psychometrics.responses.read_responses` reads with ``long=True``. That reader pivots to a
dense persons x items matrix; this one never does. Rows are read in chunks (the csv module, or
pyarrow for Parquet files), scored with the same rules and error messages, and stored CSR-like:
for person ``i`` the presented items are ``items[indptr[i]:indptr[i + 1]]`` (sorted) and their
scores ``scores[...]``. Memory is about 5 bytes per presented cell plus the ids, so 10 million
persons x 40 presented items take ~2 GB, whatever the bank's size.

Persons need not be contiguous in the file; a person's cells are gathered when the chunks are
merged. Blank responses mean *not presented* (no cell is stored), the omit code is scored 0
(or not presented with ``omit_as_wrong=False``), like the dense reader.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from psychometrics.errors import InputError
from psychometrics.fileio import check_user_file, iter_csv_rows
from psychometrics.responses import (
    _BAD,
    MAX_CELL_CHARS,
    MAX_FILE_BYTES,
    NOT_PRESENTED,
    ItemKey,
    _bad_cell_message,
    _score_value,
)

CHUNK_ROWS = 1_000_000
"""Rows of the file scored at a time (bounds the text held in memory)."""
PARQUET_SUFFIXES = (".parquet", ".pq")
BLOCK_CELLS = 4_000_000
"""Cells per pass of the whole-data summaries (int64 temporaries of ~32 MB)."""


@dataclass(frozen=True)
class SparseResponses:
    """Scored responses held per person as the presented items and their scores (CSR layout).

    Attributes
    ----------
    person_ids, item_ids
        Labels (``person_ids`` a NumPy array of strings: tuples of millions of ids are slow).
    indptr
        ``(n_persons + 1,)`` int64 offsets into ``items`` and ``scores``.
    items
        ``int32`` item positions, sorted within each person.
    scores
        ``int16`` scores (never :data:`~psychometrics.responses.NOT_PRESENTED`).
    forms
        Per-person form label when the file has a ``form`` column, else ``None``.
    source
        The file the responses came from, if any.
    """

    person_ids: np.ndarray
    item_ids: tuple[str, ...]
    indptr: np.ndarray
    items: np.ndarray
    scores: np.ndarray
    forms: np.ndarray | None = None
    source: str | None = None

    @property
    def n_persons(self) -> int:
        return int(self.indptr.size - 1)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    @property
    def n_cells(self) -> int:
        return int(self.items.size)

    @property
    def nbytes(self) -> int:
        """Bytes of the numeric arrays (ids not counted)."""
        return int(self.indptr.nbytes + self.items.nbytes + self.scores.nbytes)

    def n_categories(self, counts: np.ndarray | None = None) -> np.ndarray:
        """Highest observed score + 1 per item (at least 2), as the dense matrix reports it
        (from :meth:`category_counts` when given, saving a pass over the data)."""
        counts = self.category_counts() if counts is None else counts
        seen = counts > 0
        top = np.where(seen.any(axis=1), counts.shape[1] - 1 - np.argmax(seen[:, ::-1], axis=1), 0)
        return np.maximum(top + 1, 2).astype(np.int64)

    def category_counts(self, n_cat: int | None = None, *, cells: int = BLOCK_CELLS) -> np.ndarray:
        """``(n_items, K)`` number of persons with each score on each item."""
        k = int(self.scores.max(initial=0)) + 1 if n_cat is None else int(n_cat)
        out = np.zeros(self.n_items * k, dtype=np.int64)
        for lo, hi in self.cell_blocks(cells):
            flat = self.items[lo:hi].astype(np.int64) * k + self.scores[lo:hi]
            out += np.bincount(flat, minlength=self.n_items * k)
        return out.reshape(self.n_items, k)

    def cell_blocks(self, cells: int = BLOCK_CELLS):
        """``(lo, hi)`` ranges of about ``cells`` cells (bounds the temporaries of a pass)."""
        for lo in range(0, self.n_cells, cells):
            yield lo, min(lo + cells, self.n_cells)

    def persons_with(self, cell_mask_of, *, cells: int = BLOCK_CELLS) -> np.ndarray:
        """Persons with at least one cell where ``cell_mask_of(lo, hi)`` is True (block-wise)."""
        hits = np.zeros(self.n_persons, dtype=bool)
        for lo, hi in self.cell_blocks(cells):
            seen = np.concatenate([[0], np.cumsum(cell_mask_of(lo, hi), dtype=np.int64)])
            # persons whose cells overlap [lo, hi): a count of True cells within their range
            first = int(np.searchsorted(self.indptr, lo, side="right")) - 1
            last = int(np.searchsorted(self.indptr, hi, side="left"))
            starts = np.clip(self.indptr[first:last] - lo, 0, hi - lo)
            stops = np.clip(self.indptr[first + 1 : last + 1] - lo, 0, hi - lo)
            hits[first:last] |= seen[stops] > seen[starts]
        return hits

    def to_dense(self, rows: np.ndarray | slice | None = None) -> np.ndarray:
        """Dense ``int16`` scores (-1 = not presented) of the persons ``rows`` (all by default).

        Meant for small subsets (starting values, tests); never call it on a whole large bank.
        """
        idx = np.arange(self.n_persons)[rows if rows is not None else slice(None)]
        out = np.full((idx.size, self.n_items), NOT_PRESENTED, dtype=np.int16)
        starts, stops = self.indptr[idx], self.indptr[idx + 1]
        lengths = stops - starts
        row = np.repeat(np.arange(idx.size), lengths)
        pos = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
        out[row, self.items[pos]] = self.scores[pos]
        return out


def from_dense(
    scores: np.ndarray,
    *,
    item_ids: tuple[str, ...] | None = None,
    person_ids: np.ndarray | None = None,
) -> SparseResponses:
    """The sparse form of a dense score array (``-1`` = not presented)."""
    arr = np.asarray(scores)
    if arr.ndim != 2:
        raise ValueError(f"scores must be 2-D (persons x items), got shape {arr.shape}")
    if not np.issubdtype(arr.dtype, np.integer):
        raise TypeError("scores must be an integer array (-1 = not presented)")
    n, m = arr.shape
    rows, cols = np.nonzero(arr != NOT_PRESENTED)
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n))]).astype(np.int64)
    items = tuple(item_ids) if item_ids is not None else tuple(f"item{j + 1}" for j in range(m))
    persons = (
        np.asarray(person_ids, dtype=str)
        if person_ids is not None
        else np.arange(1, n + 1).astype(str)
    )
    return SparseResponses(
        person_ids=persons,
        item_ids=items,
        indptr=indptr,
        items=cols.astype(np.int32),
        scores=arr[rows, cols].astype(np.int16),
    )


def read_long(
    path: str | os.PathLike[str],
    *,
    key: Mapping[str, ItemKey] | None = None,
    omit_code: str = "*",
    omit_as_wrong: bool = True,
    chunk_rows: int = CHUNK_ROWS,
) -> SparseResponses:
    """Read long-format responses (CSV, or Parquet with ``credkit[scale]``) into sparse form.

    Parameters
    ----------
    path
        A CSV file, or a ``.parquet``/``.pq`` file (needs pyarrow), with columns
        ``person_id, item_id, response`` and optionally ``form``.
    key, omit_code, omit_as_wrong
        As in :func:`psychometrics.responses.read_responses`.
    chunk_rows
        Rows scored at a time.

    Returns
    -------
    SparseResponses

    Raises
    ------
    InputError
        Missing columns, rows of the wrong width, empty ids, a cell that cannot be scored, a person
        who answers an item twice; the message names the file, line (CSV) or row (Parquet) and
        column, as the dense reader's does.
    """
    if not isinstance(chunk_rows, int | np.integer) or chunk_rows < 1:
        raise ValueError(f"chunk_rows must be a positive integer, got {chunk_rows!r}")
    path = Path(path)
    if path.suffix.lower() in PARQUET_SUFFIXES:
        chunks = _parquet_chunks(path, int(chunk_rows))
    else:
        chunks = _csv_chunks(path, int(chunk_rows))
    return _assemble(chunks, path, key=key, omit_code=omit_code, omit_as_wrong=omit_as_wrong)


# ----------------------------------------------------------------------------- chunk sources

# a chunk: dict column -> array of str, plus "_line": int64 array of file lines (or row numbers)


def _check_header(names: list[str], path: Path) -> dict[str, int]:
    header = [h.strip().lower() for h in names]
    for name in ("person_id", "item_id", "response"):
        if name not in header:
            raise InputError(f"long format needs a '{name}' column", file=path, line=1)
    return {name: header.index(name) for name in header}


def _csv_chunks(path: Path, chunk_rows: int) -> Iterator[dict[str, np.ndarray]]:
    rows = iter_csv_rows(path, max_bytes=MAX_FILE_BYTES)
    first = next((row for _, row in rows if any(cell.strip() for cell in row)), None)
    if first is None:
        raise InputError("the file is empty", file=path)
    col = _check_header(first, path)
    width = len(first)
    wanted = [c for c in ("person_id", "item_id", "response", "form") if c in col]
    buf: dict[str, list[str]] = {c: [] for c in wanted}
    lines: list[int] = []
    blank_tail: list[tuple[int, list[str]]] = []

    def emit():
        out = {c: np.asarray(v, dtype=str) for c, v in buf.items()}
        out["_line"] = np.asarray(lines, dtype=np.int64)
        for v in buf.values():
            v.clear()
        lines.clear()
        return out

    for line, row in rows:
        if not any(cell.strip() for cell in row):
            blank_tail.append((line, row))  # blank lines count only if data follow
            continue
        for blank_line, blank in blank_tail:
            _check_width(blank, width, path, blank_line)
        blank_tail.clear()
        _check_width(row, width, path, line)
        for c in wanted:
            cell = row[col[c]]
            if len(cell) > MAX_CELL_CHARS:
                raise InputError(
                    f"cell {col[c] + 1} holds more than {MAX_CELL_CHARS} characters",
                    file=path,
                    line=line,
                )
            buf[c].append(cell)
        lines.append(line)
        if len(lines) >= chunk_rows:
            yield emit()
    if lines:
        yield emit()


def _check_width(row: list[str], width: int, path: Path, line: int) -> None:
    if len(row) != width:
        raise InputError(f"has {len(row)} cells, the header has {width}", file=path, line=line)


def _parquet_chunks(path: Path, chunk_rows: int) -> Iterator[dict[str, np.ndarray]]:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError(
            "reading Parquet needs pyarrow: pip install 'credkit[scale]'", file=path
        ) from None
    check_user_file(path, max_bytes=2**62)
    try:
        handle = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several types for a file that is not Parquet
        raise InputError(f"not a readable Parquet file ({exc})", file=path) from None
    col = _check_header(list(handle.schema_arrow.names), path)
    wanted = [c for c in ("person_id", "item_id", "response", "form") if c in col]
    names = [handle.schema_arrow.names[col[c]] for c in wanted]
    row0 = 0
    for batch in handle.iter_batches(batch_size=chunk_rows, columns=names):
        out = {}
        for c, name in zip(wanted, names, strict=True):
            values = batch.column(name).to_pylist()
            out[c] = np.asarray(["" if v is None else str(v) for v in values], dtype=str)
        n = batch.num_rows
        out["_line"] = np.arange(row0 + 1, row0 + n + 1, dtype=np.int64)  # data row numbers
        row0 += n
        yield out


# ----------------------------------------------------------------------------- assembly


def _assemble(chunks, path: Path, *, key, omit_code, omit_as_wrong) -> SparseResponses:
    persons: dict[str, int] = {}
    items: dict[str, int] = {}
    forms: dict[int, str] = {}
    has_form = False
    memo: dict[tuple[int, str], int] = {}
    parts_p, parts_i, parts_s, parts_l = [], [], [], []
    for chunk in chunks:
        lines = chunk["_line"]
        pid = np.char.strip(chunk["person_id"])
        iid = np.char.strip(chunk["item_id"])
        empty = (np.char.str_len(pid) == 0) | (np.char.str_len(iid) == 0)
        if empty.any():
            raise InputError("empty person_id or item_id", file=path, line=int(lines[empty][0]))
        p_codes = _codes(pid, persons)
        i_codes = _codes(iid, items)
        values = np.char.strip(chunk["response"])
        u_val, v_inv = np.unique(values, return_inverse=True)
        pair = i_codes.astype(np.int64) * u_val.size + v_inv
        u_pair, p_inv = np.unique(pair, return_inverse=True)
        item_names = list(items)
        mapped = np.empty(u_pair.size, dtype=np.int16)
        for u, code in enumerate(u_pair):
            j, v = divmod(int(code), u_val.size)
            value = str(u_val[v])
            got = memo.get((j, value))
            if got is None:
                got = _score_one(value, item_names[j], key, omit_code, omit_as_wrong, path)
                if got == _BAD:
                    row = int(np.flatnonzero(p_inv == u)[0])
                    item_key = None if key is None else key.get(item_names[j])
                    raise InputError(
                        _bad_cell_message(value, item_key),
                        file=path,
                        line=int(lines[row]),
                        field=item_names[j],
                    )
                memo[(j, value)] = got
            mapped[u] = got
        score = mapped[p_inv]
        if "form" in chunk:
            has_form = True
            for p, f in zip(p_codes.tolist(), np.char.strip(chunk["form"]).tolist(), strict=True):
                forms[p] = f  # the last row's form, as the dense reader keeps
        keep = score != NOT_PRESENTED
        parts_p.append(p_codes)
        parts_i.append(i_codes)
        parts_s.append(np.where(keep, score, NOT_PRESENTED).astype(np.int16))
        parts_l.append(lines)
    if not persons:
        raise InputError("the file has no responses", file=path)
    p_all = np.concatenate(parts_p)
    i_all = np.concatenate(parts_i)
    s_all = np.concatenate(parts_s)
    l_all = np.concatenate(parts_l)
    order = np.lexsort((l_all, i_all, p_all))
    p_all, i_all, s_all, l_all = p_all[order], i_all[order], s_all[order], l_all[order]
    dup = np.flatnonzero((p_all[1:] == p_all[:-1]) & (i_all[1:] == i_all[:-1]))
    if dup.size:
        # report the earliest offending line, naming the line of the first answer
        k = dup[np.argmin(l_all[dup + 1])]
        person_names = list(persons)
        item_names = list(items)
        raise InputError(
            f"person '{person_names[p_all[k]]}' answers item '{item_names[i_all[k]]}' twice "
            f"(first on line {int(l_all[k])})",
            file=path,
            line=int(l_all[k + 1]),
        )
    del l_all
    keep = s_all != NOT_PRESENTED
    p_all, i_all, s_all = p_all[keep], i_all[keep], s_all[keep]
    n = len(persons)
    indptr = np.concatenate([[0], np.cumsum(np.bincount(p_all, minlength=n))]).astype(np.int64)
    form_arr = None
    if has_form:
        form_arr = np.asarray([forms.get(p, "") for p in range(n)], dtype=str)
    return SparseResponses(
        person_ids=np.asarray(list(persons), dtype=str),
        item_ids=tuple(items),
        indptr=indptr,
        items=i_all.astype(np.int32),
        scores=s_all,
        forms=form_arr,
        source=str(path),
    )


def _codes(labels: np.ndarray, table: dict[str, int]) -> np.ndarray:
    """Integer codes of ``labels``, extending ``table`` in order of first appearance."""
    uniq, first, inv = np.unique(labels, return_index=True, return_inverse=True)
    codes = np.empty(uniq.size, dtype=np.int64)
    for u in np.argsort(first, kind="stable"):
        codes[u] = table.setdefault(str(uniq[u]), len(table))
    return codes[inv]


def _score_one(value, item, key, omit_code, omit_as_wrong, path) -> int:
    item_key = None
    if key is not None:
        item_key = key.get(item)
        if item_key is None:
            raise InputError(f"item '{item}' is not in the key", file=path, line=1, field=item)
    return _score_value(value, item_key, omit_code, omit_as_wrong)
