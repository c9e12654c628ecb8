"""Forms from bank items, and publication: proposals frozen with fingerprints and a date."""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from psychometrics.bank.model import Bank, Item
from psychometrics.errors import InputError
from psychometrics.program.forms.files import load_forms
from psychometrics.program.forms.fingerprint import (
    content_fingerprint,
    key_text,
    parameters_fingerprint,
)
from psychometrics.program.forms.model import (
    FORM_ID_PATTERN,
    FORM_STATUSES,
    AssemblyRecord,
    FormItem,
    PublishedForm,
    items_digest,
)


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
    if not FORM_ID_PATTERN.fullmatch(form_id):
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
                key=key_text(item),
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
                key=key_text(item),
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
