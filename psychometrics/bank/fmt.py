"""``credkit bank format``: rewrite item files in the canonical layout (like a code formatter).

The canonical layout is the one :func:`~psychometrics.bank.yamlio.dump_item` writes: fields in the
documented order, multi-line text as literal blocks. Only files that load without error are
rewritten, each atomically; files with comments are left alone unless ``drop_comments`` (the
canonical form cannot keep them).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from psychometrics.bank.journal import bank_lock, bank_root
from psychometrics.bank.parse import parse_item
from psychometrics.bank.store import item_files
from psychometrics.bank.yamlio import dump_item, has_comments, read_yaml_file
from psychometrics.errors import CredkitError
from psychometrics.fileio import atomic_write_text


@dataclass(frozen=True)
class FormatResult:
    """Files that were (or, with ``check``, would be) rewritten, and files left alone with why."""

    changed: tuple[str, ...]
    skipped: tuple[tuple[str, str], ...]
    unchanged: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "changed": list(self.changed),
            "skipped": [list(s) for s in self.skipped],
            "unchanged": self.unchanged,
        }


def format_bank(
    bank_dir: str | os.PathLike[str], *, check: bool = False, drop_comments: bool = False
) -> FormatResult:
    """Rewrite the bank's item files canonically (``check``: only report what would change)."""
    if check:
        return _format_bank(bank_dir, check=check, drop_comments=drop_comments)
    with bank_lock(bank_root(bank_dir)):
        return _format_bank(bank_dir, check=check, drop_comments=drop_comments)


def _format_bank(bank_dir, *, check: bool, drop_comments: bool) -> FormatResult:
    changed: list[str] = []
    skipped: list[tuple[str, str]] = []
    same = 0
    for path in item_files(bank_dir):
        try:
            data, lines, text = read_yaml_file(path)
        except CredkitError as exc:
            skipped.append((str(path), exc.message))
            continue
        _, findings = parse_item(data, lines, path=Path(path))
        errors = [f for f in findings if f.is_error]
        if errors:
            skipped.append((str(path), f"has errors ({errors[0].field}: {errors[0].message})"))
            continue
        new = dump_item(data)
        if new == text:
            same += 1
            continue
        if has_comments(text) and not drop_comments:
            skipped.append((str(path), "has comments, which the canonical layout drops"))
            continue
        changed.append(str(path))
        if not check:
            atomic_write_text(path, new)
    return FormatResult(tuple(changed), tuple(skipped), same)
