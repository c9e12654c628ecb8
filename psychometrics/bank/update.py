"""Writing new parameters and statistics into the item files, all or nothing.

Every update validates everything first (the bank loads cleanly, every item exists, every value is
in range, every new file parses back without error), then writes all new files as temporary files
next to their targets, then renames them into place. If any rename fails, the files already
replaced are restored from their original bytes, so a failing update leaves the bank as it was.
The previous ``irt`` or ``stats`` block is moved to ``history`` with the date and calibration.
Only the changed fields are rewritten; every other line of the file (comments, layout) is kept
as the item writer wrote it.
"""

from __future__ import annotations

import datetime as _dt
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from psychometrics.bank.journal import bank_lock, write_files_transactionally
from psychometrics.bank.model import (
    B_RANGE,
    C_RANGE,
    CHOICE_MODELS,
    RUBRIC_MODELS,
    Bank,
    Item,
)
from psychometrics.bank.parse import parse_item
from psychometrics.bank.store import bank_root, load_bank
from psychometrics.bank.yamlio import parse_yaml, replace_fields
from psychometrics.errors import InputError
from psychometrics.irt.models import ItemParameters

DECIMALS = 4
"""Parameters and statistics are written rounded to this many decimals."""


@dataclass(frozen=True)
class BankUpdate:
    """What an update wrote.

    Attributes
    ----------
    bank_dir
        The bank.
    item_ids
        The items whose files were rewritten, in update order.
    files
        Their paths.
    """

    bank_dir: str
    item_ids: tuple[str, ...]
    files: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "bank_dir": self.bank_dir,
            "item_ids": list(self.item_ids),
            "files": list(self.files),
        }


def _round(x: float) -> float:
    return float(round(float(x), DECIMALS))


def _today(date: str | _dt.date | None) -> _dt.date:
    if date is None:
        return _dt.date.today()
    if isinstance(date, _dt.date):
        return date
    try:
        return _dt.date.fromisoformat(str(date))
    except ValueError:
        raise InputError(f"not a date (YYYY-MM-DD): {date!r}", field="date") from None


def _render_checked(item: Item, updates: dict[str, Any], append: dict[str, list]) -> str:
    """The item file with ``updates`` applied (other lines kept as written), checked."""
    try:
        original = item.path.read_text(encoding="utf-8")  # type: ignore[union-attr]
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the item file: {exc}", file=item.path) from None
    text = replace_fields(original, updates, append=append)
    parsed, lines = parse_yaml(text, file=item.path)
    _, findings = parse_item(parsed, lines, path=item.path)  # type: ignore[arg-type]
    errors = [f for f in findings if f.is_error]
    if errors:
        first = errors[0]
        raise InputError(
            f"the update would make the item invalid: {first.message}",
            file=item.path,
            field=first.field,
        )
    return text


def _history_entry(event: str, date: _dt.date, block: Any, name: str) -> dict[str, Any]:
    entry: dict[str, Any] = {"date": date, "event": event}
    if isinstance(block, Mapping) and block.get("calibration") is not None:
        entry["calibration"] = block["calibration"]
    entry[name] = dict(block) if isinstance(block, Mapping) else block
    return entry


def _irt_block(
    item: Item, params: ItemParameters, j: int, *, calibration_id: str, n: int | None, date
) -> dict[str, Any]:
    model = params.model[j]
    allowed = RUBRIC_MODELS if item.type == "rubric" else CHOICE_MODELS
    where = {"file": item.path, "field": "irt"}
    if model not in allowed:
        raise InputError(f"model {model} does not fit a {item.type} item", **where)
    a = float(params.a[j])
    bs = [float(b) for b in params.b[j] if not math.isnan(b)]
    c = float(params.c[j])
    if not (math.isfinite(a) and a > 0):
        raise InputError(f"new a = {a:g} is not > 0", **where)
    for b in bs:
        if not (B_RANGE[0] <= b <= B_RANGE[1]):
            raise InputError(f"new b = {b:g} is outside [{B_RANGE[0]:g}, {B_RANGE[1]:g}]", **where)
    if model == "3pl" and not (C_RANGE[0] <= c < C_RANGE[1]):
        raise InputError(f"new c = {c:g} is outside [0, 0.5)", **where)
    block: dict[str, Any] = {"model": model, "a": _round(a)}
    se: dict[str, float] = {}
    if not math.isnan(params.se_a[j]):
        se["a"] = _round(params.se_a[j])
    if item.type == "rubric":
        if item.max_score is not None and len(bs) != item.max_score:
            raise InputError(
                f"{len(bs)} thresholds for an item with max_score {item.max_score}", **where
            )
        for k, b in enumerate(bs):
            block[f"b{k + 1}"] = _round(b)
            if not math.isnan(params.se_b[j, k]):
                se[f"b{k + 1}"] = _round(params.se_b[j, k])
    else:
        if len(bs) != 1:
            raise InputError(f"{len(bs)} thresholds for a choice item", **where)
        block["b"] = _round(bs[0])
        if not math.isnan(params.se_b[j, 0]):
            se["b"] = _round(params.se_b[j, 0])
    if model == "3pl":
        block["c"] = _round(c)
        if not math.isnan(params.se_c[j]):
            se["c"] = _round(params.se_c[j])
    if se:
        block["se"] = se
    block["calibration"] = calibration_id
    if n is not None:
        block["n"] = int(n)
    block["date"] = date
    return block


def update_item_parameters(
    bank_dir: str | os.PathLike[str],
    params: ItemParameters,
    *,
    calibration_id: str,
    n: int | Mapping[str, int] | None = None,
    date: str | _dt.date | None = None,
) -> BankUpdate:
    """Write new IRT parameters into the items' files, moving the old ``irt`` block to history.

    Parameters
    ----------
    bank_dir
        The bank.
    params
        New parameters (logistic metric, D = 1); every item id must be in the bank, with a model
        that fits the item type (3pl/2pl/1pl/rasch for choice items, grm/gpcm/pcm for rubric
        items with ``max_score`` thresholds).
    calibration_id
        Identifies the calibration run (written as ``irt.calibration``).
    n
        Examinees per item (one number, or per item id).
    date
        Calibration date (default: today).

    Raises
    ------
    InputError
        Before anything is written, for an unknown item, an unfit model, a value out of range or
        a bank with errors. A failure while writing restores every file already replaced.
    """
    if not isinstance(calibration_id, str) or not calibration_id:
        raise ValueError("calibration_id must be a non-empty string")
    when = _today(date)
    with bank_lock(bank_root(bank_dir)):
        bank = load_bank(bank_dir)
        texts: dict[Path, str] = {}
        for j, item_id in enumerate(params.item_ids):
            item = _require(bank, item_id)
            count = n.get(item_id) if isinstance(n, Mapping) else n
            block = _irt_block(item, params, j, calibration_id=calibration_id, n=count, date=when)
            old = item.data.get("irt")
            append = {"history": [_history_entry("recalibrated", when, old, "irt")]} if old else {}
            texts[item.path] = _render_checked(item, {"irt": block, "updated": when}, append)  # type: ignore[index]
        write_files_transactionally(texts, root=bank_root(bank_dir))
    return BankUpdate(str(bank_dir), tuple(params.item_ids), tuple(str(p) for p in texts))


def update_item_stats(
    bank_dir: str | os.PathLike[str],
    item_ids: Sequence[str],
    *,
    p: Sequence[float] | np.ndarray,
    rpbis: Sequence[float] | np.ndarray,
    n: Sequence[int] | np.ndarray | int,
    date: str | _dt.date | None = None,
    source: str | None = None,
) -> BankUpdate:
    """Write classical statistics (p, point-biserial, n) into the items' ``stats`` blocks.

    The previous ``stats`` block moves to ``history``. ``p`` is the proportion correct (for a
    rubric item, the mean score divided by ``max_score``); ``rpbis`` the (corrected) item-total
    correlation. NaN values are written as missing. All-or-nothing like
    :func:`update_item_parameters`.
    """
    ids = list(item_ids)
    p_arr = np.asarray(p, dtype=float).reshape(-1)
    r_arr = np.asarray(rpbis, dtype=float).reshape(-1)
    n_arr = np.broadcast_to(np.asarray(n), (len(ids),)) if np.ndim(n) == 0 else np.asarray(n)
    if not (len(p_arr) == len(r_arr) == len(n_arr) == len(ids)):
        raise ValueError("item_ids, p, rpbis and n must have the same length")
    if np.any((p_arr < 0) | (p_arr > 1)):
        raise ValueError("p must be in [0, 1]")
    if np.any((r_arr < -1) | (r_arr > 1)):
        raise ValueError("rpbis must be in [-1, 1]")
    when = _today(date)
    with bank_lock(bank_root(bank_dir)):
        bank = load_bank(bank_dir)
        texts: dict[Path, str] = {}
        for j, item_id in enumerate(ids):
            item = _require(bank, item_id)
            block: dict[str, Any] = {}
            if not math.isnan(p_arr[j]):
                block["p"] = _round(p_arr[j])
            if not math.isnan(r_arr[j]):
                block["rpbis"] = _round(r_arr[j])
            block["n"] = int(n_arr[j])
            block["date"] = when
            if source is not None:
                block["source"] = source
            old = item.data.get("stats")
            entry = _history_entry("new statistics", when, old, "stats")
            append = {"history": [entry]} if old else {}
            texts[item.path] = _render_checked(item, {"stats": block, "updated": when}, append)  # type: ignore[index]
        write_files_transactionally(texts, root=bank_root(bank_dir))
    return BankUpdate(str(bank_dir), tuple(ids), tuple(str(p) for p in texts))


def _require(bank: Bank, item_id: str) -> Item:
    item = bank.get(item_id)
    if item is None or item.path is None:
        raise InputError(f"item '{item_id}' is not in the bank", file=bank.items_dir, field=item_id)
    return item


def record_exposure(
    bank_dir: str | os.PathLike[str],
    item_ids: Sequence[str],
    *,
    form_id: str,
    administrations: int | Mapping[str, int] = 0,
    date: str | _dt.date | None = None,
) -> BankUpdate:
    """Record that items were used on a form: ``exposure.forms`` gains ``form_id`` (once),
    ``exposure.administrations`` grows by ``administrations`` (one number or per item id) and
    ``exposure.last_used`` becomes ``date``. All-or-nothing like the other updates.
    """
    if not isinstance(form_id, str) or not form_id:
        raise ValueError("form_id must be a non-empty string")
    when = _today(date)
    with bank_lock(bank_root(bank_dir)):
        bank = load_bank(bank_dir)
        texts: dict[Path, str] = {}
        for item_id in item_ids:
            item = _require(bank, item_id)
            count = (
                administrations.get(item_id, 0)
                if isinstance(administrations, Mapping)
                else administrations
            )
            if not isinstance(count, int) or isinstance(count, bool) or count < 0:
                raise ValueError("administrations must be non-negative integers")
            old = item.data.get("exposure")
            old = old if isinstance(old, Mapping) else {}
            forms = list(old.get("forms") or [])
            if form_id not in forms:
                forms.append(form_id)
            total = old.get("administrations") or 0
            total = int(total) + count
            block = {**old, "forms": forms, "administrations": total, "last_used": when}
            texts[item.path] = _render_checked(item, {"exposure": block}, {})  # type: ignore[index]
        write_files_transactionally(texts, root=bank_root(bank_dir))
    return BankUpdate(str(bank_dir), tuple(item_ids), tuple(str(p) for p in texts))
