"""The item model: one frozen dataclass per item file, and the bank that holds them."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STATUSES = ("draft", "review", "approved", "pretest", "operational", "retired", "suspended")
"""Item lifecycle states."""
TYPES = ("mcq", "msq", "rubric")
"""Item types: one answer, several answers, rubric scored 0..K-1."""
COGNITIVE_LEVELS = ("remember", "understand", "apply", "analyze", "evaluate", "create")
"""Revised Bloom's taxonomy (Anderson & Krathwohl, 2001)."""
CHOICE_MODELS = ("rasch", "1pl", "2pl", "3pl")
RUBRIC_MODELS = ("grm", "gpcm", "pcm")

A_RANGE = (0.0, 6.0)
"""Open lower bound, closed upper bound accepted for a discrimination ``a``."""
B_RANGE = (-6.0, 6.0)
"""Closed range accepted for a difficulty or threshold ``b``."""
C_RANGE = (0.0, 0.5)
"""Half-open range [0, 0.5) accepted for a lower asymptote ``c``."""


@dataclass(frozen=True)
class ItemIRT:
    """The ``irt:`` block of an item (logistic metric, D = 1).

    Attributes
    ----------
    model
        One of :data:`CHOICE_MODELS` (mcq/msq) or :data:`RUBRIC_MODELS` (rubric items).
    a
        Discrimination; 1 for Rasch/PCM when not written.
    b
        Difficulty (one value) or thresholds ``b1..b_{K-1}`` of a rubric item.
    c
        Lower asymptote (0 unless 3PL).
    se
        Standard errors as written (``{a: .., b: .., c: ..}`` or ``{b1: ..}``).
    calibration, n, date
        Which calibration produced the numbers, on how many examinees, and when.
    """

    model: str
    a: float
    b: tuple[float, ...]
    c: float = 0.0
    se: Mapping[str, float] = field(default_factory=dict)
    calibration: str | None = None
    n: int | None = None
    date: str | None = None


@dataclass(frozen=True)
class ItemStats:
    """Classical statistics of an item: proportion correct (or mean/max), point-biserial, n."""

    p: float | None = None
    rpbis: float | None = None
    n: int | None = None


@dataclass(frozen=True)
class Exposure:
    """Where and how often an item has been used."""

    forms: tuple[str, ...] = ()
    administrations: int | None = None
    last_used: str | None = None


@dataclass(frozen=True)
class Item:
    """One item of the bank, as read from its YAML file.

    Attributes
    ----------
    id, version, status, outcome, cognitive_level, type
        Identity and classification (see :data:`STATUSES`, :data:`COGNITIVE_LEVELS`,
        :data:`TYPES`); ``None`` where the file has no valid value (lint reports it).
    stem, options, key
        Markdown stem; options letter -> text in the written order; key as a tuple of option
        letters (one for mcq, several for msq, empty for rubric items).
    max_score, score_levels
        Rubric items: highest score and score -> description (from ``score_levels`` or
        ``scoring_guide``).
    rationale, enemies, set, author, reviewers, created, updated, expected_seconds, tags
        As written (dates as ISO strings).
    word_count
        As written, else the words of stem and options.
    attributes
        Free attributes for test assembly (``{dok: 2, standard: S3, words: 140}``): names map to
        numbers, text or booleans; form constraints may count, sum or average them.
    irt, stats, exposure, history
        Parameters (logistic metric, D = 1), classical statistics, use, and earlier values.
    path
        The item file.
    data
        The mapping as written (to write the file back without losing fields).
    lines
        1-based line of every field path (``"irt.a"``, ``"options.B"``), for messages.
    """

    id: str
    version: int | None
    status: str | None
    outcome: str | None
    cognitive_level: str | None
    type: str | None
    stem: str
    options: Mapping[str, str]
    key: tuple[str, ...]
    rationale: str | None = None
    enemies: tuple[str, ...] = ()
    set: str | None = None
    author: str | None = None
    reviewers: tuple[str, ...] = ()
    created: str | None = None
    updated: str | None = None
    expected_seconds: float | None = None
    word_count: int = 0
    max_score: int | None = None
    score_levels: Mapping[int, str] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    attributes: Mapping[str, Any] = field(default_factory=dict)
    irt: ItemIRT | None = None
    stats: ItemStats | None = None
    history: tuple[Any, ...] = ()
    exposure: Exposure | None = None
    path: Path | None = field(default=None, compare=False)
    data: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    lines: Mapping[str, int] = field(default_factory=dict, repr=False, compare=False)

    @property
    def calibrated(self) -> bool:
        return self.irt is not None

    @property
    def n_categories(self) -> int:
        """Score categories: 2 for mcq/msq, ``max_score + 1`` for rubric items."""
        if self.type == "rubric":
            return (self.max_score or 1) + 1
        return 2

    def line(self, field_path: str) -> int | None:
        """Line of ``field_path`` (or of its nearest written parent), if known."""
        path = field_path
        while path:
            if path in self.lines:
                return self.lines[path]
            cut = max(path.rfind("."), path.rfind("["))
            if cut <= 0:
                break
            path = path[:cut]
        return self.lines.get(path) if path else None


@dataclass(frozen=True)
class ItemSet:
    """A passage or case shared by items that travel together (``BANK/sets/<ID>.yaml``).

    Attributes
    ----------
    id, title
        The set (its id is what the items' ``set`` field names).
    stimulus
        The shared text (Markdown), or ``None``.
    items
        The member item ids, as the set file lists them.
    outcomes
        Outcomes the set serves.
    """

    id: str
    title: str = ""
    stimulus: str | None = None
    items: tuple[str, ...] = ()
    outcomes: tuple[str, ...] = ()
    path: Path | None = field(default=None, compare=False)
    lines: Mapping[str, int] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class Bank:
    """The items of a bank directory.

    Attributes
    ----------
    root
        The bank directory (the one holding ``items/``).
    items_dir
        The directory of the item files.
    items
        The items in file-name order.
    sets
        Item sets with a file under ``BANK/sets/`` (id -> :class:`ItemSet`).
    """

    root: Path
    items_dir: Path
    items: tuple[Item, ...]
    sets: Mapping[str, ItemSet] = field(default_factory=dict)
    _index: dict[str, Item] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[str, Item] = {}
        for item in self.items:
            index.setdefault(item.id, item)
        object.__setattr__(self, "_index", index)

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[Item]:
        return iter(self.items)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._index

    def __getitem__(self, item_id: str) -> Item:
        return self._index[item_id]

    def get(self, item_id: str) -> Item | None:
        return self._index.get(item_id)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(item.id for item in self.items)

    def select(self, *, statuses=None, outcomes=None, types=None) -> tuple[Item, ...]:
        """Items filtered by status, outcome and type (``None`` = any)."""
        return tuple(
            item
            for item in self.items
            if (statuses is None or item.status in statuses)
            and (outcomes is None or item.outcome in outcomes)
            and (types is None or item.type in types)
        )

    def file_of(self, item_id: str) -> Path | None:
        item = self._index.get(item_id)
        return None if item is None else item.path
