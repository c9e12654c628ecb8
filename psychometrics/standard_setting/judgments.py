"""Small CSV tables of judgments: scores files, examinee judgments and the compromise panel's."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from psychometrics.errors import InputError
from psychometrics.standard_setting._common import parse_number, read_csv, require_columns


@dataclass(frozen=True)
class Table:
    """Columns of a small CSV file, with the line of each row (for error messages).

    Attributes
    ----------
    columns
        ``{column: values}``: numeric columns as float arrays, others as tuples of strings.
    lines
        1-based file line of each row.
    source
        The file.
    """

    columns: dict[str, Any]
    lines: np.ndarray
    source: str

    def __len__(self) -> int:
        return int(self.lines.size)


def read_table(
    path: str | os.PathLike[str],
    *,
    required: Sequence[str],
    numeric: Sequence[str] = (),
    optional: Sequence[str] = (),
    unique: str | None = None,
) -> Table:
    """Read a CSV with named columns (scores files, examinee and panel judgments).

    Parameters
    ----------
    path
        The CSV file (header row first).
    required
        Columns that must be present (case-insensitive).
    numeric
        Columns (required or optional) whose cells must be finite numbers.
    optional
        Columns read when present.
    unique
        A column whose values must not repeat (e.g. ``person_id``).

    Raises
    ------
    InputError
        Naming the file, line and column of the first problem.
    """
    path, header, rows = read_csv(path)
    require_columns(header, required, path)
    wanted = [c for c in (*required, *optional) if c in header]
    values: dict[str, list[Any]] = {c: [] for c in wanted}
    lines: list[int] = []
    seen: dict[str, int] = {}
    for line_no, row in rows:
        for col in wanted:
            j = header.index(col)
            cell = row[j].strip() if j < len(row) else ""
            if col in numeric:
                if not cell:
                    raise InputError("missing value", file=path, line=line_no, field=col)
                values[col].append(parse_number(cell, path, line_no, col))
            else:
                if col in required and not cell:
                    raise InputError("empty value", file=path, line=line_no, field=col)
                values[col].append(cell)
        if unique is not None and unique in values:
            key = values[unique][-1]
            if key in seen:
                raise InputError(
                    f"duplicate {unique} '{key}' (first on line {seen[key]})",
                    file=path,
                    line=line_no,
                    field=unique,
                )
            seen[key] = line_no
        lines.append(line_no)
    if not lines:
        raise InputError("no data rows", file=path)
    columns = {
        c: np.asarray(v, dtype=float) if c in numeric else tuple(v) for c, v in values.items()
    }
    return Table(columns=columns, lines=np.asarray(lines, dtype=int), source=os.fspath(path))


PANEL_COLUMNS = ("min_cut", "max_cut", "min_fail", "max_fail", "cut", "pass_rate")


def read_panel_judgments(path: str | os.PathLike[str]) -> Table:
    """Panel judgments of the compromise methods: ``rater`` plus any of ``min_cut, max_cut,
    min_fail, max_fail`` (Hofstee) and ``cut, pass_rate`` (Beuk), one row per rater."""
    table = read_table(
        path, required=("rater",), numeric=PANEL_COLUMNS, optional=PANEL_COLUMNS, unique="rater"
    )
    if len(table.columns) == 1:
        raise InputError(
            f"no judgment columns (expected some of {', '.join(PANEL_COLUMNS)})",
            file=path,
            line=1,
        )
    return table


def read_examinee_judgments(path: str | os.PathLike[str]) -> Table:
    """Examinee-centred judgments: ``person_id,score,rating`` (``rating`` a label such as
    master/nonmaster for contrasting groups, or a number for the borderline methods)."""
    return read_table(
        path, required=("person_id", "score", "rating"), numeric=("score",), unique="person_id"
    )


MASTER_LABELS = frozenset(
    {"master", "pass", "passed", "qualified", "competent", "1", "yes", "true"}
)
NONMASTER_LABELS = frozenset(
    {
        "nonmaster",
        "non-master",
        "fail",
        "failed",
        "unqualified",
        "not competent",
        "0",
        "no",
        "false",
    }
)


def mastery_from_labels(table: Table, *, column: str = "rating") -> np.ndarray:
    """Master (True) / non-master (False) from labels such as master/nonmaster, pass/fail, 1/0.

    Raises
    ------
    InputError
        At the first label that is neither (naming file, line and column).
    """
    out = np.zeros(len(table), dtype=bool)
    for i, label in enumerate(table.columns[column]):
        text = str(label).strip().lower()
        if text in MASTER_LABELS:
            out[i] = True
        elif text not in NONMASTER_LABELS:
            raise InputError(
                f"'{label}' is neither a master label ({', '.join(sorted(MASTER_LABELS))}) nor "
                f"a non-master label ({', '.join(sorted(NONMASTER_LABELS))})",
                file=table.source,
                line=int(table.lines[i]),
                field=column,
            )
    return out


def numeric_ratings(table: Table, column: str = "rating") -> np.ndarray:
    """The ``rating`` column as numbers (InputError naming the line of a non-number)."""
    out = np.empty(len(table))
    for i, label in enumerate(table.columns[column]):
        try:
            out[i] = float(label)
        except ValueError:
            raise InputError(
                f"'{label}' is not a numeric rating",
                file=table.source,
                line=int(table.lines[i]),
                field=column,
            ) from None
    return out
