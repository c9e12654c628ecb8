"""CSV export of the bank: one row per item, options in columns, IRT and classical statistics.

Text cells that a spreadsheet would run as a formula are prefixed with a single quote
(:func:`psychometrics.fileio.csv_safe_cell`, OWASP's rule, shared by every CSV writer); numbers are
written as numbers.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from pathlib import Path

from psychometrics.bank.model import Bank, Item
from psychometrics.fileio import atomic_write_text, safe_csv_writer


def _safe(text: str | None) -> str:
    return "" if text is None else text  # the writer neutralises formulas


def _num(x) -> str:
    return "" if x is None else repr(float(x)) if isinstance(x, float) else str(x)


def bank_to_csv(items: Sequence[Item]) -> str:
    """The CSV text of the items (header row first)."""
    n_options = max([len(i.options) for i in items] or [4])
    n_steps = max([len(i.irt.b) for i in items if i.irt is not None and i.type == "rubric"] or [0])
    letters = [chr(ord("A") + k) for k in range(n_options)]
    header = [
        "id", "version", "status", "outcome", "cognitive_level", "type", "set", "stem",
        *(f"option_{x}" for x in letters), "key", "max_score", "rationale", "enemies", "author",
        "expected_seconds", "word_count", "irt_model", "a", "b", "c",
        *(f"b{k + 1}" for k in range(n_steps)), "calibration", "irt_n", "p", "rpbis", "stats_n",
    ]  # fmt: skip
    buf = io.StringIO()
    writer = safe_csv_writer(buf)
    writer.writerow(header)
    for item in items:
        irt = item.irt
        rubric = item.type == "rubric"
        row = [
            _safe(item.id),
            _num(item.version),
            item.status or "",
            _safe(item.outcome),
            item.cognitive_level or "",
            item.type or "",
            _safe(item.set),
            _safe(item.stem.rstrip("\n")),
            *(_safe(item.options.get(x)) for x in letters),
            ";".join(item.key),
            _num(item.max_score),
            _safe(item.rationale),
            ";".join(item.enemies),
            _safe(item.author),
            _num(item.expected_seconds),
            _num(item.word_count),
            irt.model if irt else "",
            _num(irt.a) if irt else "",
            _num(irt.b[0]) if irt and not rubric else "",
            _num(irt.c) if irt and irt.model == "3pl" else "",
            *(_num(irt.b[k]) if irt and rubric and k < len(irt.b) else "" for k in range(n_steps)),
            _safe(irt.calibration) if irt else "",
            _num(irt.n) if irt else "",
            _num(item.stats.p) if item.stats else "",
            _num(item.stats.rpbis) if item.stats else "",
            _num(item.stats.n) if item.stats else "",
        ]
        writer.writerow(row)
    return buf.getvalue()


def export_csv(
    bank: Bank, out_path: str | os.PathLike[str], *, items: Sequence[Item] | None = None
) -> Path:
    """Write the bank (or ``items``) as CSV, atomically."""
    out = Path(out_path)
    atomic_write_text(out, bank_to_csv(list(bank.items if items is None else items)))
    return out
