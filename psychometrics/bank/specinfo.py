"""What the bank commands need from a credential spec: outcome ids and the form blueprint.

The bank layer does not import the program layer (imports flow program -> bank). Callers that
have a loaded spec pass :meth:`psychometrics.program.spec.Spec.bank_info`; this module's own
minimal, safe reader of the same keys serves a bare spec path (a spec whose cut-score ratings file
is missing can still lint a bank).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from psychometrics.bank.yamlio import read_yaml_file
from psychometrics.errors import InputError

MAX_SPEC_BYTES = 1024 * 1024


@dataclass(frozen=True)
class SpecInfo:
    """Outcomes and form requirements of a credential spec.

    Attributes
    ----------
    outcomes
        Outcome ids in spec order, with their titles.
    length, count, max_overlap, item_status
        Form length, number of forms, largest overlap share between two forms, eligible statuses.
    blueprint
        Per outcome id, ``(min, max)`` items on every form.
    credential_id
        The credential's id (names the outcome framework in QTI metadata).
    """

    outcomes: dict[str, str]
    length: int | None = None
    count: int = 1
    max_overlap: float = 0.0
    item_status: tuple[str, ...] = ("operational",)
    blueprint: dict[str, tuple[int, int]] = field(default_factory=dict)
    credential_id: str = ""


def _int(value: Any, default: int | None, file: Path, name: str) -> int | None:
    if value is None:
        return default
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InputError("must be a non-negative integer", file=file, field=name)
    return value


def _minimal(path: Path) -> SpecInfo:
    data, lines, _ = read_yaml_file(path, max_bytes=MAX_SPEC_BYTES)
    if not isinstance(data, dict):
        raise InputError("a spec must be a YAML mapping", file=path, line=1)
    raw = data.get("outcomes")
    if not isinstance(raw, list) or not raw:
        raise InputError(
            "the spec needs a list of outcomes",
            file=path,
            line=lines.get("outcomes"),
            field="outcomes",
        )
    outcomes: dict[str, str] = {}
    for i, entry in enumerate(raw):
        oid = entry.get("id") if isinstance(entry, dict) else None
        if not isinstance(oid, str) or not oid:
            raise InputError(
                "each outcome needs an id",
                file=path,
                line=lines.get(f"outcomes[{i}]"),
                field=f"outcomes[{i}]",
            )
        outcomes[oid] = str(entry.get("title", ""))
    form = data.get("form") if isinstance(data.get("form"), dict) else {}
    blueprint: dict[str, tuple[int, int]] = {}
    bp = form.get("blueprint") or {}
    if isinstance(bp, dict):
        for oid, value in bp.items():
            if isinstance(value, dict):
                lo = _int(value.get("min"), 0, path, f"form.blueprint.{oid}.min") or 0
                hi = _int(value.get("max"), lo, path, f"form.blueprint.{oid}.max") or lo
            else:
                lo = hi = _int(value, 0, path, f"form.blueprint.{oid}") or 0
            blueprint[str(oid)] = (lo, hi)
    status = form.get("item_status", ["operational"])
    if isinstance(status, str):
        status = [status]
    overlap = form.get("max_overlap", 0.0)
    if isinstance(overlap, bool) or not isinstance(overlap, int | float) or not 0 <= overlap <= 1:
        raise InputError("must be a share in [0, 1]", file=path, field="form.max_overlap")
    return SpecInfo(
        outcomes=outcomes,
        length=_int(form.get("length"), None, path, "form.length"),
        count=_int(form.get("count"), 1, path, "form.count") or 1,
        max_overlap=float(overlap),
        item_status=tuple(str(s) for s in status) if isinstance(status, list) else ("operational",),
        blueprint=blueprint,
        credential_id=str((data.get("credential") or {}).get("id", ""))
        if isinstance(data.get("credential"), dict)
        else "",
    )


def read_spec_info(path: str | os.PathLike[str]) -> SpecInfo:
    """Outcomes and form blueprint of a spec file (see the module docstring)."""
    path = Path(path)
    if not path.is_file():
        raise InputError("spec file not found", file=path)
    return _minimal(path)


def spec_outcomes(path: str | os.PathLike[str]) -> tuple[str, ...]:
    """The outcome ids of a spec, in spec order."""
    return tuple(read_spec_info(path).outcomes)


def specs_using_bank(bank_dir: str | os.PathLike[str]) -> list[Path]:
    """The spec files of the program folder (``<bank>/../specs/*.yaml``) whose ``bank:`` is this
    bank. Specs that cannot be read are left out (``spec check`` reports them)."""
    root = Path(bank_dir).resolve()
    folder = root.parent / "specs"
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.iterdir()):
        if path.suffix not in (".yaml", ".yml") or path.name.startswith(".") or not path.is_file():
            continue
        try:
            data, _, _ = read_yaml_file(path, max_bytes=MAX_SPEC_BYTES)
        except InputError:
            continue
        bank = data.get("bank") if isinstance(data, dict) else None
        if isinstance(bank, str) and bank and (path.parent / bank).resolve() == root:
            found.append(path)
    return found


def known_outcomes(
    bank_dir: str | os.PathLike[str], *, spec: str | os.PathLike[str] | None = None
) -> tuple[tuple[str, ...] | None, str]:
    """The outcome ids an item of this bank may name, and where they come from.

    ``spec`` if given; else every spec of the program folder that uses the bank
    (:func:`specs_using_bank`); else ``(None, "")``: the caller decides (e.g. from the items).
    """
    paths = [Path(spec)] if spec is not None else specs_using_bank(bank_dir)
    if not paths:
        return None, ""
    ids: dict[str, None] = {}
    for path in paths:
        ids.update(dict.fromkeys(read_spec_info(path).outcomes))
    return tuple(ids), ", ".join(str(p) for p in paths)
