"""``credkit bank stats``: what the bank holds, and where item writers should write next.

Without a spec: items by outcome x status x cognitive level, calibrated or not. With a spec:
for each outcome of the blueprint, the eligible calibrated items (status in ``form.item_status``)
against the number the forms need, and the gap.

Items needed per outcome. A form takes ``n`` items of the outcome (the blueprint minimum); ``F``
forms may share at most ``floor(r * n)`` of them pairwise (the spec's ``max_overlap`` share ``r``
applied to the outcome). The fewest distinct items that allow this is
:func:`psychometrics.assembly.min_distinct_items` (for F = 2 it is ``2n - floor(r n)``; for more
forms an item may sit on several forms, each of its pairs counting against the cap). The share is
guidance for writers: assembly caps the overlap of whole forms, so it can succeed with fewer
items of one outcome. Assembly also has to meet information targets and enemy constraints, so
this is a floor, not a comfortable stock.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any

from psychometrics.assembly import min_distinct_items
from psychometrics.bank.model import COGNITIVE_LEVELS, STATUSES, Bank
from psychometrics.bank.specinfo import SpecInfo

UNSPECIFIED = "unspecified"


@dataclass(frozen=True)
class OutcomeNeed:
    """Supply and need of one blueprint outcome.

    Attributes
    ----------
    outcome, title
        The outcome.
    per_form
        Items of the outcome on each form (blueprint minimum).
    forms, max_overlap
        From the spec.
    needed
        Fewest distinct eligible items the forms need (see the module docstring).
    eligible
        Calibrated items with an eligible status.
    pipeline
        Items on their way (draft, review, approved, pretest).
    gap
        ``max(0, needed - eligible)``: items to write and calibrate first.
    """

    outcome: str
    title: str
    per_form: int
    forms: int
    max_overlap: float
    needed: int
    eligible: int
    pipeline: int
    gap: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class BankStats:
    """Counts of a bank.

    Attributes
    ----------
    n_items
        Items in the bank.
    counts
        Records ``{outcome, status, cognitive_level, n, calibrated}`` for every non-empty cell.
    by_outcome
        Per outcome: total, per status, calibrated.
    needs
        Per blueprint outcome (with a spec), see :class:`OutcomeNeed`; empty without a spec.
    unknown_outcomes
        Outcomes of items that the spec does not list.
    """

    n_items: int
    counts: tuple[dict[str, Any], ...]
    by_outcome: dict[str, dict[str, Any]]
    needs: tuple[OutcomeNeed, ...] = ()
    unknown_outcomes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_items": self.n_items,
            "counts": list(self.counts),
            "by_outcome": self.by_outcome,
            "needs": [n.to_dict() for n in self.needs],
            "unknown_outcomes": list(self.unknown_outcomes),
        }


PIPELINE = ("draft", "review", "approved", "pretest")


def items_needed(per_form: int, forms: int, max_overlap: float) -> int:
    """Fewest distinct items for ``forms`` forms of ``per_form`` items each with the overlap cap."""
    if per_form <= 0:
        return 0
    shared = math.floor(max_overlap * per_form + 1e-9)
    return min_distinct_items(forms, per_form, shared)


def bank_stats(bank: Bank, *, spec: SpecInfo | None = None) -> BankStats:
    """Count the bank's items by outcome, status and cognitive level, and (with a spec) the gaps."""
    cells: Counter = Counter()
    calibrated: Counter = Counter()
    for item in bank:
        key = (
            item.outcome or UNSPECIFIED,
            item.status or UNSPECIFIED,
            item.cognitive_level or UNSPECIFIED,
        )
        cells[key] += 1
        calibrated[key] += item.irt is not None
    order_status = {s: i for i, s in enumerate(STATUSES)}
    order_level = {s: i for i, s in enumerate(COGNITIVE_LEVELS)}
    outcome_order = list(spec.outcomes) if spec is not None else []
    outcome_rank = {o: i for i, o in enumerate(outcome_order)}

    def sort_key(k):
        o, s, lv = k
        return (
            outcome_rank.get(o, len(outcome_rank)),
            o,
            order_status.get(s, 99),
            order_level.get(lv, 99),
        )

    counts = tuple(
        {
            "outcome": o,
            "status": s,
            "cognitive_level": lv,
            "n": cells[(o, s, lv)],
            "calibrated": calibrated[(o, s, lv)],
        }
        for (o, s, lv) in sorted(cells, key=sort_key)
    )
    by_outcome: dict[str, dict[str, Any]] = {}
    for rec in counts:
        row = by_outcome.setdefault(
            rec["outcome"], {"total": 0, "calibrated": 0, "status": {}, "cognitive_level": {}}
        )
        row["total"] += rec["n"]
        row["calibrated"] += rec["calibrated"]
        row["status"][rec["status"]] = row["status"].get(rec["status"], 0) + rec["n"]
        lv = rec["cognitive_level"]
        row["cognitive_level"][lv] = row["cognitive_level"].get(lv, 0) + rec["n"]
    needs: list[OutcomeNeed] = []
    unknown: tuple[str, ...] = ()
    if spec is not None:
        eligible_status = set(spec.item_status)
        for outcome, title in spec.outcomes.items():
            lo, _hi = spec.blueprint.get(outcome, (0, 0))
            items = bank.select(outcomes={outcome})
            eligible = sum(1 for i in items if i.status in eligible_status and i.irt is not None)
            pipeline = sum(
                1 for i in items if i.status in PIPELINE and i.status not in eligible_status
            )
            need = items_needed(lo, spec.count, spec.max_overlap)
            needs.append(
                OutcomeNeed(
                    outcome,
                    title,
                    lo,
                    spec.count,
                    spec.max_overlap,
                    need,
                    eligible,
                    pipeline,
                    max(0, need - eligible),
                )
            )
        unknown = tuple(sorted(o for o in by_outcome if o not in spec.outcomes))
    return BankStats(len(bank), counts, by_outcome, tuple(needs), unknown)


def format_stats(stats: BankStats) -> str:
    """Plain-text tables of :class:`BankStats`."""
    lines = []
    statuses = [
        s
        for s in (*STATUSES, UNSPECIFIED)
        if any(s in r["status"] for r in stats.by_outcome.values())
    ]
    header = ["outcome", *statuses, "total", "calibrated"]
    rows = [
        [o, *(str(r["status"].get(s, 0)) for s in statuses), str(r["total"]), str(r["calibrated"])]
        for o, r in stats.by_outcome.items()
    ]
    lines.append(f"{stats.n_items} items by outcome and status")
    lines += _table(header, rows)
    levels = [
        lv
        for lv in (*COGNITIVE_LEVELS, UNSPECIFIED)
        if any(lv in r["cognitive_level"] for r in stats.by_outcome.values())
    ]
    lines.append("")
    lines.append("items by outcome and cognitive level")
    lines += _table(
        ["outcome", *levels],
        [
            [o, *(str(r["cognitive_level"].get(lv, 0)) for lv in levels)]
            for o, r in stats.by_outcome.items()
        ],
    )
    if stats.needs:
        lines.append("")
        lines.append(
            "eligible calibrated items against what the forms need (gap = write here next)"
        )
        lines += _table(
            ["outcome", "per form", "forms", "needed", "eligible", "in pipeline", "gap"],
            [
                [
                    n.outcome,
                    str(n.per_form),
                    str(n.forms),
                    str(n.needed),
                    str(n.eligible),
                    str(n.pipeline),
                    str(n.gap),
                ]
                for n in stats.needs
            ],
        )
    if stats.unknown_outcomes:
        lines.append("")
        lines.append(f"outcomes not in the spec: {', '.join(stats.unknown_outcomes)}")
    return "\n".join(lines)


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
    fmt = "  ".join(f"{{:<{w}}}" if i == 0 else f"{{:>{w}}}" for i, w in enumerate(widths))
    return [fmt.format(*header), *(fmt.format(*r) for r in rows)]
