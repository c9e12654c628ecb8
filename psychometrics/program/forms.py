"""Published forms: assembled once, reviewed, frozen, then administered.

A form file (``<forms folder>/<form id>.yaml``) lists the form's items in delivery order, each
with its position and two sha256 fingerprints taken from the bank when the form was written: one
of the item's content (stem, options, key, scoring, its set's stimulus) and one of its IRT
parameters. It also keeps the assembly record (solver, status, gap, targets, the versions of
credkit, numpy and scipy). ``credkit assemble`` writes *proposals* (``status: proposal``);
``credkit forms publish`` freezes them (``status: published``, with the date). Everything
downstream (responses, panel ratings, equating, decisions, credentials) refers to published
forms, and :func:`fingerprint_findings` tells when a bank item changed after publication.

A published form also records a ``digest`` of its item entries (:func:`items_digest`), and
:func:`read_form` refuses a published form file whose entries no longer match it: a frozen form
is never edited, a new form is published instead. Proposals carry no digest and may be edited.

Fingerprints are computed from the parsed values, not the file bytes, so reformatting an item
file (``credkit bank format``) or adding history does not change them; editing the stem or an
option, the key, or recalibrating the item does. Texts (stem, option texts, score levels, the
stimulus) are hashed without trailing whitespace, so ``stem: |`` and ``stem: |-`` (a final
newline only) are the same content; whitespace inside a text is kept exactly. The order of the
options is part of the content fingerprint: it is the display order, so reordering them changes
what candidates see. The outcome is not (candidates do not see it): an item re-classified after
publication is reported separately (``outcome``), because the blueprint table uses the bank's
outcome.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from psychometrics.bank.model import Bank, Item
from psychometrics.bank.yamlio import dump_yaml, read_yaml_file
from psychometrics.errors import InputError
from psychometrics.fileio import atomic_write_text

__all__ = [
    "FORM_FORMAT",
    "FORM_STATUSES",
    "AssemblyRecord",
    "FingerprintFinding",
    "FormItem",
    "PublishedForm",
    "content_fingerprint",
    "fingerprint_findings",
    "form_from_items",
    "items_digest",
    "load_forms",
    "parameters_fingerprint",
    "publish_forms",
    "read_form",
    "write_form",
]

FORM_FORMAT = "credkit-form/1"
"""The ``format`` written into every form file (readers refuse other formats)."""

FORM_STATUSES = ("proposal", "published")

MAX_FORM_BYTES = 4 * 1024 * 1024
_FORM_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_SHA256 = re.compile(r"sha256:[0-9a-f]{64}")


# --------------------------------------------------------------------------------------------
# Fingerprints
# --------------------------------------------------------------------------------------------


def _digest(payload: Any) -> str:
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def _text(value: Any) -> Any:
    """Text as a candidate sees it: trailing whitespace (a YAML ``|`` block's final newline)
    dropped, everything inside kept exactly."""
    return value.rstrip() if isinstance(value, str) else value


def content_fingerprint(item: Item, bank: Bank | None = None) -> str:
    """sha256 of what a candidate sees and how it is scored.

    Covers the item's id, type, stem, options (letters and text, in display order), key, maximum
    score and score levels, and the stimulus of its set when ``bank`` has the set file. Texts
    are taken without trailing whitespace (see the module docstring). Leaves out the outcome
    (candidates do not see it; :func:`fingerprint_findings` compares it on its own) and workflow
    fields (status, reviewers, history, statistics, exposure).

    Parameters
    ----------
    item
        The bank's item.
    bank
        The bank, for the stimulus of the item's set (None: the stimulus is left out).

    Returns
    -------
    str
        ``sha256:`` and 64 hex digits.

    """
    stimulus = None
    if item.set and bank is not None and item.set in bank.sets:
        stimulus = bank.sets[item.set].stimulus
    return _digest(
        {
            "id": item.id,
            "type": item.type,
            "stem": _text(item.stem),
            "options": [[k, _text(v)] for k, v in item.options.items()],
            "key": list(item.key),
            "max_score": item.max_score,
            "score_levels": {str(k): _text(v) for k, v in item.score_levels.items()},
            "set": item.set,
            "stimulus": _text(stimulus),
        }
    )


def items_digest(items: Iterable[FormItem]) -> str:
    """sha256 of a form's item entries as written: position, id, outcome, key, both
    fingerprints and the scored flag of each, in order.

    Written into a published form file (``digest:``) and checked by :func:`read_form`, so that
    an edit of the frozen file (an item swapped, a ``scored:`` flipped, a fingerprint replaced)
    is an error rather than a silently different form.

    Parameters
    ----------
    items
        The form's items in delivery order.

    Returns
    -------
    str
        ``sha256:`` and 64 hex digits.

    """
    return _digest(
        [
            {
                "position": it.position,
                "id": it.item_id,
                "outcome": it.outcome,
                "key": it.key,
                "content_sha256": it.content_sha256,
                "parameters_sha256": it.parameters_sha256,
                "scored": it.scored,
            }
            for it in items
        ]
    )


def parameters_fingerprint(item: Item) -> str | None:
    """sha256 of the item's IRT model and parameters.

    Parameters
    ----------
    item
        The bank's item.

    Returns
    -------
    str or None
        ``sha256:`` and 64 hex digits; None for an uncalibrated item.

    """
    if item.irt is None:
        return None
    irt = item.irt
    return _digest(
        {
            "model": irt.model,
            "a": float(irt.a),
            "b": [float(x) for x in irt.b],
            "c": float(irt.c),
        }
    )


# --------------------------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FormItem:
    """One item of a form, as frozen in the form file.

    Attributes
    ----------
    position
        1-based delivery position.
    item_id, outcome, key
        The item, its outcome and key (option letters joined; empty for rubric items).
    content_sha256, parameters_sha256
        Fingerprints at the time the form was written (see :func:`content_fingerprint`,
        :func:`parameters_fingerprint`).
    scored
        False for a pretest item seeded on the form: presented to every candidate of the form,
        calibrated, but not part of the score, the cut or the form's TCC.
    """

    position: int
    item_id: str
    outcome: str
    key: str
    content_sha256: str
    parameters_sha256: str | None
    scored: bool = True

    def to_dict(self) -> dict[str, Any]:
        """The entry as written in a form file (``scored`` only when false)."""
        out = {
            "position": self.position,
            "id": self.item_id,
            "outcome": self.outcome,
            "key": self.key,
            "content_sha256": self.content_sha256,
            "parameters_sha256": self.parameters_sha256,
        }
        if not self.scored:
            out["scored"] = False
        return out


@dataclass(frozen=True)
class AssemblyRecord:
    """How a form was assembled (kept with the form so that it can be audited later).

    Attributes
    ----------
    solver, status, message
        The solver and how it ended.
    gap, objective, bound, seconds
        Relative optimality gap against the proven bound, the maximin objective and the bound,
        and the solve time.
    target_theta, information_at_target, tcc_at_target
        The targets and this form's test information and expected score there.
    versions
        Versions of credkit, Python, numpy and scipy that solved it (a re-run under other
        versions may break ties differently; the published form is what counts).
    """

    solver: str
    status: str
    message: str = ""
    gap: float | None = None
    objective: float | None = None
    bound: float | None = None
    seconds: float | None = None
    target_theta: tuple[float, ...] = ()
    information_at_target: tuple[float, ...] = ()
    tcc_at_target: tuple[float, ...] = ()
    versions: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The record as written in a form file (numbers rounded, non-finite ones null)."""

        def num(x: float | None, digits: int = 6) -> float | None:
            return None if x is None or not math.isfinite(x) else round(float(x), digits)

        return {
            "solver": self.solver,
            "status": self.status,
            "message": self.message,
            "gap": num(self.gap),
            "objective": num(self.objective),
            "bound": num(self.bound),
            "seconds": num(self.seconds, 3),
            "target": [
                {"theta": t, "information": num(i), "tcc": num(c)}
                for t, i, c in zip(
                    self.target_theta, self.information_at_target, self.tcc_at_target, strict=True
                )
            ],
            "versions": dict(self.versions),
        }


@dataclass(frozen=True)
class PublishedForm:
    """A form file: a proposal or a published (frozen) form.

    Attributes
    ----------
    form_id, credential_id
        The form and the credential it belongs to.
    status
        ``proposal`` or ``published`` (see :data:`FORM_STATUSES`).
    published
        Publication date (None for a proposal).
    items
        The items in delivery order.
    assembly
        The assembly record, or None for a form written by hand.
    path
        The file it was read from (None when built in memory).
    lines
        1-based line of each item entry by position (for messages).
    digest
        The digest recorded at publication (see :func:`items_digest`); None for a proposal and
        for a form published before credkit recorded digests (:func:`fingerprint_findings`
        reports those, since edits to them cannot be detected).
    """

    form_id: str
    credential_id: str
    status: str
    items: tuple[FormItem, ...]
    published: date | None = None
    assembly: AssemblyRecord | None = None
    path: Path | None = field(default=None, compare=False)
    lines: Mapping[int, int] = field(default_factory=dict, repr=False, compare=False)
    digest: str | None = field(default=None, repr=False, compare=False)

    @property
    def item_ids(self) -> tuple[str, ...]:
        """The scored items in delivery order (what the raw score, the cut and the TCC use)."""
        return tuple(i.item_id for i in self.items if i.scored)

    @property
    def presented_ids(self) -> tuple[str, ...]:
        """Every item a candidate of this form is presented, scored or pretest, in order."""
        return tuple(i.item_id for i in self.items)

    @property
    def pretest_ids(self) -> tuple[str, ...]:
        """The unscored (pretest) items seeded on the form."""
        return tuple(i.item_id for i in self.items if not i.scored)

    @property
    def is_published(self) -> bool:
        """True for a published (frozen) form, False for a proposal."""
        return self.status == "published"

    def to_dict(self) -> dict[str, Any]:
        """The form file's mapping (a published form with its digest, see
        :func:`items_digest`); also the ``--json`` output."""
        return {
            "format": FORM_FORMAT,
            "form": self.form_id,
            "credential": self.credential_id,
            "status": self.status,
            "published": None if self.published is None else self.published.isoformat(),
            **({"digest": items_digest(self.items)} if self.is_published else {}),
            "n_items": len(self.item_ids),
            "n_pretest": len(self.pretest_ids),
            "items": [i.to_dict() for i in self.items],
            "assembly": None if self.assembly is None else self.assembly.to_dict(),
        }

    def to_yaml(self) -> str:
        """The form file's text: a comment line saying what the file is, then :meth:`to_dict`."""
        head = f"# {self.status.capitalize()} form {self.form_id} of {self.credential_id}" + (
            ": frozen. Responses, ratings and reports refer to it; never edit it, publish a "
            "new form instead.\n"
            if self.is_published
            else ": a proposal, not yet administered ('credkit forms publish' freezes it).\n"
        )
        return head + dump_yaml(self.to_dict())


@dataclass(frozen=True)
class FingerprintFinding:
    """A published form's item that is missing from the bank or changed since publication.

    Attributes
    ----------
    form_id, item_id, position
        Where.
    what
        ``missing`` (the item left the bank), ``content`` or ``parameters`` (a fingerprint
        differs), ``outcome`` (the bank re-classified the item) or ``digest`` (a published form
        without a digest: ``item_id`` is empty and ``position`` 0).
    message
        One sentence for the report and the log.
    file, line
        The form file and the item's line in it.
    """

    form_id: str
    item_id: str
    position: int
    what: str
    message: str
    file: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.message}" if where else self.message


# --------------------------------------------------------------------------------------------
# Building and checking
# --------------------------------------------------------------------------------------------


def _key_text(item: Item) -> str:
    return "".join(item.key) if item.key else ""


def form_from_items(
    form_id: str,
    item_ids: Sequence[str],
    *,
    bank: Bank,
    credential_id: str,
    status: str = "proposal",
    published: date | None = None,
    assembly: AssemblyRecord | None = None,
    pretest: Sequence[str] = (),
) -> PublishedForm:
    """A form of ``item_ids`` (in delivery order) with fingerprints taken from ``bank`` now.

    Parameters
    ----------
    form_id
        The form's id (1-64 letters, digits, '.', '_' or '-').
    item_ids
        The scored items, in delivery order.
    bank
        The bank the outcomes, keys and fingerprints are taken from.
    credential_id
        The credential the form belongs to.
    status
        ``proposal`` or ``published`` (a published form gets its digest).
    published
        The publication date (for a published form).
    assembly
        The assembly record, if the form was assembled.
    pretest
        Items seeded after the scored ones, unscored (see :attr:`FormItem.scored`).

    Returns
    -------
    PublishedForm
        The form, not yet written (see :func:`write_form`).

    Raises
    ------
    InputError
        When an item is not in the bank, an id repeats, ``form_id`` is invalid, or there is no
        scored item.
    ValueError
        When ``status`` is not one of :data:`FORM_STATUSES`.
    """
    if not _FORM_ID.match(form_id):
        raise InputError(
            f"form id '{form_id}' must be 1-64 letters, digits, '.', '_' or '-'", field="form"
        )
    if status not in FORM_STATUSES:
        raise ValueError(f"status: expected one of {FORM_STATUSES}, got {status!r}")
    seen: set[str] = set()
    entries = []
    scored = [True] * len(item_ids) + [False] * len(pretest)
    for pos, item_id in enumerate([*item_ids, *pretest], start=1):
        if item_id in seen:
            raise InputError(f"form {form_id}: item '{item_id}' appears twice", field="items")
        seen.add(item_id)
        item = bank.get(item_id)
        if item is None:
            raise InputError(f"form {form_id}: item '{item_id}' is not in the bank", file=bank.root)
        entries.append(
            FormItem(
                position=pos,
                item_id=item_id,
                outcome=item.outcome or "",
                key=_key_text(item),
                content_sha256=content_fingerprint(item, bank),
                parameters_sha256=parameters_fingerprint(item),
                scored=scored[pos - 1],
            )
        )
    if not any(scored):
        raise InputError(f"form {form_id} has no items", field="items")
    return PublishedForm(
        form_id=form_id,
        credential_id=credential_id,
        status=status,
        items=tuple(entries),
        published=published,
        assembly=assembly,
        digest=items_digest(entries) if status == "published" else None,
    )


def fingerprint_findings(forms: Iterable[PublishedForm], bank: Bank) -> list[FingerprintFinding]:
    """What changed in the bank since ``forms`` were published.

    Per item: it left the bank (``missing``); its content fingerprint differs (``content``); for
    a scored item, its IRT parameters fingerprint (``parameters``) or its outcome (``outcome``)
    differ. Per form: a published form without a digest (``digest``), whose file edits cannot
    be detected.

    Parameters
    ----------
    forms
        Published forms (as read by :func:`read_form`, with their files and lines).
    bank
        The bank as it is now.

    Returns
    -------
    list of FingerprintFinding
        In form order, then delivery order; empty when nothing changed.

    """
    out = []
    for form in forms:
        file = None if form.path is None else os.fspath(form.path)
        if form.is_published and form.digest is None:
            out.append(
                FingerprintFinding(
                    form.form_id,
                    "",
                    0,
                    "digest",
                    f"{form.form_id}: the published form has no digest (published before "
                    "credkit recorded one), so edits to its file cannot be detected; re-publish "
                    "it to record one",
                    file,
                )
            )
        for it in form.items:
            item = bank.get(it.item_id)
            changes = []
            if item is None:
                changes.append(
                    ("missing", f"{form.form_id}: item {it.item_id} is no longer in the bank")
                )
            else:
                if content_fingerprint(item, bank) != it.content_sha256:
                    changes.append(
                        (
                            "content",
                            f"{form.form_id}: item {it.item_id} (position {it.position}) changed "
                            "in the bank after the form was published (content fingerprint "
                            "differs): candidates saw another version",
                        )
                    )
                # a pretest item is calibrated after its administration and is in no blueprint
                # table: only its content counts
                if it.scored and parameters_fingerprint(item) != it.parameters_sha256:
                    changes.append(
                        (
                            "parameters",
                            f"{form.form_id}: item {it.item_id} (position {it.position}) has "
                            "other IRT parameters than when the form was published (parameters "
                            "fingerprint differs): raw cuts and score tables use the bank's "
                            "current values",
                        )
                    )
                if it.scored and (item.outcome or "") != it.outcome:
                    changes.append(
                        (
                            "outcome",
                            f"{form.form_id}: item {it.item_id} (position {it.position}) was "
                            f"re-classified from {it.outcome or '(none)'} to "
                            f"{item.outcome or '(none)'} after publication; the blueprint table "
                            "uses the bank's outcome",
                        )
                    )
            out.extend(
                FingerprintFinding(
                    form.form_id,
                    it.item_id,
                    it.position,
                    what,
                    message,
                    file,
                    form.lines.get(it.position),
                )
                for what, message in changes
            )
    return out


# --------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------


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
        ok = ok or (isinstance(value, str) and bool(_SHA256.fullmatch(value)))
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
        isinstance(form_id, str) and bool(_FORM_ID.match(form_id)),
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
            isinstance(digest, str) and bool(_SHA256.fullmatch(digest)),
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


def publish_forms(
    folder: str | os.PathLike[str],
    *,
    bank: Bank,
    credential_id: str,
    form_ids: Sequence[str] | None = None,
    on: date | None = None,
    accept_changes: bool = False,
) -> list[PublishedForm]:
    """Freeze the proposals in ``folder``: fingerprints taken from ``bank`` now, the date set.

    Each proposal keeps its items exactly as reviewed: the delivery order, the positions and the
    ``scored`` flags (seeded pretest items stay where they are). Only the fingerprints (and the
    outcome and key recorded beside them) are taken from the bank again, and the status and the
    date set. Either every chosen proposal is published or, when anything fails (a refusal below,
    a full disk), none is: the files are replaced together, with rollback.

    Parameters
    ----------
    folder
        The spec's forms folder.
    bank
        The bank the proposals were assembled from.
    credential_id
        The spec's credential.
    form_ids
        Which proposals to publish, in this order (default: every proposal in the folder, in
        file-name order). A repeated id counts once.
    on
        The publication date (default: today).
    accept_changes
        Publish even when an item's content, IRT parameters or outcome in the bank differ from
        what the proposal recorded (what the reviewers saw); the bank's current values are then
        frozen. Without it such a proposal is refused.

    Returns
    -------
    list of PublishedForm
        The forms published, in the order above. Every proposal is checked before any file is
        written.

    Raises
    ------
    InputError
        When there is no proposal to publish; a named form is missing or already published; a
        proposal's item is missing from the bank, or is scored and has no IRT parameters there;
        an item changed in the bank since it was proposed (unless ``accept_changes``); ``on`` is
        not a date. Each names the form file, and the item's line where there is one.
    OSError
        When a form file cannot be written (nothing is published then).
    """
    from psychometrics.bank.update import write_files_transactionally

    on = _publication_date(on)
    forms = load_forms(folder, credential_id=credential_id)
    proposals = {k: f for k, f in forms.items() if not f.is_published}
    if form_ids:
        wanted = list(dict.fromkeys(form_ids))
        for fid in wanted:
            if fid not in forms:
                raise InputError(f"no form '{fid}' in the folder", file=folder, field="form")
            if forms[fid].is_published:
                raise InputError(
                    f"form {fid} is already published (published forms are frozen)",
                    file=forms[fid].path,
                    field="status",
                )
        chosen = [proposals[f] for f in wanted]
    else:
        chosen = list(proposals.values())
    if not chosen:
        raise InputError(
            "no proposed form to publish (run 'credkit assemble SPEC' first)",
            file=folder,
        )
    out = []
    changes: list[tuple[PublishedForm, FormItem, list[str]]] = []
    for prop in chosen:
        items = []
        for it in prop.items:
            item = _publishable(prop, it, bank)
            fresh = FormItem(
                position=it.position,
                item_id=it.item_id,
                outcome=item.outcome or "",
                key=_key_text(item),
                content_sha256=content_fingerprint(item, bank),
                parameters_sha256=parameters_fingerprint(item),
                scored=it.scored,
            )
            what = []
            if fresh.content_sha256 != it.content_sha256:
                what.append("content")
            if it.scored and fresh.parameters_sha256 != it.parameters_sha256:
                what.append("parameters")
            if it.scored and fresh.outcome != it.outcome:
                what.append("outcome")
            if what:
                changes.append((prop, it, what))
            items.append(fresh)
        form = PublishedForm(
            form_id=prop.form_id,
            credential_id=credential_id,
            status="published",
            items=tuple(items),
            published=on,
            assembly=prop.assembly,
            path=prop.path,
            lines=prop.lines,
            digest=items_digest(items),
        )
        out.append(form)
    if changes and not accept_changes:
        prop, first, _ = changes[0]
        listed = [f"{p.form_id} {it.item_id} ({', '.join(what)})" for p, it, what in changes]
        more = f" and {len(listed) - 10} more" if len(listed) > 10 else ""
        raise InputError(
            f"{len(changes)} item(s) changed in the bank since the proposal was written, so it "
            f"is not what was reviewed: {', '.join(listed[:10])}{more}. Review them, then "
            "publish with --accept-changes, or assemble a new proposal",
            file=prop.path,
            line=prop.lines.get(first.position),
            field="items",
        )
    write_files_transactionally({form.path: form.to_yaml() for form in out})
    return out


def _publishable(prop: PublishedForm, it: FormItem, bank: Bank) -> Item:
    """The bank's item for a proposal's entry; refuses one that is missing, or is scored and
    has no IRT parameters."""
    item = bank.get(it.item_id)
    where = {"file": prop.path, "line": prop.lines.get(it.position), "field": "items"}
    if item is None:
        raise InputError(
            f"{prop.form_id}: item {it.item_id} (position {it.position}) is not in the bank; "
            "it cannot be published",
            **where,
        )
    if it.scored and item.irt is None:
        raise InputError(
            f"{prop.form_id}: scored item {it.item_id} (position {it.position}) has no IRT "
            "parameters in the bank; calibrate it, or seed it unscored (scored: false)",
            **where,
        )
    return item


def _publication_date(on: Any) -> date:
    if on is None:
        return date.today()
    if isinstance(on, datetime) or not isinstance(on, date):
        raise InputError(f"expected a date (YYYY-MM-DD), got {on!r}", field="date")
    return on
