"""Helpers shared by the standard-setting modules (not public API)."""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from psychometrics.errors import InputError
from psychometrics.fileio import iter_csv_rows
from psychometrics.irt.models import ItemParameters, test_characteristic_curve

MAX_CSV_BYTES = 256 * 1024**2
"""Largest ratings, judgments or scores file read (far above any panel's or program's)."""


def plain(value: Any) -> Any:
    """Convert numpy values inside a to_dict() result into plain Python."""
    if isinstance(value, np.ndarray):
        return [plain(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


class ToDict:
    """Mixin of the result dataclasses: ``to_dict()`` for JSON."""

    def to_dict(self) -> dict[str, Any]:
        """The result as plain JSON-ready Python values."""
        return plain(asdict(self))  # type: ignore[call-overload]


def check_choice(value: str, name: str, choices: Sequence[str]) -> None:
    """ValueError naming argument ``name`` unless ``value`` is one of ``choices``."""
    if value not in choices:
        raise ValueError(f"{name}: expected one of {choices}, got {value!r}")


def check_scores(scores) -> np.ndarray:
    """Observed scores as a flat float array; ValueError if empty or not finite."""
    s = np.asarray(scores, dtype=float).reshape(-1)
    if s.size == 0:
        raise ValueError("scores: no scores")
    if not np.all(np.isfinite(s)):
        raise ValueError("scores: must be finite numbers")
    return s


def se_of_mean(values: np.ndarray) -> float:
    """SD (ddof = 1) / sqrt(n); NaN for fewer than two values."""
    n = values.size
    return float(values.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan


def tcc_slope(params: ItemParameters, theta: float, h: float = 1e-5) -> float:
    """Central-difference slope of the test characteristic curve at ``theta``."""
    t = test_characteristic_curve(params, [theta - h, theta + h])
    return float((t[1] - t[0]) / (2 * h))


def read_csv(
    path: str | os.PathLike[str],
) -> tuple[Path, list[str], Iterator[tuple[int, list[str]]]]:
    """Open a CSV with a header row: the path, the lower-cased header and the non-blank rows.

    The rows come as ``(line, cells)`` with ``line`` the 1-based line of the row (header = 1).

    Raises
    ------
    InputError
        When the file cannot be read.
    """
    path = Path(path)
    stream = iter_csv_rows(path, max_bytes=MAX_CSV_BYTES)  # regular files only, errors located
    header = next((row for _, row in stream), [])
    header = [h.strip().lower() for h in header]
    rows = (
        (line_no, row)
        for line_no, row in stream
        if row and not all(not cell.strip() for cell in row)
    )
    return path, header, rows


def require_columns(header: Sequence[str], required: Sequence[str], path: Path) -> None:
    """InputError at line 1 naming the first ``required`` column missing from ``header``."""
    for col in required:
        if col not in header:
            raise InputError(f"missing column '{col}'", file=path, line=1, field=col)


def parse_number(text: str, path: Path, line: int, field: str) -> float:
    """A finite number from a non-empty CSV cell; InputError naming file, line and column."""
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"'{text}' is not a number", file=path, line=line, field=field) from None
    if not math.isfinite(value):
        raise InputError(f"'{text}' is not a finite number", file=path, line=line, field=field)
    return value
