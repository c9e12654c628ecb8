"""Fingerprints of bank items, and the items of published forms that changed since publication."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from psychometrics.bank.model import Bank, Item
from psychometrics.fileio import sha256_json
from psychometrics.program.forms.model import (
    FingerprintFinding,
    PublishedForm,
)


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
    return sha256_json(
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
    return sha256_json(
        {
            "model": irt.model,
            "a": float(irt.a),
            "b": [float(x) for x in irt.b],
            "c": float(irt.c),
        }
    )


def key_text(item: Item) -> str:
    """The keyed option letters joined (empty for rubric items)."""
    return "".join(item.key) if item.key else ""


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
