"""The item fields that QTI interchange adds to the item model: shuffle, scoring, feedback.

They live in the item file as written (``Item.data``)::

    shuffle: true            # the delivery system may shuffle the options ...
    fixed: [D]               # ... except these, which keep their position
    scoring:                 # partial credit: points per chosen option (QTI response mapping)
      map: {A: 1, B: 0.5}
      default: 0             # points of an option the map leaves out
      lower_bound: 0         # the item score is clipped to [lower_bound, upper_bound]
      upper_bound: 1
    feedback:                # shown on a condition, never part of the stem or the options
    - kind: inline           # inline (in the text), block, modal (after the attempt), template
      option: A              # inline feedback that goes with option A
      outcome: FEEDBACK      # the variable and value that show it (show: false hides it)
      identifier: A
      text: Not quite: that is the mode.

:func:`item_extras` reads and checks them; a bad value is one :class:`InputError` naming the
field.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from psychometrics.bank.model import Item
from psychometrics.errors import InputError

FEEDBACK_KINDS = ("inline", "block", "modal", "template")


@dataclass(frozen=True)
class Feedback:
    """One piece of conditional content of an item (see the module docstring)."""

    kind: str
    text: str
    outcome: str = "FEEDBACK"
    identifier: str = ""
    show: bool = True
    title: str | None = None
    option: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        if self.option is not None:
            out["option"] = self.option
        out["outcome"] = self.outcome
        out["identifier"] = self.identifier
        if not self.show:
            out["show"] = False
        if self.title:
            out["title"] = self.title
        out["text"] = self.text
        return out


@dataclass(frozen=True)
class Scoring:
    """A response mapping: points per option, the default, and bounds of the item score."""

    points: Mapping[str, float]
    default: float = 0.0
    lower_bound: float | None = None
    upper_bound: float | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"map": {k: _plain(v) for k, v in self.points.items()}}
        out["default"] = _plain(self.default)
        if self.lower_bound is not None:
            out["lower_bound"] = _plain(self.lower_bound)
        if self.upper_bound is not None:
            out["upper_bound"] = _plain(self.upper_bound)
        return out

    def maximum(self, *, multiple: bool) -> float:
        """The highest item score the mapping gives."""
        values = list(self.points.values()) + [self.default]
        best = sum(v for v in values if v > 0) if multiple else max(values)
        return min(best, self.upper_bound) if self.upper_bound is not None else best


@dataclass(frozen=True)
class ItemExtras:
    shuffle: bool = False
    fixed: tuple[str, ...] = ()
    scoring: Scoring | None = None
    feedback: tuple[Feedback, ...] = field(default_factory=tuple)


def _plain(value: float) -> float | int:
    return int(value) if float(value).is_integer() else float(value)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def item_extras(item: Item) -> ItemExtras:
    """The shuffle, scoring and feedback fields of ``item``, checked.

    Raises
    ------
    InputError
        Naming the item file, line and field of a malformed value.
    """
    data = item.data

    def fail(name: str, message: str) -> InputError:
        return InputError(message, file=item.path, line=item.line(name), field=name)

    shuffle = data.get("shuffle", False)
    if not isinstance(shuffle, bool):
        raise fail("shuffle", "must be true or false")
    fixed = data.get("fixed") or []
    if not isinstance(fixed, list) or any(f not in item.options for f in fixed):
        raise fail("fixed", "must be a list of option letters")
    scoring = None
    raw = data.get("scoring")
    if raw is not None:
        if not isinstance(raw, Mapping) or not isinstance(raw.get("map"), Mapping):
            raise fail("scoring", "must be a mapping with 'map' (option letter -> points)")
        points = raw["map"]
        for letter, value in points.items():
            if letter not in item.options or not _number(value):
                raise fail(f"scoring.map.{letter}", "points of an option letter must be a number")
        bounds = {}
        for name in ("default", "lower_bound", "upper_bound"):
            value = raw.get(name)
            if value is not None and not _number(value):
                raise fail(f"scoring.{name}", "must be a number")
            bounds[name] = None if value is None else float(value)
        unknown = set(raw) - {"map", "default", "lower_bound", "upper_bound"}
        if unknown:
            raise fail("scoring", f"unknown key {sorted(unknown)[0]!r}")
        scoring = Scoring(
            {str(k): float(v) for k, v in points.items()},
            bounds["default"] or 0.0,
            bounds["lower_bound"],
            bounds["upper_bound"],
        )
    feedback = []
    entries = data.get("feedback") or []
    if not isinstance(entries, list):
        raise fail("feedback", "must be a list of {kind, outcome, identifier, text}")
    for k, entry in enumerate(entries):
        where = f"feedback[{k}]"
        if not isinstance(entry, Mapping) or not isinstance(entry.get("text"), str):
            raise fail(where, "needs a text")
        kind = entry.get("kind", "modal")
        if kind not in FEEDBACK_KINDS:
            raise fail(f"{where}.kind", f"one of: {', '.join(FEEDBACK_KINDS)}")
        option = entry.get("option")
        if option is not None and (kind != "inline" or option not in item.options):
            raise fail(f"{where}.option", "inline feedback of an option names an option letter")
        show = entry.get("show", True)
        if not isinstance(show, bool):
            raise fail(f"{where}.show", "must be true or false")
        texts = {n: entry.get(n) for n in ("outcome", "identifier", "title")}
        for name, value in texts.items():
            if value is not None and not isinstance(value, str):
                raise fail(f"{where}.{name}", "must be text")
        feedback.append(
            Feedback(
                kind=kind,
                text=entry["text"],
                outcome=texts["outcome"] or "FEEDBACK",
                identifier=texts["identifier"] or "",
                show=show,
                title=texts["title"],
                option=option,
            )
        )
    return ItemExtras(shuffle, tuple(fixed), scoring, tuple(feedback))
