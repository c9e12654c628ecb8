"""Item conditions and attribute constraints of a spec's ``form:`` block.

A *condition* selects items: ``dok >= 3``, ``type == MC and words <= 200``,
``standard in (2, 4)``, ``rpbis < .15``. Clauses are joined by ``and``; the operators are
``== != < <= > >= in`` and ``not in``. A name is an item attribute (``attributes:`` in the item
file) or one of the item's own fields (:data:`FIELDS`). An item without the named value never
meets a clause (so ``count where dok >= 3`` does not count items without ``dok``).

A *constraint* key ranges over items: ``count where <condition>`` (items meeting it),
``sum <name>`` and ``mean <name>`` (of a numeric value over the form's items), each with a
``{min, max}`` range (:func:`parse_constraint_key`).

TestDesign (Choi & Lim) writes the same constraints as rows of a table
(``Number, Item, DOK >= 3, 4, 30``); a spec writes ``count where dok >= 3: {min: 4}``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "FIELDS",
    "AttributeConstraintKey",
    "Condition",
    "item_value",
    "parse_condition",
    "parse_constraint_key",
]

FIELDS = (
    "id",
    "outcome",
    "level",
    "cognitive_level",
    "type",
    "status",
    "set",
    "p",
    "rpbis",
    "n",
    "a",
    "b",
    "c",
    "words",
    "seconds",
    "exposure",
    "forms_used",
)
"""Item fields a condition may name besides the item's ``attributes``: ``level`` (the cognitive
level), ``p``/``rpbis``/``n`` (classical statistics), ``a``/``b``/``c`` (IRT parameters; ``b`` of a
dichotomous item or the mean threshold), ``words`` (word count), ``seconds`` (expected seconds),
``exposure`` (administrations the item was used in) and ``forms_used`` (forms it appeared on)."""

_OPS = ("==", "!=", "<=", ">=", "<", ">", "not in", "in")
_CLAUSE = re.compile(
    r"^\s*(?P<name>[A-Za-z_][\w.]*)\s*(?P<op>==|!=|<=|>=|<|>|\bnot\s+in\b|\bin\b)\s*(?P<value>.+?)"
    r"\s*$",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")


def _literal(text: str) -> Any:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    if _NUMBER.match(text):
        number = float(text)
        return int(number) if number.is_integer() and "." not in text else number
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    if not text or any(ch in text for ch in "()[],=<>!"):
        raise ValueError(f"'{text}' is not a value (a number, a word or a quoted text)")
    return text


@dataclass(frozen=True)
class _Clause:
    name: str
    op: str
    value: Any  # a literal, or a tuple of literals for in / not in

    def holds(self, v: Any) -> bool:
        if v is None:
            return False
        if self.op in ("in", "not in"):
            inside = any(_equal(v, w) for w in self.value)
            return inside if self.op == "in" else not inside
        if self.op == "==":
            return _equal(v, self.value)
        if self.op == "!=":
            return not _equal(v, self.value)
        a, b = _number(v), _number(self.value)
        if a is None or b is None:
            return False
        return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[self.op]


def _number(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int | float):
        return float(v)
    if isinstance(v, str) and _NUMBER.match(v.strip()):
        return float(v)
    return None


def _equal(v: Any, w: Any) -> bool:
    a, b = _number(v), _number(w)
    if a is not None and b is not None:
        return a == b
    return str(v).strip().lower() == str(w).strip().lower()


@dataclass(frozen=True)
class Condition:
    """Clauses joined by ``and`` (see the module docstring)."""

    text: str
    clauses: tuple[_Clause, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.clauses)

    def mask(self, items: Sequence[Any]) -> np.ndarray:
        """Boolean per item: does the item meet every clause?"""
        return np.array(
            [all(c.holds(item_value(it, c.name)) for c in self.clauses) for it in items],
            dtype=bool,
        )


def parse_condition(text: str) -> Condition:
    """Parse ``text`` into a :class:`Condition`; ValueError says what is wrong."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError("a condition must be a text such as 'dok >= 3'")
    clauses = []
    for part in re.split(r"\s+and\s+", text.strip(), flags=re.IGNORECASE):
        m = _CLAUSE.match(part)
        if m is None:
            raise ValueError(
                f"'{part.strip()}' is not '<name> <operator> <value>' "
                f"(operators: {', '.join(_OPS)})"
            )
        op = re.sub(r"\s+", " ", m["op"].lower())
        raw = m["value"].strip()
        if op in ("in", "not in"):
            if not (raw[:1] in "([" and raw[-1:] in ")]"):
                raise ValueError(f"'{part.strip()}': '{op}' needs a list such as (2, 4)")
            value: Any = tuple(_literal(v) for v in raw[1:-1].split(",") if v.strip())
            if not value:
                raise ValueError(f"'{part.strip()}': the list is empty")
        else:
            value = _literal(raw)
        clauses.append(_Clause(m["name"], op, value))
    return Condition(text.strip(), tuple(clauses))


@dataclass(frozen=True)
class AttributeConstraintKey:
    """A parsed constraint key: ``kind`` is ``count``, ``sum`` or ``mean``."""

    kind: str
    name: str | None  # the summed/averaged value (sum, mean)
    condition: Condition | None  # count where ...
    text: str


def parse_constraint_key(text: str) -> AttributeConstraintKey:
    """``count where <condition>``, ``sum <name>`` or ``mean <name>``; ValueError if not."""
    key = str(text).strip()
    m = re.match(r"^count\s+where\s+(.+)$", key, flags=re.IGNORECASE)
    if m:
        return AttributeConstraintKey("count", None, parse_condition(m[1]), key)
    m = re.match(r"^(sum|mean)\s+([A-Za-z_][\w.]*)$", key, flags=re.IGNORECASE)
    if m:
        return AttributeConstraintKey(m[1].lower(), m[2], None, key)
    raise ValueError(f"'{key}' is not 'count where <condition>', 'sum <name>' or 'mean <name>'")


def item_value(item: Any, name: str) -> Any:
    """The value ``name`` of a bank item: an attribute, else one of :data:`FIELDS`; or None."""
    attributes = getattr(item, "attributes", None) or {}
    if name in attributes:
        return attributes[name]
    stats, irt, exposure = item.stats, item.irt, item.exposure
    if name in ("p", "rpbis", "n"):
        return None if stats is None else getattr(stats, name)
    if name in ("a", "c"):
        return None if irt is None else getattr(irt, name)
    if name == "b":
        return None if irt is None or not irt.b else float(np.mean(irt.b))
    simple = {
        "id": item.id,
        "outcome": item.outcome,
        "level": item.cognitive_level,
        "cognitive_level": item.cognitive_level,
        "type": item.type,
        "status": item.status,
        "set": item.set,
        "words": item.word_count,
        "seconds": item.expected_seconds,
        "exposure": 0 if exposure is None else (exposure.administrations or 0),
        "forms_used": 0 if exposure is None else len(exposure.forms),
    }
    return simple.get(name)
