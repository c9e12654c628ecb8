"""Standard setting: cut-score methods and conversion of a cut between raw, theta and scale scores.

Methods
-------
=======================  ==========================================================================
method                   the cut
=======================  ==========================================================================
modified Angoff          raw cut = sum over the form's items of the mean probability rating
Yes/No Angoff            the same with 0/1 ratings
bookmark                 theta at which the bookmarked page of the ordered item booklet is answered
                         with probability RP: ``b + ln((RP - c) / (1 - RP)) / a`` (3PL)
Hofstee                  where the observed fail-rate curve crosses the line from
                         (min cut, max fail) to (max cut, min fail)
Beuk                     where the observed pass-rate curve crosses the line through the panel's
                         mean (cut, pass rate) with slope SD(pass rate) / SD(cut)
contrasting groups       score at which P(master | score) = 0.5 by logistic regression (or the
                         Youden-optimal ROC cut)
borderline group         median score of the examinees judged borderline
borderline regression    score predicted at the borderline rating by regressing score on rating
=======================  ==========================================================================

A theta cut carries to every parallel form through that form's test characteristic curve (TCC):
the raw cut of a form is ``TCC(theta_cut)`` rounded by a stated rule (default: up, so that no
summed score below the expected score of the borderline candidate passes). A raw cut on one form
is carried to theta by inverting that form's TCC with Brent's method.

All IRT numbers are in the logistic metric (D = 1).

References
----------
Angoff, W. H. (1971). Scales, norms, and equivalent scores. In R. L. Thorndike (Ed.),
    *Educational Measurement* (2nd ed., pp. 508-600). American Council on Education.
Beuk, C. H. (1984). A method for reaching a compromise between absolute and relative standards in
    examinations. *Journal of Educational Measurement*, 21(2), 147-152.
Cizek, G. J., & Bunch, M. B. (2007). *Standard Setting: A Guide to Establishing and Evaluating
    Performance Standards on Tests*. Sage.
Hambleton, R. K., & Pitoniak, M. J. (2006). Setting performance standards. In R. L. Brennan
    (Ed.), *Educational Measurement* (4th ed., pp. 433-470). American Council on Education/Praeger.
Hofstee, W. K. B. (1983). The case for compromise in educational selection and grading. In
    S. B. Anderson & J. S. Helmick (Eds.), *On Educational Testing* (pp. 109-127). Jossey-Bass.
Mitzel, H. C., Lewis, D. M., Patz, R. J., & Green, D. R. (2001). The bookmark procedure:
    Psychological perspectives. In G. J. Cizek (Ed.), *Setting Performance Standards* (pp.
    249-281). Erlbaum.
Shrout, P. E., & Fleiss, J. L. (1979). Intraclass correlations: Uses in assessing rater
    reliability. *Psychological Bulletin*, 86(2), 420-428.
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import optimize, stats

from psychometrics.errors import InputError
from psychometrics.irt.models import (
    METRIC,
    ItemParameters,
    category_probabilities,
    test_characteristic_curve,
)

ROUNDING_RULES = ("ceil", "nearest", "floor", "none")
RATING_KINDS = ("angoff", "yes-no", "bookmark")
METHODS = (
    "angoff",
    "yes-no-angoff",
    "bookmark",
    "hofstee",
    "beuk",
    "contrasting-groups",
    "borderline-group",
    "borderline-regression",
)
THETA_BOUNDS = (-6.0, 6.0)


def _plain(value: Any) -> Any:
    """Convert numpy values inside a to_dict() result into plain Python."""
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


class _ToDict:
    def to_dict(self) -> dict[str, Any]:
        """The result as plain JSON-ready Python values."""
        return _plain(asdict(self))  # type: ignore[call-overload]


# --------------------------------------------------------------------------------------------
# ratings
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ratings(_ToDict):
    """Panel ratings in long format, one row per (rater, item, round).

    Attributes
    ----------
    rater
        Rater id of each row.
    item_id
        Item id of each row ("" when a bookmark row gives a page only).
    rating
        The rating: a probability in [0, 1] (modified Angoff; up to the item's maximum score for a
        polytomous item), 0/1 (Yes/No Angoff) or a 1-based page number of the ordered item
        booklet (bookmark; NaN when the bookmarked item is named instead).
    round
        Round number of each row (1 when the file has no ``round`` column).
    line
        Line of each row in ``source`` (for error messages); 0 when built from arrays.
    kind
        ``"angoff"``, ``"yes-no"`` or ``"bookmark"``.
    source
        The file the ratings came from, if any.
    """

    rater: tuple[str, ...]
    item_id: tuple[str, ...]
    rating: np.ndarray
    round: np.ndarray
    line: np.ndarray
    kind: str = "angoff"
    source: str | None = None

    @classmethod
    def from_arrays(
        cls,
        rater: Sequence[str],
        item_id: Sequence[str],
        rating: Sequence[float],
        round: Sequence[int] | None = None,
        *,
        kind: str = "angoff",
    ) -> Ratings:
        """Build ratings from parallel sequences (library use, no file)."""
        n = len(rater)
        if len(item_id) != n or len(rating) != n:
            raise ValueError("rater, item_id and rating must have the same length")
        if kind not in RATING_KINDS:
            raise ValueError(f"kind: expected one of {RATING_KINDS}, got {kind!r}")
        rounds = np.ones(n, dtype=int) if round is None else np.asarray(round, dtype=int)
        return cls(
            rater=tuple(str(r) for r in rater),
            item_id=tuple(str(i) for i in item_id),
            rating=np.asarray(rating, dtype=float),
            round=rounds,
            line=np.zeros(n, dtype=int),
            kind=kind,
        )

    @property
    def rounds(self) -> tuple[int, ...]:
        """The rounds present, ascending."""
        return tuple(int(r) for r in np.unique(self.round))

    def select_round(self, round: int | None) -> Ratings:
        """The rows of one round (``None``: the last round)."""
        chosen = max(self.rounds) if round is None else int(round)
        if chosen not in self.rounds:
            raise InputError(
                f"no ratings for round {chosen} (rounds present: {list(self.rounds)})",
                file=self.source,
                field="round",
            )
        keep = np.flatnonzero(self.round == chosen)
        return Ratings(
            rater=tuple(self.rater[i] for i in keep),
            item_id=tuple(self.item_id[i] for i in keep),
            rating=self.rating[keep],
            round=self.round[keep],
            line=self.line[keep],
            kind=self.kind,
            source=self.source,
        )


def read_ratings(path: str | os.PathLike[str], *, kind: str = "angoff") -> Ratings:
    """Read panel ratings from a long CSV ``rater,item_id,rating[,round]``.

    Parameters
    ----------
    path
        The CSV file. Angoff: ``rating`` is a probability in [0, 1] (an expected item score for a
        polytomous item, checked against the item's maximum later). Yes/No: 0 or 1. Bookmark: the
        1-based page of the ordered item booklet in ``rating`` (or a ``page`` column); the
        ``item_id`` column is optional and, when ``rating`` is blank, names the bookmarked item.
    kind
        ``"angoff"``, ``"yes-no"`` or ``"bookmark"``.

    Raises
    ------
    InputError
        Naming the file, line and column of the first problem (missing column, a rating that is not
        a number or out of range, a duplicate rater/item/round, no rows).
    """
    if kind not in RATING_KINDS:
        raise ValueError(f"kind: expected one of {RATING_KINDS}, got {kind!r}")
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError("file not found", file=path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read file: {exc}", file=path) from None
    reader = csv.reader(io.StringIO(text))
    header = [h.strip().lower() for h in next(reader, [])]
    value_col = "page" if kind == "bookmark" and "page" in header else "rating"
    required = ["rater", value_col] + ([] if kind == "bookmark" else ["item_id"])
    if kind == "bookmark" and value_col not in header and "item_id" in header:
        required = ["rater", "item_id"]
    for col in required:
        if col not in header:
            raise InputError(f"missing column '{col}'", file=path, line=1, field=col)
    names = ("rater", "item_id", value_col, "round")
    pos = {name: header.index(name) for name in names if name in header}
    raters: list[str] = []
    items: list[str] = []
    values: list[float] = []
    rounds: list[int] = []
    lines: list[int] = []
    seen: dict[tuple[str, str, int], int] = {}
    for line_no, row in enumerate(reader, start=2):
        if not row or all(not cell.strip() for cell in row):
            continue

        def cell(name: str, _row: list[str] = row) -> str:
            j = pos.get(name)
            return _row[j].strip() if j is not None and j < len(_row) else ""

        rater = cell("rater")
        if not rater:
            raise InputError("empty rater", file=path, line=line_no, field="rater")
        item = cell("item_id")
        raw = cell(value_col) if value_col in pos else ""
        if kind != "bookmark" and not item:
            raise InputError("empty item_id", file=path, line=line_no, field="item_id")
        if not raw and not (kind == "bookmark" and item):
            raise InputError("missing value", file=path, line=line_no, field=value_col)
        value = math.nan
        if raw:
            try:
                value = float(raw)
            except ValueError:
                raise InputError(
                    f"'{raw}' is not a number", file=path, line=line_no, field=value_col
                ) from None
            if not math.isfinite(value):
                raise InputError(
                    f"'{raw}' is not a finite number", file=path, line=line_no, field=value_col
                )
            _check_rating(kind, value, path, line_no, value_col)
        rnd_text = cell("round")
        rnd = 1
        if rnd_text:
            try:
                rnd = int(rnd_text)
            except ValueError:
                raise InputError(
                    f"'{rnd_text}' is not an integer round", file=path, line=line_no, field="round"
                ) from None
            if rnd < 1:
                raise InputError("round must be >= 1", file=path, line=line_no, field="round")
        key = (rater, item if kind != "bookmark" else "", rnd)
        if key in seen:
            what = f"item '{item}' " if kind != "bookmark" else ""
            raise InputError(
                f"rater '{rater}' rates {what}twice in round {rnd} (first on line {seen[key]})",
                file=path,
                line=line_no,
                field="rater",
            )
        seen[key] = line_no
        raters.append(rater)
        items.append(item)
        values.append(value)
        rounds.append(rnd)
        lines.append(line_no)
    if not raters:
        raise InputError("no ratings", file=path)
    return Ratings(
        rater=tuple(raters),
        item_id=tuple(items),
        rating=np.asarray(values, dtype=float),
        round=np.asarray(rounds, dtype=int),
        line=np.asarray(lines, dtype=int),
        kind=kind,
        source=os.fspath(path),
    )


def _check_rating(kind: str, value: float, path, line: int, col: str) -> None:
    if kind == "yes-no" and value not in (0.0, 1.0):
        raise InputError(
            f"a Yes/No rating must be 0 or 1, got {value:g}", file=path, line=line, field=col
        )
    if kind == "angoff" and value < 0.0:
        raise InputError(
            f"an Angoff rating must be in [0, 1], got {value:g}", file=path, line=line, field=col
        )
    if kind == "bookmark" and (value < 1 or value != int(value)):
        raise InputError(
            f"a bookmark page must be a positive integer, got {value:g}",
            file=path,
            line=line,
            field=col,
        )


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
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError("file not found", file=path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read file: {exc}", file=path) from None
    reader = csv.reader(io.StringIO(text))
    header = [h.strip().lower() for h in next(reader, [])]
    for col in required:
        if col not in header:
            raise InputError(f"missing column '{col}'", file=path, line=1, field=col)
    wanted = [c for c in (*required, *optional) if c in header]
    values: dict[str, list[Any]] = {c: [] for c in wanted}
    lines: list[int] = []
    seen: dict[str, int] = {}
    for line_no, row in enumerate(reader, start=2):
        if not row or all(not cell.strip() for cell in row):
            continue
        for col in wanted:
            j = header.index(col)
            cell = row[j].strip() if j < len(row) else ""
            if col in numeric:
                if not cell:
                    raise InputError("missing value", file=path, line=line_no, field=col)
                try:
                    number = float(cell)
                except ValueError:
                    raise InputError(
                        f"'{cell}' is not a number", file=path, line=line_no, field=col
                    ) from None
                if not math.isfinite(number):
                    raise InputError(
                        f"'{cell}' is not a finite number", file=path, line=line_no, field=col
                    )
                values[col].append(number)
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


# --------------------------------------------------------------------------------------------
# conversions between raw, theta and scale scores
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ThetaFromRaw(_ToDict):
    """Theta at which a form's TCC equals a raw score.

    Attributes
    ----------
    theta
        The theta cut (clipped to ``bounds`` when the raw score is outside the TCC's range there).
    raw
        The raw score that was inverted.
    status
        ``"ok"``; ``"undefined"`` for a NaN raw score; ``"below_floor"`` when the raw score
        is at or below the TCC at the lower bound
        (for 3PL items the TCC never falls below the sum of the c's); ``"above_ceiling"`` when it
        is at or above the TCC at the upper bound (the maximum score is reached only as theta
        goes to infinity).
    message
        Plain-words explanation when the status is not ``"ok"``.
    """

    theta: float
    raw: float
    status: str
    message: str = ""


def theta_for_raw(
    params: ItemParameters,
    raw: float,
    *,
    bounds: tuple[float, float] = THETA_BOUNDS,
    xtol: float = 1e-10,
) -> ThetaFromRaw:
    """Invert a form's test characteristic curve: the theta with ``TCC(theta) = raw``.

    Parameters
    ----------
    params
        The items of the form.
    raw
        The raw (summed-score) cut.
    bounds
        Theta interval searched; a raw score outside ``TCC(bounds)`` is clipped and flagged.
    xtol
        Absolute tolerance of Brent's root finder on theta.

    Returns
    -------
    ThetaFromRaw

    References
    ----------
    Lord, F. M. (1980). *Applications of Item Response Theory to Practical Testing Problems*,
        ch. 4. Erlbaum.
    """
    raw = float(raw)
    lo, hi = float(bounds[0]), float(bounds[1])
    if not lo < hi:
        raise ValueError("bounds: lower bound must be below upper bound")
    if not math.isfinite(raw):
        return ThetaFromRaw(math.nan, raw, "undefined", "the raw cut is not a finite number")
    t_lo, t_hi = test_characteristic_curve(params, [lo, hi])
    floor = float(np.sum(np.where(params.is_dichotomous, params.c, 0.0)))
    if raw <= t_lo:
        return ThetaFromRaw(
            lo,
            raw,
            "below_floor",
            f"raw cut {raw:.4g} is at or below the TCC at theta = {lo:g} ({t_lo:.4g}; sum of "
            f"lower asymptotes {floor:.4g}); theta cut clipped to {lo:g}",
        )
    if raw >= t_hi:
        return ThetaFromRaw(
            hi,
            raw,
            "above_ceiling",
            f"raw cut {raw:.4g} is at or above the TCC at theta = {hi:g} ({t_hi:.4g}; maximum "
            f"score {int(np.sum(params.max_scores))}); theta cut clipped to {hi:g}",
        )
    root = optimize.brentq(
        lambda t: float(test_characteristic_curve(params, [t])[0]) - raw, lo, hi, xtol=xtol
    )
    return ThetaFromRaw(float(root), raw, "ok")


def round_raw(value: float, rounding: str = "ceil") -> float:
    """Round a raw cut by a named rule (``ceil``, ``nearest`` (half up), ``floor``, ``none``).

    A tolerance of 1e-9 protects exact integers from floating-point noise (24.0000000001 -> 24).
    """
    if rounding not in ROUNDING_RULES:
        raise ValueError(f"rounding: expected one of {ROUNDING_RULES}, got {rounding!r}")
    if rounding == "none":
        return float(value)
    if rounding == "ceil":
        return float(math.ceil(value - 1e-9))
    if rounding == "floor":
        return float(math.floor(value + 1e-9))
    return float(math.floor(value + 0.5 + 1e-9))


def raw_for_theta(params: ItemParameters, theta: float, *, rounding: str = "ceil") -> float:
    """Raw cut of a form for a theta cut: ``TCC(theta)`` rounded by ``rounding``.

    References
    ----------
    Lord, F. M. (1980). *Applications of Item Response Theory to Practical Testing Problems*,
        ch. 4. Erlbaum.
    """
    return round_raw(float(test_characteristic_curve(params, [float(theta)])[0]), rounding)


@dataclass(frozen=True)
class ReportingScale(_ToDict):
    """A linear reporting scale ``scale = intercept + slope * theta``, rounded and clipped.

    Attributes
    ----------
    slope, intercept
        The linear transformation of theta.
    round
        Decimal places kept (half away from zero); ``None`` keeps full precision.
    min, max
        Clipping bounds (``None``: unbounded).
    """

    slope: float = 1.0
    intercept: float = 0.0
    round: int | None = None
    min: float | None = None
    max: float | None = None

    def __post_init__(self) -> None:
        if not (math.isfinite(self.slope) and self.slope > 0):
            raise ValueError(f"slope: must be a positive number, got {self.slope}")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min: must not exceed max")

    def convert(self, theta):
        """Scale score(s) for theta value(s)."""
        x = self.intercept + self.slope * np.asarray(theta, dtype=float)
        if self.round is not None:
            f = 10.0 ** int(self.round)
            x = np.sign(x) * np.floor(np.abs(x) * f + 0.5) / f
        x = np.clip(
            x,
            -np.inf if self.min is None else self.min,
            np.inf if self.max is None else self.max,
        )
        return float(x) if np.ndim(x) == 0 else x


# --------------------------------------------------------------------------------------------
# rater agreement and outliers
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ICCResult(_ToDict):
    """Intraclass correlations of a items-by-raters rating matrix (Shrout & Fleiss, 1979).

    Items are the targets and raters the judges; two-way random effects, absolute agreement.

    Attributes
    ----------
    icc_single
        ICC(2,1): reliability of one rater's item ratings.
    icc_average
        ICC(2,k): reliability of the mean of the k raters' ratings.
    n_items, n_raters
        Dimensions of the complete matrix used.
    """

    icc_single: float
    icc_average: float
    n_items: int
    n_raters: int


def icc(matrix: np.ndarray) -> ICCResult:
    """ICC(2,1) and ICC(2,k) of a complete targets-by-judges matrix.

    ``ICC(2,1) = (BMS - EMS) / (BMS + (k - 1) EMS + k (JMS - EMS) / n)`` and
    ``ICC(2,k) = (BMS - EMS) / (BMS + (JMS - EMS) / n)`` with between-target, between-judge and
    residual mean squares of the two-way ANOVA without replication.

    References
    ----------
    Shrout, P. E., & Fleiss, J. L. (1979). *Psychological Bulletin*, 86(2), 420-428, Table 2.
    """
    x = np.asarray(matrix, dtype=float)
    if x.ndim != 2 or np.isnan(x).any():
        raise ValueError("matrix: expected a complete 2-D array (targets x judges)")
    n, k = x.shape
    if n < 2 or k < 2:
        return ICCResult(math.nan, math.nan, n, k)
    grand = x.mean()
    ss_rows = k * np.sum((x.mean(axis=1) - grand) ** 2)
    ss_cols = n * np.sum((x.mean(axis=0) - grand) ** 2)
    ss_err = np.sum((x - grand) ** 2) - ss_rows - ss_cols
    bms = ss_rows / (n - 1)
    jms = ss_cols / (k - 1)
    ems = ss_err / ((n - 1) * (k - 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        single = (bms - ems) / (bms + (k - 1) * ems + k * (jms - ems) / n)
        average = (bms - ems) / (bms + (jms - ems) / n)
    return ICCResult(float(single), float(average), n, k)


def flag_outlying_raters(cuts: np.ndarray, *, z: float = 2.5) -> np.ndarray:
    """Leave-one-out z rule: rater r is flagged when ``|cut_r - mean(others)| > z * SD(others)``.

    Needs at least 4 raters (3 others to estimate an SD); fewer raters are never flagged. When the
    other raters agree exactly (SD 0), any rater who differs from them is flagged.
    """
    cuts = np.asarray(cuts, dtype=float)
    n = cuts.size
    flags = np.zeros(n, dtype=bool)
    if n < 4:
        return flags
    for r in range(n):  # loop over raters (a handful), not examinees
        others = np.delete(cuts, r)
        sd = others.std(ddof=1)
        dev = abs(cuts[r] - others.mean())
        flags[r] = dev > z * sd if sd > 0 else dev > 1e-12
    return flags


# --------------------------------------------------------------------------------------------
# Angoff
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AngoffResult(_ToDict):
    """Modified or Yes/No Angoff cut on one form.

    Attributes
    ----------
    method
        ``"angoff"`` or ``"yes-no-angoff"``.
    raw_cut
        Sum over the form's items of the panel's mean rating (= mean of the rater cuts); not
        rounded.
    theta_cut
        Theta at which the form's TCC equals ``raw_cut``.
    theta_status
        ``"ok"``, ``"below_floor"`` or ``"above_ceiling"`` (see :class:`ThetaFromRaw`).
    se_raw
        SD of the rater cuts (ddof = 1) / sqrt(number of raters).
    se_theta
        ``se_raw`` divided by the TCC slope at ``theta_cut`` (delta method).
    raters
        Rater ids, in order of ``rater_cuts``.
    rater_cuts, rater_theta_cuts
        Each rater's raw cut (sum of their ratings) and its theta.
    rater_flags
        True for a rater whose cut is outlying by :func:`flag_outlying_raters`.
    outlier_rule
        The rule used to flag raters, in words.
    item_ids, item_means
        The form's items and the panel's mean rating of each.
    icc
        Rater agreement across items: ICC(2,1) and ICC(2,k) (Shrout & Fleiss, 1979).
    round
        The round analysed.
    round_cuts
        ``{round: raw cut}`` for every round with complete ratings of the form.
    round_changes
        ``{round: raw cut change from the previous round}``.
    max_score
        Maximum summed score of the form.
    metric
        The theta metric.
    message
        Explanation of a non-ok theta status.
    """

    method: str
    raw_cut: float
    theta_cut: float
    theta_status: str
    se_raw: float
    se_theta: float
    raters: tuple[str, ...]
    rater_cuts: tuple[float, ...]
    rater_theta_cuts: tuple[float, ...]
    rater_flags: tuple[bool, ...]
    outlier_rule: str
    item_ids: tuple[str, ...]
    item_means: tuple[float, ...]
    icc: ICCResult
    round: int
    round_cuts: dict[int, float]
    round_changes: dict[int, float]
    max_score: float
    metric: str = METRIC
    message: str = ""


def _rating_matrix(ratings: Ratings, params: ItemParameters, items: Sequence[str]):
    """Raters x items matrix of one round; InputError if a rater skipped a form item."""
    raters = tuple(dict.fromkeys(ratings.rater))
    col = {item: j for j, item in enumerate(items)}
    row = {r: i for i, r in enumerate(raters)}
    mat = np.full((len(raters), len(items)), np.nan)
    for rater, item, value, line in zip(
        ratings.rater, ratings.item_id, ratings.rating, ratings.line, strict=True
    ):
        j = col.get(item)
        if j is None:
            continue
        limit = float(params.max_scores[params.index(item)])
        if value > limit + 1e-12:
            raise InputError(
                f"rating {value:g} of item '{item}' exceeds its maximum score {limit:g}",
                file=ratings.source,
                line=int(line) or None,
                field="rating",
            )
        mat[row[rater], j] = value
    missing = np.argwhere(np.isnan(mat))
    if missing.size:
        i, j = missing[0]
        raise InputError(
            f"rater '{raters[i]}' has no rating for item '{items[j]}' "
            f"({len(missing)} missing rating(s) in all)",
            file=ratings.source,
            field="item_id",
        )
    return raters, mat


def _tcc_slope(params: ItemParameters, theta: float, h: float = 1e-5) -> float:
    t = test_characteristic_curve(params, [theta - h, theta + h])
    return float((t[1] - t[0]) / (2 * h))


def angoff(
    ratings: Ratings,
    params: ItemParameters,
    *,
    items: Sequence[str] | None = None,
    round: int | None = None,
    yes_no: bool | None = None,
    outlier_z: float = 2.5,
    bounds: tuple[float, float] = THETA_BOUNDS,
) -> AngoffResult:
    """Modified Angoff (probability ratings) or Yes/No Angoff cut on one form.

    Parameters
    ----------
    ratings
        Panel ratings (:func:`read_ratings`). Ratings of items outside the form are ignored.
    params
        Item parameters containing the form's items.
    items
        The form's item ids (default: every item in ``params``).
    round
        Round analysed (default: the last).
    yes_no
        Label the result as Yes/No Angoff (default: from ``ratings.kind``). The arithmetic is the
        same: Yes/No ratings are 0/1 probabilities (Impara & Plake, 1997).
    outlier_z
        Threshold of the leave-one-out z rule in :func:`flag_outlying_raters`.
    bounds
        Theta interval for inverting the TCC.

    Returns
    -------
    AngoffResult

    Raises
    ------
    InputError
        When a rater has no rating for a form item, or a rating exceeds the item's maximum score.

    References
    ----------
    Angoff, W. H. (1971), p. 515. Impara, J. C., & Plake, B. S. (1997). Standard setting: An
    alternative approach. *Journal of Educational Measurement*, 34(4), 353-366. Cizek & Bunch
    (2007), ch. 6. Hambleton & Pitoniak (2006). Shrout & Fleiss (1979).
    """
    if ratings.kind == "bookmark":
        raise ValueError("ratings: bookmark placements cannot be analysed by the Angoff method")
    items = tuple(params.item_ids if items is None else items)
    if not items:
        raise ValueError("items: the form has no items")
    missing = [i for i in items if i not in params]
    if missing:
        raise InputError(
            f"form items not in the parameters: {', '.join(missing[:5])}", field="item_id"
        )
    form = params.subset(items)
    rated_items = set(ratings.item_id)
    if not rated_items & set(items):
        raise InputError(
            "the ratings cover none of the form's items", file=ratings.source, field="item_id"
        )
    yes_no = ratings.kind == "yes-no" if yes_no is None else bool(yes_no)
    this = ratings.select_round(round)
    raters, mat = _rating_matrix(this, form, items)
    rater_cuts = mat.sum(axis=1)
    raw_cut = float(mat.mean(axis=0).sum())
    inv = theta_for_raw(form, raw_cut, bounds=bounds)
    n = len(raters)
    se_raw = float(rater_cuts.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
    slope = _tcc_slope(form, inv.theta)
    se_theta = se_raw / slope if inv.status == "ok" and slope > 0 else math.nan
    rater_thetas = tuple(theta_for_raw(form, rc, bounds=bounds).theta for rc in rater_cuts)
    round_cuts: dict[int, float] = {}
    for r in ratings.rounds:
        try:
            _, m = _rating_matrix(ratings.select_round(r), form, items)
        except InputError:
            continue  # an incomplete earlier round is reported as absent, not as an error
        round_cuts[r] = float(m.mean(axis=0).sum())
    ordered = sorted(round_cuts)
    changes = {r: round_cuts[r] - round_cuts[p] for p, r in zip(ordered, ordered[1:], strict=False)}
    return AngoffResult(
        method="yes-no-angoff" if yes_no else "angoff",
        raw_cut=raw_cut,
        theta_cut=inv.theta,
        theta_status=inv.status,
        se_raw=se_raw,
        se_theta=float(se_theta),
        raters=raters,
        rater_cuts=tuple(float(x) for x in rater_cuts),
        rater_theta_cuts=rater_thetas,
        rater_flags=tuple(bool(f) for f in flag_outlying_raters(rater_cuts, z=outlier_z)),
        outlier_rule=(
            f"leave-one-out: |rater cut - mean of the other raters| > {outlier_z:g} x SD of the "
            "other raters (needs >= 4 raters)"
        ),
        item_ids=items,
        item_means=tuple(float(x) for x in mat.mean(axis=0)),
        icc=icc(mat.T),
        round=int(this.round[0]),
        round_cuts=round_cuts,
        round_changes=changes,
        max_score=float(np.sum(form.max_scores)),
        message=inv.message,
    )


# --------------------------------------------------------------------------------------------
# bookmark
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderedItemBooklet(_ToDict):
    """Pages of an ordered item booklet, easiest first.

    Attributes
    ----------
    item_ids
        Item on each page (a polytomous item has one page per score category k >= 1).
    categories
        Score category of the page (1 for a dichotomous item).
    locations
        Theta at which the page is answered with probability ``rp`` (reaching category k or
        higher for a polytomous item).
    rp
        Response probability criterion.
    """

    item_ids: tuple[str, ...]
    categories: tuple[int, ...]
    locations: tuple[float, ...]
    rp: float

    @property
    def n_pages(self) -> int:
        return len(self.item_ids)


def rp_location(params: ItemParameters, *, rp: float = 0.67) -> list[tuple[str, int, float]]:
    """Theta at which each item (category) is answered with probability ``rp``.

    Dichotomous: ``theta = b + ln((rp - c) / (1 - rp)) / a`` (c = 0 but for the 3PL). GRM category
    k: ``b_k + ln(rp / (1 - rp)) / a`` (``P(X >= k) = rp``). GPCM/PCM category k: the root of
    ``P(X >= k | theta) = rp``, found with Brent's method.

    Raises
    ------
    ValueError
        When ``rp`` is not in (0, 1) or not above an item's lower asymptote c.

    References
    ----------
    Mitzel, Lewis, Patz & Green (2001). Huynh, H. (2006). A clarification on the response
    probability criterion RP67 for standard settings based on bookmark and item mapping.
    *Educational Measurement: Issues and Practice*, 25(2), 19-20.
    """
    if not 0.0 < rp < 1.0:
        raise ValueError(f"rp: must be in (0, 1), got {rp}")
    out: list[tuple[str, int, float]] = []
    for j, item in enumerate(params.item_ids):  # loop over items
        model = params.model[j]
        a = float(params.a[j])
        if params.is_dichotomous[j]:
            c = float(params.c[j])
            if rp <= c:
                raise ValueError(
                    f"rp: {rp} is not above the lower asymptote c = {c:g} of item '{item}'"
                )
            out.append((item, 1, float(params.b[j, 0] + math.log((rp - c) / (1 - rp)) / a)))
        elif model == "grm":
            for k in range(int(params.n_categories[j]) - 1):
                out.append((item, k + 1, float(params.b[j, k] + math.log(rp / (1 - rp)) / a)))
        else:
            single = params.subset([item])
            for k in range(1, int(params.n_categories[j])):

                def f(t: float, _k: int = k, _item: ItemParameters = single) -> float:
                    return float(category_probabilities(_item, [t])[0, 0, _k:].sum()) - rp

                lo, hi = -20.0, 20.0
                out.append((item, k, float(optimize.brentq(f, lo, hi, xtol=1e-10))))
    return out


def ordered_item_booklet(params: ItemParameters, *, rp: float = 0.67) -> OrderedItemBooklet:
    """Order the items (categories) of a form by their RP location, easiest first (ties: by id)."""
    pages = sorted(rp_location(params, rp=rp), key=lambda p: (p[2], p[0], p[1]))
    return OrderedItemBooklet(
        item_ids=tuple(p[0] for p in pages),
        categories=tuple(p[1] for p in pages),
        locations=tuple(p[2] for p in pages),
        rp=float(rp),
    )


@dataclass(frozen=True)
class BookmarkResult(_ToDict):
    """Bookmark cut.

    Attributes
    ----------
    method
        ``"bookmark"``.
    theta_cut
        Panel cut: the ``summary`` (median by default) of the rater theta cuts.
    theta_cut_median, theta_cut_mean
        Median and mean of the rater theta cuts.
    se_theta
        SD of the rater theta cuts / sqrt(raters).
    raw_cut
        The form's raw cut ``TCC(theta_cut)`` rounded by ``rounding``.
    raw_cut_exact
        ``TCC(theta_cut)`` unrounded.
    se_raw
        ``se_theta`` times the TCC slope at ``theta_cut`` (delta method).
    raters, pages, rater_theta_cuts
        Each rater's bookmarked page (1-based) and the theta of that page.
    median_page
        Median page.
    rp, summary, rounding, round
        Settings used.
    booklet
        The ordered item booklet.
    """

    method: str
    theta_cut: float
    theta_cut_median: float
    theta_cut_mean: float
    se_theta: float
    raw_cut: float
    raw_cut_exact: float
    se_raw: float
    raters: tuple[str, ...]
    pages: tuple[int, ...]
    rater_theta_cuts: tuple[float, ...]
    median_page: float
    rp: float
    summary: str
    rounding: str
    round: int
    booklet: OrderedItemBooklet
    metric: str = METRIC


def bookmark(
    placements: Ratings,
    params: ItemParameters,
    *,
    items: Sequence[str] | None = None,
    rp: float = 0.67,
    round: int | None = None,
    summary: str = "median",
    rounding: str = "ceil",
) -> BookmarkResult:
    """Bookmark cut from the raters' placements in the ordered item booklet.

    Each rater's theta cut is the RP location of the page they bookmarked (the last page a
    minimally qualified candidate masters with probability ``rp``). The panel cut is the median
    (or mean) of the rater cuts; its SE is SD / sqrt(raters).

    Parameters
    ----------
    placements
        One row per rater (and round): the 1-based page in ``rating`` or, if that is NaN, the
        bookmarked item in ``item_id`` (its first category page).
    params
        Item parameters containing the form's items.
    items
        The form's item ids (default: all of ``params``).
    rp
        Response probability criterion (0.67 by default).
    round
        Round analysed (default: the last).
    summary
        ``"median"`` or ``"mean"`` of the rater theta cuts.
    rounding
        Rounding rule for the raw cut (see :func:`round_raw`).

    References
    ----------
    Mitzel, Lewis, Patz & Green (2001). Cizek & Bunch (2007), ch. 10. Huynh (2006).
    """
    if summary not in ("median", "mean"):
        raise ValueError(f"summary: expected 'median' or 'mean', got {summary!r}")
    form = params.subset(tuple(params.item_ids if items is None else items))
    booklet = ordered_item_booklet(form, rp=rp)
    this = placements.select_round(round)
    first_page = {}
    for p, item in enumerate(booklet.item_ids, start=1):
        first_page.setdefault(item, p)
    raters, pages = [], []
    for rater, item, value, line in zip(
        this.rater, this.item_id, this.rating, this.line, strict=True
    ):
        if np.isnan(value):
            if item not in first_page:
                raise InputError(
                    f"bookmarked item '{item}' is not in the booklet",
                    file=placements.source,
                    line=int(line) or None,
                    field="item_id",
                )
            page = first_page[item]
        else:
            page = int(value)
            if not 1 <= page <= booklet.n_pages:
                raise InputError(
                    f"page {page} is outside the booklet (1..{booklet.n_pages})",
                    file=placements.source,
                    line=int(line) or None,
                    field="rating",
                )
        if rater in raters:
            raise InputError(
                f"rater '{rater}' has two placements in one round",
                file=placements.source,
                line=int(line) or None,
                field="rater",
            )
        raters.append(rater)
        pages.append(page)
    thetas = np.array([booklet.locations[p - 1] for p in pages])
    median, mean = float(np.median(thetas)), float(thetas.mean())
    cut = median if summary == "median" else mean
    n = len(raters)
    se_theta = float(thetas.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
    exact = float(test_characteristic_curve(form, [cut])[0])
    return BookmarkResult(
        method="bookmark",
        theta_cut=cut,
        theta_cut_median=median,
        theta_cut_mean=mean,
        se_theta=se_theta,
        raw_cut=round_raw(exact, rounding),
        raw_cut_exact=exact,
        se_raw=se_theta * _tcc_slope(form, cut),
        raters=tuple(raters),
        pages=tuple(pages),
        rater_theta_cuts=tuple(float(t) for t in thetas),
        median_page=float(np.median(pages)),
        rp=float(rp),
        summary=summary,
        rounding=rounding,
        round=int(this.round[0]),
        booklet=booklet,
    )


# --------------------------------------------------------------------------------------------
# compromise methods: Hofstee and Beuk
# --------------------------------------------------------------------------------------------


def _check_scores(scores) -> np.ndarray:
    s = np.asarray(scores, dtype=float).reshape(-1)
    if s.size == 0:
        raise ValueError("scores: no scores")
    if not np.all(np.isfinite(s)):
        raise ValueError("scores: must be finite numbers")
    return s


def _cut_grid(scores: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Candidate cuts: the integers in [lo, hi] for integer scores, else the distinct scores."""
    if np.all(scores == np.round(scores)):
        grid = np.arange(math.ceil(lo), math.floor(hi) + 1, dtype=float)
    else:
        grid = np.unique(scores[(scores >= lo) & (scores <= hi)])
    return np.unique(np.concatenate([[lo, hi], grid]))


def _fail_rate(scores: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    """Proportion of scores strictly below each cut (pass = score >= cut)."""
    s = np.sort(scores)
    return np.searchsorted(s, cuts, side="left") / s.size


def _interp_fail_rate(scores: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Fail rate linearly interpolated between the integer cuts (for integer scores)."""
    x = np.asarray(x, dtype=float)
    if np.all(scores == np.round(scores)):
        lo, hi = np.floor(x), np.ceil(x)
        f_lo, f_hi = _fail_rate(scores, lo), _fail_rate(scores, hi)
        return f_lo + (x - lo) * (f_hi - f_lo)
    return _fail_rate(scores, x)


def _first_crossing(x: np.ndarray, diff: np.ndarray) -> float | None:
    """First x where a piecewise-linear increasing-ish ``diff`` reaches 0 (linear interpolation)."""
    if diff[0] >= 0:
        return float(x[0])
    for i in range(1, x.size):
        if diff[i] >= 0:
            x0, x1, d0, d1 = x[i - 1], x[i], diff[i - 1], diff[i]
            return float(x0 + (x1 - x0) * (-d0) / (d1 - d0))
    return None


@dataclass(frozen=True)
class HofsteeResult(_ToDict):
    """Hofstee compromise cut.

    Attributes
    ----------
    method
        ``"hofstee"``.
    raw_cut
        Where the fail-rate curve (interpolated linearly between integer cuts) meets the Hofstee
        line; a bound when they do not meet inside the bounds (see ``status``).
    fail_rate
        The fail rate on the line at ``raw_cut`` (= the interpolated observed fail rate).
    raw_cut_rounded
        ``raw_cut`` rounded by ``rounding``.
    observed_fail_rate
        Proportion of examinees with a score below ``raw_cut_rounded``.
    status
        ``"ok"``; ``"fail_rate_above_line"`` (even the lowest acceptable cut fails more than the
        line allows: cut = min_cut); ``"fail_rate_below_line"`` (even the highest acceptable cut
        fails fewer: cut = max_cut).
    min_cut, max_cut, min_fail, max_fail
        The panel's bounds (cuts in raw-score units, fail rates as proportions).
    n
        Number of scores.
    rounding
        Rounding rule.
    """

    method: str
    raw_cut: float
    fail_rate: float
    raw_cut_rounded: float
    observed_fail_rate: float
    status: str
    min_cut: float
    max_cut: float
    min_fail: float
    max_fail: float
    n: int
    rounding: str


def hofstee(
    scores,
    *,
    min_cut: float,
    max_cut: float,
    min_fail: float,
    max_fail: float,
    rounding: str = "ceil",
) -> HofsteeResult:
    """Hofstee's compromise between an absolute cut and an acceptable fail rate.

    The panel states the lowest and highest acceptable cut and the lowest and highest acceptable
    fail rate. The line from ``(min_cut, max_fail)`` to ``(max_cut, min_fail)`` is intersected
    with the observed fail-rate curve ``F(x) = P(score < x)``; for integer scores ``F`` is
    interpolated linearly between integer cuts, so the crossing is exact on that polygon.

    Parameters
    ----------
    scores
        Observed summed scores.
    min_cut, max_cut
        Acceptable range of the raw cut.
    min_fail, max_fail
        Acceptable range of the fail rate, as proportions in [0, 1].
    rounding
        Rounding rule of ``raw_cut_rounded`` (see :func:`round_raw`).

    References
    ----------
    Hofstee, W. K. B. (1983). Cizek & Bunch (2007), ch. 13.
    """
    s = _check_scores(scores)
    if not min_cut < max_cut:
        raise ValueError("min_cut: must be below max_cut")
    if not 0.0 <= min_fail < max_fail <= 1.0:
        raise ValueError("min_fail, max_fail: need 0 <= min_fail < max_fail <= 1 (proportions)")
    grid = _cut_grid(s, min_cut, max_cut)
    line = max_fail - (max_fail - min_fail) * (grid - min_cut) / (max_cut - min_cut)
    diff = _interp_fail_rate(s, grid) - line
    status = "ok"
    cut = _first_crossing(grid, diff)
    if diff[0] > 0:
        status, cut = "fail_rate_above_line", float(min_cut)
    elif cut is None:
        status, cut = "fail_rate_below_line", float(max_cut)
    fail = float(_interp_fail_rate(s, np.array([cut]))[0])
    rounded = round_raw(cut, rounding)
    return HofsteeResult(
        method="hofstee",
        raw_cut=cut,
        fail_rate=fail,
        raw_cut_rounded=rounded,
        observed_fail_rate=float(_fail_rate(s, np.array([rounded]))[0]),
        status=status,
        min_cut=float(min_cut),
        max_cut=float(max_cut),
        min_fail=float(min_fail),
        max_fail=float(max_fail),
        n=int(s.size),
        rounding=rounding,
    )


@dataclass(frozen=True)
class BeukResult(_ToDict):
    """Beuk compromise cut.

    Attributes
    ----------
    method
        ``"beuk"``.
    raw_cut
        Where the observed pass-rate curve (interpolated between integer cuts) meets the Beuk line.
    pass_rate, fail_rate
        Pass rate on the line at ``raw_cut`` and its complement.
    raw_cut_rounded, observed_pass_rate
        Rounded cut and the proportion scoring at or above it.
    mean_cut, mean_pass_rate, sd_cut, sd_pass_rate
        Panel summaries: the line passes through ``(mean_cut, mean_pass_rate)`` with slope
        ``sd_pass_rate / sd_cut``.
    status
        ``"ok"`` or ``"no_crossing"`` (then ``raw_cut`` is NaN).
    n, rounding
        Number of scores; rounding rule.
    """

    method: str
    raw_cut: float
    pass_rate: float
    fail_rate: float
    raw_cut_rounded: float
    observed_pass_rate: float
    mean_cut: float
    mean_pass_rate: float
    sd_cut: float
    sd_pass_rate: float
    status: str
    n: int
    rounding: str


def beuk(
    scores,
    *,
    mean_cut: float,
    mean_pass_rate: float,
    sd_cut: float,
    sd_pass_rate: float,
    rounding: str = "ceil",
) -> BeukResult:
    """Beuk's compromise between the panel's cut and its expected pass rate.

    Each panelist states a cut (raw-score units) and the pass rate they expect. The line through
    the panel mean ``(mean_cut, mean_pass_rate)`` with slope ``sd_pass_rate / sd_cut`` is
    intersected with the observed pass-rate curve ``P(x) = P(score >= x)`` (interpolated linearly
    between integer cuts for integer scores). The slope moves the cut and the pass rate by the same
    number of panel SDs.

    Use :func:`beuk_from_judgments` to pass the panelists' judgments directly.

    References
    ----------
    Beuk, C. H. (1984). Cizek & Bunch (2007), ch. 13.
    """
    s = _check_scores(scores)
    if not 0.0 <= mean_pass_rate <= 1.0:
        raise ValueError("mean_pass_rate: must be a proportion in [0, 1]")
    if sd_cut < 0 or sd_pass_rate < 0:
        raise ValueError("sd_cut, sd_pass_rate: must be >= 0")
    lo = min(float(s.min()), mean_cut) - 1.0
    hi = max(float(s.max()), mean_cut) + 1.0
    grid = _cut_grid(s, lo, hi)
    observed = 1.0 - _interp_fail_rate(s, grid)
    status = "ok"
    if sd_cut == 0:
        cut = float(mean_cut)
    else:
        line = mean_pass_rate + (sd_pass_rate / sd_cut) * (grid - mean_cut)
        found = _first_crossing(grid, line - observed)
        cut = math.nan if found is None else found
        if found is None:
            status = "no_crossing"
    rate = float(1.0 - _interp_fail_rate(s, np.array([cut]))[0]) if math.isfinite(cut) else math.nan
    rounded = round_raw(cut, rounding) if math.isfinite(cut) else math.nan
    observed_rate = (
        float(1.0 - _fail_rate(s, np.array([rounded]))[0]) if math.isfinite(rounded) else math.nan
    )
    return BeukResult(
        method="beuk",
        raw_cut=cut,
        pass_rate=rate,
        fail_rate=1.0 - rate,
        raw_cut_rounded=rounded,
        observed_pass_rate=observed_rate,
        mean_cut=float(mean_cut),
        mean_pass_rate=float(mean_pass_rate),
        sd_cut=float(sd_cut),
        sd_pass_rate=float(sd_pass_rate),
        status=status,
        n=int(s.size),
        rounding=rounding,
    )


def beuk_from_judgments(scores, cuts, pass_rates, *, rounding: str = "ceil") -> BeukResult:
    """Beuk cut from each panelist's cut (raw units) and expected pass rate (proportion).

    SDs use ddof = 1.
    """
    k = np.asarray(cuts, dtype=float)
    p = np.asarray(pass_rates, dtype=float)
    if k.shape != p.shape or k.size < 2:
        raise ValueError("cuts, pass_rates: need the same number (>= 2) of judgments")
    return beuk(
        scores,
        mean_cut=float(k.mean()),
        mean_pass_rate=float(p.mean()),
        sd_cut=float(k.std(ddof=1)),
        sd_pass_rate=float(p.std(ddof=1)),
        rounding=rounding,
    )


# --------------------------------------------------------------------------------------------
# examinee-centred methods
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContrastingGroupsResult(_ToDict):
    """Contrasting-groups cut.

    Attributes
    ----------
    method
        ``"contrasting-groups"``.
    criterion
        ``"logistic"`` (score where the fitted P(master | score) equals ``probability``) or
        ``"youden"`` (the cut maximizing sensitivity + specificity - 1, pass = score >= cut;
        the lowest such cut).
    raw_cut
        The cut by ``criterion``.
    logistic_cut, youden_cut
        Both cuts, for comparison.
    intercept, slope
        The logistic regression of mastery on score.
    probability
        P(master) defining the logistic cut.
    false_positive, false_negative
        Among all examinees, the proportion of non-masters at or above ``raw_cut`` and of masters
        below it.
    n_masters, n_nonmasters
        Group sizes.
    status, message
        ``"ok"`` or ``"separated"`` (the groups do not overlap: the logistic fit does not exist and
        the logistic cut is the midpoint between the groups).
    """

    method: str
    criterion: str
    raw_cut: float
    logistic_cut: float
    youden_cut: float
    intercept: float
    slope: float
    probability: float
    false_positive: float
    false_negative: float
    n_masters: int
    n_nonmasters: int
    status: str
    message: str = ""


def _logistic_fit(x: np.ndarray, y: np.ndarray, *, max_iter: int = 100, tol: float = 1e-10):
    """Newton-Raphson (IRLS) for logit P(y = 1) = b0 + b1 x; returns (b0, b1, converged)."""
    center, spread = x.mean(), x.std() or 1.0
    z = (x - center) / spread
    X = np.column_stack([np.ones_like(z), z])
    beta = np.zeros(2)
    for _ in range(max_iter):
        p = 1.0 / (1.0 + np.exp(-(X @ beta)))
        w = p * (1 - p)
        grad = X.T @ (y - p)
        hess = X.T @ (X * w[:, None])
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            return math.nan, math.nan, False
        beta = beta + step
        if np.max(np.abs(step)) < tol:
            return beta[0] - beta[1] * center / spread, beta[1] / spread, True
    return beta[0] - beta[1] * center / spread, beta[1] / spread, False


def contrasting_groups(
    scores,
    masters,
    *,
    criterion: str = "logistic",
    probability: float = 0.5,
) -> ContrastingGroupsResult:
    """Contrasting-groups cut from examinees judged masters or non-masters.

    Parameters
    ----------
    scores
        Observed scores.
    masters
        True for an examinee judged a master (qualified), False for a non-master.
    criterion
        ``"logistic"``: the score where the logistic regression of mastery on score gives
        ``P(master) = probability`` (Livingston & Zieky, 1982, smoothing by logistic regression);
        ``"youden"``: the observed cut maximizing sensitivity + specificity - 1.
    probability
        P(master) at the logistic cut (0.5 by default, equal weight to both errors).

    References
    ----------
    Livingston, S. A., & Zieky, M. J. (1982). *Passing Scores*. ETS. Cizek & Bunch (2007),
    ch. 8. Youden, W. J. (1950). Index for rating diagnostic tests. *Cancer*, 3(1), 32-35.
    """
    s = _check_scores(scores)
    m = np.asarray(masters, dtype=bool).reshape(-1)
    if m.shape != s.shape:
        raise ValueError("masters: must have one entry per score")
    if criterion not in ("logistic", "youden"):
        raise ValueError(f"criterion: expected 'logistic' or 'youden', got {criterion!r}")
    if not 0.0 < probability < 1.0:
        raise ValueError("probability: must be in (0, 1)")
    n_m, n_n = int(m.sum()), int((~m).sum())
    if n_m == 0 or n_n == 0:
        raise ValueError("masters: need at least one master and one non-master")
    # Youden: candidate cuts at the distinct scores (pass = score >= cut)
    cand = np.unique(s)
    sens = np.array([(s[m] >= c).mean() for c in cand])
    spec = np.array([(s[~m] < c).mean() for c in cand])
    youden_cut = float(cand[int(np.argmax(sens + spec - 1.0))])
    status, message = "ok", ""
    separated = s[m].min() > s[~m].max()
    if separated:
        b0 = b1 = math.nan
        logistic_cut = float((s[m].min() + s[~m].max()) / 2.0)
        status = "separated"
        message = "masters and non-masters do not overlap; logistic cut = midpoint between groups"
    else:
        b0, b1, ok = _logistic_fit(s, m.astype(float))
        logit = math.log(probability / (1.0 - probability))
        logistic_cut = float((logit - b0) / b1) if ok and b1 > 0 else math.nan
        if not ok or not b1 > 0:
            status = "failed"
            message = "logistic regression did not give an increasing fit; use criterion='youden'"
    cut = logistic_cut if criterion == "logistic" else youden_cut
    fp = float(np.mean(~m & (s >= cut))) if math.isfinite(cut) else math.nan
    fn = float(np.mean(m & (s < cut))) if math.isfinite(cut) else math.nan
    return ContrastingGroupsResult(
        method="contrasting-groups",
        criterion=criterion,
        raw_cut=cut,
        logistic_cut=logistic_cut,
        youden_cut=youden_cut,
        intercept=float(b0),
        slope=float(b1),
        probability=float(probability),
        false_positive=fp,
        false_negative=fn,
        n_masters=n_m,
        n_nonmasters=n_n,
        status=status,
        message=message,
    )


@dataclass(frozen=True)
class BorderlineResult(_ToDict):
    """Borderline-group or borderline-regression cut.

    Attributes
    ----------
    method
        ``"borderline-group"`` or ``"borderline-regression"``.
    raw_cut
        Median score of the borderline group, or the regression's predicted score at the
        borderline rating.
    se_raw
        Group: ``sqrt(pi / 2) * SD / sqrt(n)`` (large-sample SE of a median under normality).
        Regression: the OLS standard error of the mean prediction at the borderline rating.
    n
        Examinees in the borderline group (group) or in the regression (regression).
    borderline
        The rating value that means "borderline".
    intercept, slope, r_squared
        The regression of score on rating (NaN for the group method).
    """

    method: str
    raw_cut: float
    se_raw: float
    n: int
    borderline: float
    intercept: float = math.nan
    slope: float = math.nan
    r_squared: float = math.nan


def borderline_group(scores, ratings, *, borderline: float) -> BorderlineResult:
    """Borderline-group cut: the median score of the examinees rated borderline.

    References
    ----------
    Livingston & Zieky (1982). Cizek & Bunch (2007), ch. 8.
    """
    s = _check_scores(scores)
    r = np.asarray(ratings, dtype=float).reshape(-1)
    if r.shape != s.shape:
        raise ValueError("ratings: must have one entry per score")
    group = s[np.isclose(r, borderline)]
    if group.size == 0:
        raise ValueError(f"ratings: no examinee is rated borderline ({borderline:g})")
    se = (
        math.sqrt(math.pi / 2) * group.std(ddof=1) / math.sqrt(group.size)
        if group.size > 1
        else math.nan
    )
    return BorderlineResult(
        method="borderline-group",
        raw_cut=float(np.median(group)),
        se_raw=float(se),
        n=int(group.size),
        borderline=float(borderline),
    )


def borderline_regression(scores, ratings, *, borderline: float) -> BorderlineResult:
    """Borderline-regression cut: regress score on the global rating, predict at borderline.

    References
    ----------
    Wood, T. J., Humphrey-Murto, S. M., & Norman, G. R. (2006). Standard setting in a small scale
    OSCE: A comparison of the modified borderline-group method and the borderline regression
    method. *Advances in Health Sciences Education*, 11(2), 115-122.
    """
    s = _check_scores(scores)
    r = np.asarray(ratings, dtype=float).reshape(-1)
    if r.shape != s.shape:
        raise ValueError("ratings: must have one entry per score")
    if s.size < 3 or np.unique(r).size < 2:
        raise ValueError("ratings: need at least 3 examinees and 2 distinct ratings")
    fit = stats.linregress(r, s)
    pred = fit.intercept + fit.slope * borderline
    resid = s - (fit.intercept + fit.slope * r)
    sigma2 = float(resid @ resid) / (s.size - 2)
    sxx = float(np.sum((r - r.mean()) ** 2))
    se = math.sqrt(sigma2 * (1.0 / s.size + (borderline - r.mean()) ** 2 / sxx))
    return BorderlineResult(
        method="borderline-regression",
        raw_cut=float(pred),
        se_raw=se,
        n=int(s.size),
        borderline=float(borderline),
        intercept=float(fit.intercept),
        slope=float(fit.slope),
        r_squared=float(fit.rvalue**2),
    )


# --------------------------------------------------------------------------------------------
# the spec's cut_score block
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CutScoreResult(_ToDict):
    """A cut on every scale: theta, the raw score of each form, and the reporting scale.

    Attributes
    ----------
    method
        The standard-setting method (``"theta"`` when the theta cut was given directly).
    theta_cut
        The cut on the theta scale.
    theta_status
        ``"ok"`` or the status of inverting the reference form's TCC (see :class:`ThetaFromRaw`).
    reference_form
        The form on which the method's raw cut was set (and whose TCC gave ``theta_cut``).
    raw_cuts
        ``{form id: raw cut}``: ``TCC_form(theta_cut)`` rounded by ``rounding``; a candidate
        passes a form with a summed score >= its raw cut.
    raw_cuts_exact
        ``{form id: TCC_form(theta_cut)}`` unrounded.
    rounding
        The rounding rule of the raw cuts.
    scale_cut
        The cut on the reporting scale (NaN without a scale).
    scale
        The reporting scale, if any.
    detail
        The method's own result (Angoff, bookmark, Hofstee, ...), or None.
    metric
        The theta metric.
    """

    method: str
    theta_cut: float
    theta_status: str
    reference_form: str
    raw_cuts: dict[str, float]
    raw_cuts_exact: dict[str, float]
    rounding: str
    scale_cut: float
    scale: ReportingScale | None
    detail: Any
    metric: str = METRIC


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


def set_cut_score(
    method: str | None,
    *,
    forms: Mapping[str, ItemParameters],
    theta: float | None = None,
    ratings: Ratings | str | os.PathLike[str] | None = None,
    round: int | None = None,
    rp: float | None = None,
    hofstee_bounds: Mapping[str, float] | None = None,
    beuk_judgments: Mapping[str, Any] | None = None,
    scores=None,
    masters=None,
    examinee_ratings=None,
    borderline: float | str | None = None,
    units: str = "raw",
    scale: ReportingScale | Mapping[str, Any] | None = None,
    reference_form: str | None = None,
    rounding: str = "ceil",
) -> CutScoreResult:
    """Run the cut-score method a spec names and express the cut on every form and scale.

    Parameters
    ----------
    method
        One of :data:`METHODS`, or None when ``theta`` is given.
    forms
        ``{form id: ItemParameters of the form's items}``; at least one.
    theta
        A theta cut given directly (the spec's ``cut_score.theta``).
    ratings
        Angoff family: item ratings; bookmark: placements (:class:`Ratings` or a CSV path, see
        :func:`read_ratings`). Hofstee / Beuk: a panel judgments CSV (:func:`read_panel_judgments`;
        the panel means of ``min_cut, max_cut, min_fail, max_fail``, or each rater's
        ``cut, pass_rate``). Contrasting groups / borderline: an examinee judgments CSV
        ``person_id,score,rating`` (:func:`read_examinee_judgments`), which supplies ``scores``.
    round
        Round analysed (default: the last).
    rp
        Bookmark response probability (default 0.67).
    hofstee_bounds
        ``{min_cut, max_cut, min_fail, max_fail}`` (used when no ``ratings`` file is given).
    beuk_judgments
        ``{mean_cut, mean_pass_rate, sd_cut, sd_pass_rate}``, or ``{cuts: [...], pass_rates:
        [...]}``, or the spec's ``{min_cut, max_cut, min_fail, max_fail, expected_pass_rate}``:
        then the line passes through (midpoint of the cut range, expected pass rate) with slope
        ``(max_fail - min_fail) / (max_cut - min_cut)``, the ranges standing in for the SDs (only
        their ratio enters Beuk's line).
    scores
        Observed summed scores on the reference form (Hofstee, Beuk; contrasting groups and
        borderline methods when no ``ratings`` file is given).
    masters
        Mastery judgments per examinee (contrasting groups without a file).
    examinee_ratings
        Global ratings per examinee (borderline methods without a file).
    borderline
        The rating meaning "borderline" (default ``"borderline"`` for the group method).
    units
        ``"raw"``: cuts in raw-score points, rates as proportions; ``"percent"`` (the spec's
        convention): cuts in percent correct of the reference form's maximum score and rates in
        percent. Applies to the compromise methods' inputs.
    scale
        Reporting scale (``ReportingScale`` or ``{slope, intercept, round, min, max}``).
    reference_form
        Form on which a raw cut is set (default: for Angoff the first form whose items are all
        rated; otherwise the first form).
    rounding
        Rounding rule of the raw cuts (see :func:`round_raw`).

    Returns
    -------
    CutScoreResult

    Raises
    ------
    ValueError
        On an unknown method or missing inputs (naming the argument).
    InputError
        On problems in a ratings or judgments file (file, line, field).

    References
    ----------
    Cizek & Bunch (2007); Hambleton & Pitoniak (2006); Beuk (1984); Hofstee (1983).
    """
    if not forms:
        raise ValueError("forms: need at least one form")
    if rounding not in ROUNDING_RULES:
        raise ValueError(f"rounding: expected one of {ROUNDING_RULES}, got {rounding!r}")
    if units not in ("raw", "percent"):
        raise ValueError(f"units: expected 'raw' or 'percent', got {units!r}")
    if scale is not None and not isinstance(scale, ReportingScale):
        scale = ReportingScale(**(dict(scale) if isinstance(scale, Mapping) else asdict(scale)))
    if method is None and theta is None:
        raise ValueError("method: give a method or a theta cut")
    if method is not None and method not in METHODS:
        raise ValueError(f"method: expected one of {', '.join(METHODS)}, got {method!r}")
    if reference_form is not None and reference_form not in forms:
        raise ValueError(f"reference_form: {reference_form!r} is not one of the forms")
    ref = reference_form or next(iter(forms))
    detail: Any = None
    status = "ok"

    def need(value, name):
        if value is None:
            raise ValueError(f"{name}: required by method {method!r}")
        return value

    if method is None:
        theta_cut = float(theta)  # type: ignore[arg-type]
        method = "theta"
    elif method in ("angoff", "yes-no-angoff", "bookmark"):
        kind = {"angoff": "angoff", "yes-no-angoff": "yes-no", "bookmark": "bookmark"}[method]
        r = need(ratings, "ratings")
        if not isinstance(r, Ratings):
            r = read_ratings(r, kind=kind)
        if method == "bookmark":
            rp_ = 0.67 if rp is None else rp
            detail = bookmark(r, forms[ref], rp=rp_, round=round, rounding=rounding)
            theta_cut = detail.theta_cut
        else:
            if reference_form is None:
                rated = set(r.item_id)
                ref = next((f for f, p in forms.items() if set(p.item_ids) <= rated), ref)
            detail = angoff(r, forms[ref], round=round, yes_no=method == "yes-no-angoff")
            theta_cut, status = detail.theta_cut, detail.theta_status
    else:
        max_score = float(np.sum(forms[ref].max_scores))
        cut_unit = max_score / 100.0 if units == "percent" else 1.0
        rate_unit = 0.01 if units == "percent" else 1.0
        if method in ("hofstee", "beuk"):
            s = need(scores, "scores")
            panel: dict[str, Any] = {}
            if ratings is not None:
                table = read_panel_judgments(ratings)
                panel = {k: v for k, v in table.columns.items() if k != "rater"}
            if method == "hofstee":
                if panel:
                    missing = [k for k in PANEL_COLUMNS[:4] if k not in panel]
                    if missing:
                        raise InputError(
                            f"missing column '{missing[0]}'", file=ratings, line=1, field=missing[0]
                        )
                    bounds = {k: float(np.mean(panel[k])) for k in PANEL_COLUMNS[:4]}
                else:
                    bounds = {
                        k: float(v) for k, v in need(hofstee_bounds, "hofstee_bounds").items()
                    }
                detail = hofstee(
                    s,
                    min_cut=bounds["min_cut"] * cut_unit,
                    max_cut=bounds["max_cut"] * cut_unit,
                    min_fail=bounds["min_fail"] * rate_unit,
                    max_fail=bounds["max_fail"] * rate_unit,
                    rounding=rounding,
                )
            else:
                j = (
                    {"cuts": panel.get("cut"), "pass_rates": panel.get("pass_rate")}
                    if panel
                    else dict(need(beuk_judgments, "beuk_judgments"))
                )
                if panel and (j["cuts"] is None or j["pass_rates"] is None):
                    raise InputError(
                        "Beuk judgments need columns 'cut' and 'pass_rate'", file=ratings, line=1
                    )
                if "cuts" in j:
                    detail = beuk_from_judgments(
                        s,
                        np.asarray(j["cuts"], dtype=float) * cut_unit,
                        np.asarray(j["pass_rates"], dtype=float) * rate_unit,
                        rounding=rounding,
                    )
                elif "mean_cut" in j:
                    detail = beuk(
                        s,
                        mean_cut=float(j["mean_cut"]) * cut_unit,
                        mean_pass_rate=float(j["mean_pass_rate"]) * rate_unit,
                        sd_cut=float(j["sd_cut"]) * cut_unit,
                        sd_pass_rate=float(j["sd_pass_rate"]) * rate_unit,
                        rounding=rounding,
                    )
                else:
                    detail = beuk(
                        s,
                        mean_cut=(float(j["min_cut"]) + float(j["max_cut"])) / 2 * cut_unit,
                        mean_pass_rate=float(j["expected_pass_rate"]) * rate_unit,
                        sd_cut=(float(j["max_cut"]) - float(j["min_cut"])) * cut_unit,
                        sd_pass_rate=(float(j["max_fail"]) - float(j["min_fail"])) * rate_unit,
                        rounding=rounding,
                    )
        else:
            if ratings is not None:
                table = read_examinee_judgments(ratings)
                s = table.columns["score"]
                if method == "contrasting-groups":
                    masters = mastery_from_labels(table)
                else:
                    labels = tuple(str(x).strip().lower() for x in table.columns["rating"])
                    if method == "borderline-group" and (
                        borderline is None or isinstance(borderline, str)
                    ):
                        label = "borderline" if borderline is None else borderline.lower()
                        examinee_ratings = np.array([x == label for x in labels], dtype=float)
                        borderline = 1.0
                    else:
                        examinee_ratings = numeric_ratings(table)
            else:
                s = need(scores, "scores")
            if method == "contrasting-groups":
                detail = contrasting_groups(s, need(masters, "masters"))
            else:
                fn = borderline_group if method == "borderline-group" else borderline_regression
                detail = fn(
                    s,
                    need(examinee_ratings, "examinee_ratings"),
                    borderline=float(need(borderline, "borderline")),
                )
        inv = theta_for_raw(forms[ref], detail.raw_cut)
        theta_cut, status = inv.theta, inv.status
    exact = {f: float(test_characteristic_curve(p, [theta_cut])[0]) for f, p in forms.items()}
    return CutScoreResult(
        method=method,
        theta_cut=float(theta_cut),
        theta_status=status,
        reference_form=ref,
        raw_cuts={f: round_raw(v, rounding) for f, v in exact.items()},
        raw_cuts_exact=exact,
        rounding=rounding,
        scale_cut=math.nan if scale is None else float(scale.convert(theta_cut)),
        scale=scale,
        detail=detail,
    )
