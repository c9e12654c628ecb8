"""Form files: read and validate one, load a folder, write one (never a published one)."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

from psychometrics.bank.yamlio import read_yaml_file
from psychometrics.errors import InputError
from psychometrics.fileio import atomic_write_text
from psychometrics.program.forms.model import (
    FORM_FORMAT,
    FORM_ID_PATTERN,
    FORM_STATUSES,
    MAX_FORM_BYTES,
    SHA256_PATTERN,
    AssemblyRecord,
    FormItem,
    PublishedForm,
    items_digest,
)


def _need(cond: bool, message: str, path: Path, line: int | None, field_: str) -> None:
    """Raise an InputError when ``cond`` is false; ``message`` does not repeat ``field_``
    (the error prints ``file:line: field: message``)."""
    if not cond:
        raise InputError(message, file=path, line=line, field=field_)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_ASSEMBLY_TEXTS = ("solver", "status", "message")
_ASSEMBLY_NUMBERS = ("gap", "objective", "bound", "seconds")


def _assembly(data: Any, path: Path, lines: Mapping[str, int]) -> AssemblyRecord | None:
    """The ``assembly`` record, validated: every violation names the file, line and field."""
    if data is None:
        return None
    top = lines.get("assembly", 1)

    def at(name: str) -> int:
        return lines.get(f"assembly.{name}", top)

    _need(
        isinstance(data, Mapping), f"expected a mapping, got {_show(data)}", path, top, "assembly"
    )
    for name in _ASSEMBLY_TEXTS:
        value = data.get(name)
        _need(
            value is None or isinstance(value, str),
            f"expected text, got {_show(value)}",
            path,
            at(name),
            f"assembly.{name}",
        )
    for name in _ASSEMBLY_NUMBERS:
        value = data.get(name)
        _need(
            value is None or _is_number(value),
            f"expected a number or null, got {_show(value)}",
            path,
            at(name),
            f"assembly.{name}",
        )
    targets = data.get("target")
    if targets is None:
        targets = []
    _need(
        isinstance(targets, list),
        f"expected a list of {{theta, information, tcc}} mappings, got {_show(targets)}",
        path,
        at("target"),
        "assembly.target",
    )
    theta, information, tcc = [], [], []
    for k, entry in enumerate(targets):
        where = f"target[{k}]"
        _need(
            isinstance(entry, Mapping),
            f"expected a mapping {{theta, information, tcc}}, got {_show(entry)}",
            path,
            at(where),
            f"assembly.{where}",
        )
        value = entry.get("theta")
        _need(
            _is_number(value) and math.isfinite(value),
            f"expected a finite number, got {_show(value)}",
            path,
            at(f"{where}.theta") if "theta" in entry else at(where),
            f"assembly.{where}.theta",
        )
        theta.append(float(value))
        for name, out in (("information", information), ("tcc", tcc)):
            value = entry.get(name)
            _need(
                value is None or _is_number(value),
                f"expected a number or null, got {_show(value)}",
                path,
                at(f"{where}.{name}"),
                f"assembly.{where}.{name}",
            )
            out.append(None if value is None else float(value))
    versions = data.get("versions")
    if versions is None:
        versions = {}
    _need(
        isinstance(versions, Mapping),
        f"expected a mapping of package names to version strings, got {_show(versions)}",
        path,
        at("versions"),
        "assembly.versions",
    )
    for name, value in versions.items():
        _need(
            isinstance(name, str) and isinstance(value, str),
            f"expected a version string (quote it: '{value}'), got {_show(value)}"
            if isinstance(name, str)
            else f"expected a package name, got {_show(name)}",
            path,
            at(f"versions.{name}"),
            f"assembly.versions.{name}",
        )

    def number(name: str) -> float | None:
        value = data.get(name)
        return None if value is None else float(value)

    return AssemblyRecord(
        solver=data.get("solver") or "",
        status=data.get("status") or "",
        message=data.get("message") or "",
        gap=number("gap"),
        objective=number("objective"),
        bound=number("bound"),
        seconds=number("seconds"),
        target_theta=tuple(theta),
        information_at_target=tuple(information),
        tcc_at_target=tuple(tcc),
        versions=dict(versions),
    )


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _date(value: Any, path: Path, line: int | None, field_: str) -> date | None:
    """``value`` as a date: a YAML date (not a date and time) or a 'YYYY-MM-DD' string."""
    if value is None:
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _DATE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError as exc:
            raise InputError(
                f"'{value}' is not a valid date ({exc})", file=path, line=line, field=field_
            ) from None
    raise InputError(
        f"expected a date YYYY-MM-DD, got {_show(value)}", file=path, line=line, field=field_
    )


def _read_yaml(path: Path) -> tuple[Any, dict[str, int]]:
    """The file's data and field lines (an impossible date is an error naming its line)."""
    data, lines, _ = read_yaml_file(path, max_bytes=MAX_FORM_BYTES)
    return data, lines


def _item_entry(
    entry: Any, k: int, path: Path, lines: Mapping[str, int], seen: set[str]
) -> FormItem:
    """One validated entry of ``items``."""
    where = f"items[{k}]"
    line = lines.get(where)

    def at(name: str) -> int | None:
        return lines.get(f"{where}.{name}", line)

    _need(isinstance(entry, Mapping), f"expected a mapping, got {_show(entry)}", path, line, where)
    item_id = entry.get("id")
    _need(
        isinstance(item_id, str) and bool(item_id),
        "required: the item id" if item_id is None else f"expected an item id, got {item_id!r}",
        path,
        at("id"),
        f"{where}.id",
    )
    _need(item_id not in seen, f"item '{item_id}' appears twice", path, at("id"), f"{where}.id")
    seen.add(item_id)
    position = entry.get("position", k + 1)
    _need(
        isinstance(position, int) and not isinstance(position, bool) and position == k + 1,
        f"expected {k + 1} (items are listed in delivery order), got {position!r}",
        path,
        at("position"),
        f"{where}.position",
    )
    texts = {}
    for name in ("outcome", "key"):
        value = entry.get(name)
        _need(
            value is None or isinstance(value, str),
            f"expected text, got {_show(value)}",
            path,
            at(name),
            f"{where}.{name}",
        )
        texts[name] = value or ""
    fingerprints = {}
    for name in ("content_sha256", "parameters_sha256"):
        value = entry.get(name)
        ok = value is None and name == "parameters_sha256"
        ok = ok or (isinstance(value, str) and bool(SHA256_PATTERN.fullmatch(value)))
        _need(
            ok,
            f"expected 'sha256:' and 64 hex digits, got {_show(value)}",
            path,
            at(name),
            f"{where}.{name}",
        )
        fingerprints[name] = value
    scored = entry.get("scored", True)
    _need(
        isinstance(scored, bool),
        f"expected true or false, got {_show(scored)}",
        path,
        at("scored"),
        f"{where}.scored",
    )
    return FormItem(position=k + 1, item_id=item_id, scored=scored, **texts, **fingerprints)


def read_form(path: str | os.PathLike[str]) -> PublishedForm:
    """Read and validate one form file.

    Parameters
    ----------
    path
        The form file (``<forms folder>/<form id>.yaml``).

    Returns
    -------
    PublishedForm
        The form, with ``path``, the line of each item entry and, for a published form, its
        verified digest.

    Raises
    ------
    InputError
        Naming the file, line and field: malformed YAML (an impossible date names its line),
        not a credkit form file, a missing form id, credential or status, a date that is not
        YYYY-MM-DD (or on a proposal), a missing or repeated item id, positions out of order,
        a malformed fingerprint, flag or assembly record, no scored item, or a published form
        edited after publication (its digest does not match its items).
    """
    path = Path(path)
    data, lines = _read_yaml(path)
    _need(isinstance(data, Mapping), "a form file must be a YAML mapping", path, 1, "form")
    fmt = data.get("format")
    _need(
        fmt == FORM_FORMAT,
        f"not a credkit form file (format {_show(fmt)}, expected {FORM_FORMAT!r}); "
        "write forms with 'credkit assemble' and 'credkit forms publish'",
        path,
        lines.get("format", 1),
        "format",
    )
    form_id = data.get("form")
    _need(
        isinstance(form_id, str) and bool(FORM_ID_PATTERN.fullmatch(form_id)),
        f"expected a form id of 1-64 letters, digits, '.', '_' or '-', got {_show(form_id)}",
        path,
        lines.get("form", 1),
        "form",
    )
    credential = data.get("credential")
    _need(
        isinstance(credential, str) and bool(credential.strip()),
        "required: the id of the credential the form belongs to"
        if credential is None
        else f"expected the credential's id, got {_show(credential)}",
        path,
        lines.get("credential", 1),
        "credential",
    )
    status = data.get("status")
    _need(
        status in FORM_STATUSES,
        f"expected one of {', '.join(FORM_STATUSES)}, got {_show(status)}"
        if status is not None
        else f"required: one of {', '.join(FORM_STATUSES)}",
        path,
        lines.get("status", 1),
        "status",
    )
    published = _date(data.get("published"), path, lines.get("published", 1), "published")
    _need(
        status != "published" or published is not None,
        "required: a published form needs its publication date (YYYY-MM-DD)",
        path,
        lines.get("status", 1),
        "published",
    )
    _need(
        status != "proposal" or published is None,
        "a proposal has no publication date ('credkit forms publish' sets it); remove it",
        path,
        lines.get("published", 1),
        "published",
    )
    raw_items = data.get("items")
    _need(
        isinstance(raw_items, list) and bool(raw_items),
        f"expected a non-empty list, got {_show(raw_items)}",
        path,
        lines.get("items", 1),
        "items",
    )
    items, item_lines, seen = [], {}, set()
    for k, entry in enumerate(raw_items):
        items.append(_item_entry(entry, k, path, lines, seen))
        item_lines[k + 1] = lines.get(f"items[{k}]")
    _need(
        any(it.scored for it in items),
        "a form needs at least one scored item",
        path,
        lines.get("items"),
        "items",
    )
    assembly = _assembly(data.get("assembly"), path, lines)
    digest = data.get("digest")
    if status == "published" and digest is not None:  # a proposal may be edited freely
        _need(
            isinstance(digest, str) and bool(SHA256_PATTERN.fullmatch(digest)),
            f"expected 'sha256:' and 64 hex digits, got {_show(digest)}",
            path,
            lines.get("digest"),
            "digest",
        )
        _need(
            items_digest(items) == digest,
            "the published form was edited after publication: its item entries no longer match "
            "the digest written when it was published. Restore the file (e.g. from version "
            "control); to change a form, publish a new one",
            path,
            lines.get("digest"),
            "digest",
        )
    else:
        digest = None
    return PublishedForm(
        form_id=form_id,
        credential_id=credential,
        status=status,
        items=tuple(items),
        published=published,
        assembly=assembly,
        path=path,
        lines=item_lines,
        digest=digest,
    )


def load_forms(
    folder: str | os.PathLike[str], *, credential_id: str | None = None
) -> dict[str, PublishedForm]:
    """Every form file (``*.yaml``) in ``folder``, by form id in file-name order.

    Parameters
    ----------
    folder
        The forms folder (a missing folder holds no forms).
    credential_id
        When given, every form must belong to this credential.

    Returns
    -------
    dict of str to PublishedForm
        The forms, proposals and published, by form id.

    Raises
    ------
    InputError
        On a malformed form file (see :func:`read_form`), a ``*.yml`` file (form files end in
        ``.yaml``), two files with the same form id, or a form of another credential.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return {}
    stray = sorted(folder.glob("*.yml"))
    if stray:
        raise InputError(
            "form files end in .yaml; rename it (or move it out of the forms folder)",
            file=stray[0],
            field="form",
        )
    out: dict[str, PublishedForm] = {}
    for path in sorted(folder.glob("*.yaml")):
        form = read_form(path)
        if form.form_id in out:
            raise InputError(
                f"form '{form.form_id}' is also defined in {out[form.form_id].path}",
                file=path,
                field="form",
            )
        if credential_id is not None and form.credential_id != credential_id:
            raise InputError(
                f"the form belongs to credential '{form.credential_id}', not '{credential_id}'",
                file=path,
                field="credential",
            )
        out[form.form_id] = form
    return out


def form_path(folder: str | os.PathLike[str], form_id: str) -> Path:
    """The file of form ``form_id`` in ``folder``.

    Parameters
    ----------
    folder
        The forms folder.
    form_id
        The form's id.

    Returns
    -------
    Path
        ``<folder>/<form_id>.yaml``.

    """
    return Path(folder) / f"{form_id}.yaml"


def write_form(form: PublishedForm, folder: str | os.PathLike[str]) -> Path:
    """Write ``<folder>/<form id>.yaml`` atomically; only a proposal there is ever replaced.

    Parameters
    ----------
    form
        The form to write (a published form gets its digest, see :func:`items_digest`).
    folder
        The forms folder (created if missing).

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    InputError
        When the file exists and is a published form (published forms are frozen: publish a
        new form id instead) or is not a readable form file (it is never replaced).
    OSError
        When the file cannot be written.
    """
    path = form_path(folder, form.form_id)
    if path.exists() or path.is_symlink():
        try:
            existing = read_form(path)
        except InputError as exc:
            raise InputError(
                f"there is a file here that is not a readable form ({exc.message}); only a "
                "proposal is ever replaced: fix or move the file, or choose new form ids",
                file=path,
                line=exc.line,
                field="form",
            ) from None
        if existing.is_published:
            raise InputError(
                f"form {form.form_id} is published and frozen; choose new form ids "
                "(--ids) or another folder (--out)",
                file=path,
                field="form",
            )
    atomic_write_text(path, form.to_yaml())
    return path
