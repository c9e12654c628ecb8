"""The published-form model: frozen records of a form file and of what changed since."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from psychometrics.bank.yamlio import dump_yaml
from psychometrics.fileio import sha256_json

FORM_FORMAT = "credkit-form/1"
"""The ``format`` written into every form file (readers refuse other formats)."""

FORM_STATUSES = ("proposal", "published")

MAX_FORM_BYTES = 4 * 1024 * 1024
FORM_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")  # used with fullmatch
SHA256_PATTERN = re.compile(r"sha256:[0-9a-f]{64}")


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
    return sha256_json(
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
