"""Reading a bank directory: every item file, checked, into a :class:`Bank`.

A bank directory holds ``items/<ID>.yaml`` (one item per file). :func:`read_bank` returns the bank
together with every problem found in its files (used by lint); :func:`load_bank` is what the other
commands call: it raises one :class:`~psychometrics.errors.InputError` if any item file has an
error.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from psychometrics.bank.findings import ERROR, Finding
from psychometrics.bank.journal import bank_root, recover_writes
from psychometrics.bank.model import Bank, Item, ItemSet
from psychometrics.bank.parse import parse_item
from psychometrics.bank.yamlio import MAX_ITEM_BYTES, read_yaml_file
from psychometrics.errors import CredkitError, InputError
from psychometrics.irt.models import ItemParameters
from psychometrics.responses import ItemKey

ITEM_SUFFIXES = (".yaml", ".yml")
MAX_ITEM_FILES = 100_000


def items_dir(bank_dir: str | os.PathLike[str]) -> Path:
    """The directory holding the item files: ``BANK/items`` if it exists, else ``BANK`` itself."""
    root = Path(bank_dir)
    if not root.exists():
        raise InputError("bank directory not found", file=root)
    if not root.is_dir():
        raise InputError("not a directory (give the bank directory)", file=root)
    sub = root / "items"
    return sub if sub.is_dir() else root


def item_files(bank_dir: str | os.PathLike[str]) -> list[Path]:
    """The item files of a bank, sorted by name (hidden and temporary files skipped)."""
    folder = items_dir(bank_dir)
    files = sorted(
        p
        for p in folder.iterdir()
        if p.suffix in ITEM_SUFFIXES and not p.name.startswith(".") and p.is_file()
    )
    if len(files) > MAX_ITEM_FILES:
        raise InputError(f"more than {MAX_ITEM_FILES} item files", file=folder)
    return files


def read_item_file(
    path: str | os.PathLike[str], *, max_bytes: int = MAX_ITEM_BYTES
) -> tuple[Item | None, list[Finding]]:
    """Read one item file; problems are returned as findings, never raised."""
    path = Path(path)
    try:
        data, lines, _ = read_yaml_file(path, max_bytes=max_bytes)
    except CredkitError as exc:
        finding = Finding(str(path), exc.line or 0, exc.field or "file", ERROR, exc.message, "yaml")
        return None, [finding]
    return parse_item(data, lines, path=path)


def read_bank(
    bank_dir: str | os.PathLike[str], *, max_item_bytes: int = MAX_ITEM_BYTES
) -> tuple[Bank, list[Finding]]:
    """Read every item file of a bank; return the bank and the per-file findings.

    Items whose file could not be parsed at all are left out of the bank (their finding says
    why). Duplicate ids are reported here too (the first file keeps the id).
    """
    root = Path(bank_dir)
    folder = items_dir(root)
    recover_writes(bank_root(root))
    items: list[Item] = []
    findings: list[Finding] = []
    first: dict[str, Item] = {}
    for path in item_files(root):
        item, found = read_item_file(path, max_bytes=max_item_bytes)
        findings.extend(found)
        if item is None:
            continue
        if item.id in first:
            other = first[item.id]
            findings.append(
                Finding(
                    str(path),
                    item.line("id") or 1,
                    "id",
                    ERROR,
                    f"duplicate id '{item.id}' (also in {other.path})",
                    "duplicate-id",
                )
            )
            continue
        first[item.id] = item
        items.append(item)
    sets, set_findings = read_sets(root, max_bytes=max_item_bytes)
    findings.extend(set_findings)
    bank = Bank(root=root, items_dir=folder, items=tuple(items), sets=sets)
    findings.extend(enemy_findings(bank))  # bank-level: enforced by load_bank too
    return bank, findings


def enemy_findings(bank: Bank) -> list[Finding]:
    """Bank-level rule: every enemy is in the bank and lists the item back (errors)."""
    out = []
    for item in bank:
        for i, enemy in enumerate(item.enemies):
            where = f"enemies[{i}]"
            other = bank.get(enemy)
            if other is None:
                out.append(_at(item, where, f"enemy '{enemy}' is not in the bank", "enemy-missing"))
            elif item.id not in other.enemies:
                out.append(
                    _at(
                        item,
                        where,
                        f"enemy '{enemy}' does not list '{item.id}' back (enemies are mutual); "
                        f"add it to {other.path}",
                        "enemy-not-mutual",
                    )
                )
    return out


def _at(item: Item, field: str, message: str, rule: str) -> Finding:
    return Finding(str(item.path), item.line(field) or 1, field, ERROR, message, rule)


def read_sets(
    bank_dir: str | os.PathLike[str], *, max_bytes: int = MAX_ITEM_BYTES
) -> tuple[dict[str, ItemSet], list[Finding]]:
    """The set files ``BANK/sets/*.yaml`` (passages or cases shared by several items)."""
    folder = Path(bank_dir) / "sets"
    sets: dict[str, ItemSet] = {}
    findings: list[Finding] = []
    if not folder.is_dir():
        return sets, findings
    for path in sorted(folder.iterdir()):
        if path.suffix not in ITEM_SUFFIXES or path.name.startswith(".") or not path.is_file():
            continue
        try:
            data, lines, _ = read_yaml_file(path, max_bytes=max_bytes)
        except CredkitError as exc:
            findings.append(
                Finding(str(path), exc.line or 0, exc.field or "file", ERROR, exc.message, "yaml")
            )
            continue

        def bad(field: str, message: str, path=path, lines=lines) -> None:
            findings.append(
                Finding(str(path), lines.get(field, 1), field, ERROR, message, "bad-set")
            )

        if not isinstance(data, dict):
            bad("yaml", "a set file must hold a mapping of fields")
            continue
        set_id = data.get("id")
        if not isinstance(set_id, str) or not set_id:
            bad("id", "missing required field")
            continue
        if set_id != path.stem:
            bad("id", f"id '{set_id}' differs from the file name '{path.name}'")
        members = data.get("items", [])
        if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
            bad("items", "must be a list of item ids")
            members = []
        outcomes = data.get("outcomes", [])
        if not isinstance(outcomes, list) or not all(isinstance(o, str) for o in outcomes):
            bad("outcomes", "must be a list of outcome ids")
            outcomes = []
        stimulus = data.get("stimulus")
        if stimulus is not None and not isinstance(stimulus, str):
            bad("stimulus", "must be text (Markdown)")
            stimulus = None
        title = data.get("title", "")
        sets[set_id] = ItemSet(
            id=set_id,
            title=str(title) if title is not None else "",
            stimulus=stimulus,
            items=tuple(members),
            outcomes=tuple(outcomes),
            path=path,
            lines=lines,
        )
    return sets, findings


def load_bank(bank_dir: str | os.PathLike[str], *, max_item_bytes: int = MAX_ITEM_BYTES) -> Bank:
    """Load a bank for use by the other commands.

    Parameters
    ----------
    bank_dir
        The bank directory (holding ``items/``) or the items directory itself.
    max_item_bytes
        Size limit of one item file; larger files are rejected.

    Raises
    ------
    InputError
        Naming the file, line and field of the first error in any item file (duplicate ids,
        malformed YAML, a key that is not an option, ...), with the count of further problems.
        Guideline warnings do not stop loading; run ``credkit bank lint`` to see everything.
    """
    bank, findings = read_bank(bank_dir, max_item_bytes=max_item_bytes)
    errors = sorted(f for f in findings if f.is_error)
    if errors:
        first = errors[0]
        more = (
            f" (and {len(errors) - 1} more errors; run `credkit bank lint`)"
            if len(errors) > 1
            else ""
        )
        raise InputError(
            first.message + more, file=first.file, line=first.line or None, field=first.field
        )
    return bank


def bank_keys(bank: Bank, *, item_ids: Iterable[str] | None = None) -> dict[str, ItemKey]:
    """Scoring keys of the bank's items for :func:`psychometrics.responses.read_responses`.

    Choice items (mcq, msq) map to their option letters and keyed letter(s), so that responses
    written as option letters are scored; rubric items map to their ``max_score`` (responses are
    integer scores 0..max_score).
    """
    wanted = None if item_ids is None else set(item_ids)
    keys: dict[str, ItemKey] = {}
    for item in bank:
        if wanted is not None and item.id not in wanted:
            continue
        if item.type == "rubric":
            keys[item.id] = ItemKey(max_score=item.max_score)
        else:
            keys[item.id] = ItemKey(
                options=tuple(item.options), correct=frozenset(item.key), max_score=1
            )
    return keys


def bank_parameters(
    bank: Bank,
    *,
    statuses: Iterable[str] | None = None,
    item_ids: Iterable[str] | None = None,
) -> ItemParameters:
    """IRT parameters of the bank's calibrated items as :class:`ItemParameters`.

    Parameters
    ----------
    bank
        A loaded bank.
    statuses
        Keep items with these statuses only (e.g. ``["operational"]``); ``None`` = all.
    item_ids
        Keep these items only, in this order; each must be in the bank and calibrated.

    Raises
    ------
    InputError
        When a requested item is missing or has no ``irt`` block.
    """
    wanted_status = None if statuses is None else set(statuses)
    if item_ids is not None:
        chosen = []
        for item_id in item_ids:
            item = bank.get(item_id)
            if item is None:
                raise InputError(f"item '{item_id}' is not in the bank", file=bank.items_dir)
            if item.irt is None:
                raise InputError("item has no irt parameters", file=item.path, field="irt")
            chosen.append(item)
    else:
        chosen = [
            item
            for item in bank
            if item.irt is not None and (wanted_status is None or item.status in wanted_status)
        ]
    width = max([len(item.irt.b) for item in chosen] or [1])  # type: ignore[union-attr]
    n = len(chosen)
    a = np.empty(n)
    b = np.full((n, width), np.nan)
    c = np.zeros(n)
    se_a, se_b, se_c = np.full(n, np.nan), np.full((n, width), np.nan), np.full(n, np.nan)
    for j, item in enumerate(chosen):
        irt = item.irt
        if irt is None:  # pragma: no cover - chosen holds calibrated items only
            continue
        a[j] = irt.a
        b[j, : len(irt.b)] = irt.b
        c[j] = irt.c
        se_a[j] = irt.se.get("a", np.nan)
        se_c[j] = irt.se.get("c", np.nan)
        if len(irt.b) == 1:
            se_b[j, 0] = irt.se.get("b", np.nan)
        else:
            for k in range(len(irt.b)):
                se_b[j, k] = irt.se.get(f"b{k + 1}", np.nan)
    return ItemParameters(
        item_ids=tuple(item.id for item in chosen),
        model=tuple(item.irt.model for item in chosen),  # type: ignore[union-attr]
        a=a,
        b=b,
        c=c,
        se_a=se_a,
        se_b=se_b,
        se_c=se_c,
    )
