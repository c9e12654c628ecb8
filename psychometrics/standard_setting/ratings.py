"""Panel ratings of the test-centred methods: Angoff probabilities, Yes/No judgments, bookmarks."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from psychometrics.errors import InputError
from psychometrics.standard_setting._common import (
    ToDict,
    check_choice,
    parse_number,
    read_csv,
    require_columns,
)

RATING_KINDS = ("angoff", "yes-no", "bookmark")
MAX_ROUND = 1000
"""Largest round number accepted (a panel meets a handful of times; larger is a typo)."""


@dataclass(frozen=True)
class Ratings(ToDict):
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
        check_choice(kind, "kind", RATING_KINDS)
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
    check_choice(kind, "kind", RATING_KINDS)
    path, header, rows = read_csv(path)
    value_col = "page" if kind == "bookmark" and "page" in header else "rating"
    required = ["rater", value_col] + ([] if kind == "bookmark" else ["item_id"])
    if kind == "bookmark" and value_col not in header and "item_id" in header:
        required = ["rater", "item_id"]
    require_columns(header, required, path)
    names = ("rater", "item_id", value_col, "round")
    pos = {name: header.index(name) for name in names if name in header}
    raters: list[str] = []
    items: list[str] = []
    values: list[float] = []
    rounds: list[int] = []
    lines: list[int] = []
    seen: dict[tuple[str, str, int], int] = {}
    for line_no, row in rows:

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
            value = parse_number(raw, path, line_no, value_col)
            _check_rating(kind, value, path, line_no, value_col)
        rnd_text = cell("round")
        rnd = 1
        if "round" in pos and not rnd_text:
            raise InputError(
                "missing round (the file has a round column)",
                file=path,
                line=line_no,
                field="round",
            )
        if rnd_text:
            if not rnd_text.isascii() or not rnd_text.lstrip("+").isdigit():
                raise InputError(
                    f"'{rnd_text[:40]}' is not a positive integer round",
                    file=path,
                    line=line_no,
                    field="round",
                )
            if len(rnd_text) > 6 or not 1 <= int(rnd_text) <= MAX_ROUND:
                raise InputError(
                    f"round must be in 1..{MAX_ROUND}, got {rnd_text[:40]}",
                    file=path,
                    line=line_no,
                    field="round",
                )
            rnd = int(rnd_text)
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


def check_ratings_against(ratings: Ratings, params) -> None:
    """Check every row of every round against the item parameters.

    A rating of an item of ``params`` must not exceed that item's maximum score (1 for a
    dichotomous item); ratings of other items are ignored by the methods. Rounds that are not
    analysed are checked too: an invalid row there would otherwise only make its round vanish
    from the round-by-round table.

    Parameters
    ----------
    ratings
        Angoff or Yes/No ratings.
    params
        :class:`~psychometrics.irt.models.ItemParameters` holding the rated items.

    Raises
    ------
    InputError
        Naming the file, line and field of the first invalid row.
    """
    if ratings.kind == "bookmark" or not len(ratings.rater):
        return
    known = {item: k for k, item in enumerate(params.item_ids)}
    index = np.array([known.get(item, -1) for item in ratings.item_id])
    limits = np.where(index >= 0, np.asarray(params.max_scores, dtype=float)[index], np.inf)
    over = np.flatnonzero(ratings.rating > limits + 1e-12)
    if over.size:
        i = int(over[0])
        raise InputError(
            f"rating {ratings.rating[i]:g} of item '{ratings.item_id[i]}' in round "
            f"{int(ratings.round[i])} exceeds its maximum score {limits[i]:g}",
            file=ratings.source,
            line=int(ratings.line[i]) or None,
            field="rating",
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
