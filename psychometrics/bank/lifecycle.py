"""The item lifecycle: status changes with their rules, recorded in the items' history.

::

    draft -> review -> approved -> pretest -> operational -> suspended / retired
                 ^-------'  (back to review or draft for rework)

An item becomes ``operational`` only with IRT parameters (it has to be on the bank scale to be
assembled and scored). ``retired`` is final unless forced. Every change appends
``{date, event: status, from, to, by}`` to the item's history and sets ``updated``; a change to
several items is written all-or-nothing.
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Sequence

from psychometrics.bank.journal import bank_lock, write_files_transactionally
from psychometrics.bank.model import STATUSES
from psychometrics.bank.store import bank_root, load_bank
from psychometrics.bank.update import BankUpdate, _render_checked, _today
from psychometrics.errors import InputError

TRANSITIONS: dict[str, tuple[str, ...]] = {
    "draft": ("review",),
    "review": ("draft", "approved"),
    "approved": ("review", "pretest", "operational"),
    "pretest": ("review", "operational", "retired"),
    "operational": ("suspended", "retired"),
    "suspended": ("operational", "retired", "review"),
    "retired": (),
}
"""Allowed status changes (``force=True`` skips this table, not the calibration requirement)."""


def set_status(
    bank_dir: str | os.PathLike[str],
    item_ids: Sequence[str],
    status: str,
    *,
    by: str | None = None,
    date: str | _dt.date | None = None,
    note: str | None = None,
    force: bool = False,
) -> BankUpdate:
    """Move items to ``status``, recording the change in their history.

    Raises
    ------
    InputError
        Before anything is written: an unknown status or item, a change the lifecycle does not
        allow (unless ``force``), or ``operational`` for an item without IRT parameters.
    """
    if status not in STATUSES:
        raise InputError(
            f"unknown status '{status}'; one of: {', '.join(STATUSES)}", field="status"
        )
    if not item_ids:
        raise InputError("give at least one item id", field="items")
    when = _today(date)
    with bank_lock(bank_root(bank_dir)):
        bank = load_bank(bank_dir)
        texts = {}
        for item_id in item_ids:
            item = bank.get(item_id)
            if item is None or item.path is None:
                raise InputError(f"item '{item_id}' is not in the bank", file=bank.items_dir)
            old = item.status
            if old == status:
                raise InputError(
                    f"already {status}", file=item.path, line=item.line("status"), field="status"
                )
            if not force and status not in TRANSITIONS.get(old or "", ()):
                allowed = ", ".join(TRANSITIONS.get(old or "", ())) or "none"
                raise InputError(
                    f"{old} -> {status} is not a lifecycle step "
                    f"(allowed: {allowed}; force overrides)",
                    file=item.path,
                    line=item.line("status"),
                    field="status",
                )
            if status == "operational" and item.irt is None:
                raise InputError(
                    "an operational item needs IRT parameters (calibrate it first)",
                    file=item.path,
                    line=item.line("status"),
                    field="status",
                )
            entry = {"date": when, "event": "status", "from": old, "to": status}
            if by:
                entry["by"] = by
            if note:
                entry["note"] = note
            texts[item.path] = _render_checked(
                item, {"status": status, "updated": when}, {"history": [entry]}
            )
        write_files_transactionally(texts, root=bank_root(bank_dir))
    return BankUpdate(str(bank_dir), tuple(item_ids), tuple(str(p) for p in texts))
