"""``credkit forms``: publish proposed forms, list them, verify them against the bank."""

from __future__ import annotations

import sys
from datetime import date

import click

from psychometrics.cli._common import UserError, echo_json


@click.group("forms")
def forms_group() -> None:
    """Published forms: the frozen forms that candidates take (SPEC's forms folder)."""


def _load(spec: str):
    from psychometrics.bank import load_bank
    from psychometrics.program.forms import load_forms
    from psychometrics.program.spec import load_spec

    loaded = load_spec(spec)
    bank = load_bank(loaded.bank)
    forms = load_forms(loaded.forms.folder, credential_id=loaded.credential.id)
    return loaded, bank, forms


def _date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UserError(f"--date: expected YYYY-MM-DD, got {value!r}") from None


@forms_group.command("publish")
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option(
    "--form", "form_ids", multiple=True,
    help="Publish only this proposal (repeatable) [default: every proposal in the folder].",
)  # fmt: skip
@click.option("--date", "on", help="Publication date YYYY-MM-DD [default: today].")
@click.option(
    "--accept-changes", is_flag=True,
    help="Publish even if items changed in the bank (content, IRT parameters or outcome) since "
    "the proposal was written; their current values are frozen. Without it such a proposal is "
    "refused, listing the items.",
)  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the published forms as JSON only.")
def publish_cmd(
    spec: str, form_ids: tuple[str, ...], on: str | None, accept_changes: bool, as_json: bool
) -> None:
    """Freeze the proposed forms in SPEC's forms folder.

    Each form file then records the date and, for every item, sha256 fingerprints of its content
    and IRT parameters as the bank holds them now, in the order and with the scored/pretest flags
    the proposal has. A proposal whose items changed in the bank since it was written (so not
    what was reviewed) is refused unless --accept-changes; so is one with a scored item that is
    missing from the bank or uncalibrated. Either every chosen proposal is published or none is.
    Published forms are never re-assembled or overwritten; `credkit build` reads them and reports
    any item changed since.
    """
    from psychometrics.program.forms import publish_forms

    loaded, bank, _ = _load(spec)
    published = publish_forms(
        loaded.forms.folder,
        bank=bank,
        credential_id=loaded.credential.id,
        form_ids=form_ids or None,
        on=_date(on),
        accept_changes=accept_changes,
    )
    if as_json:
        echo_json({"published": [f.to_dict() for f in published]})
        return
    for form in published:
        click.echo(f"published {form.form_id}: {len(form.items)} items -> {form.path}")


@forms_group.command("list")
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the forms as JSON only.")
def list_cmd(spec: str, as_json: bool) -> None:
    """List SPEC's forms: status, date, items, solver gap."""
    loaded, _, forms = _load(spec)
    if as_json:
        echo_json(
            {"folder": str(loaded.forms.folder), "forms": [f.to_dict() for f in forms.values()]}
        )
        return
    if not forms:
        click.echo(f"no forms in {loaded.forms.folder} (run 'credkit assemble {spec}')")
        return
    for form in forms.values():
        when = f" {form.published.isoformat()}" if form.published else ""
        gap = ""
        if form.assembly is not None and form.assembly.gap is not None:
            gap = f", solver {form.assembly.status}, gap {form.assembly.gap:.2%}"
        click.echo(f"{form.form_id}: {form.status}{when}, {len(form.items)} items{gap}")


@forms_group.command("verify")
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON only.")
def verify_cmd(spec: str, as_json: bool) -> None:
    """Check that every item of SPEC's published forms is unchanged in the bank.

    One line per item whose content or IRT parameters changed after publication, or that left
    the bank; exit status 1 when there is any.
    """
    from psychometrics.program.forms import fingerprint_findings

    loaded, bank, forms = _load(spec)
    published = [f for f in forms.values() if f.is_published]
    if not published:
        raise UserError(
            f"{loaded.forms.folder}: no published form (run 'credkit assemble {spec}' and "
            f"'credkit forms publish {spec}')"
        )
    findings = fingerprint_findings(published, bank)
    if as_json:
        echo_json(
            {
                "ok": not findings,
                "forms": [f.form_id for f in published],
                "findings": [
                    {
                        "form": x.form_id,
                        "item_id": x.item_id,
                        "position": x.position,
                        "what": x.what,
                        "message": x.message,
                        "file": x.file,
                        "line": x.line,
                    }
                    for x in findings
                ],
            }
        )
    else:
        for x in findings:
            click.echo(str(x))
        n_items = sum(len(f.items) for f in published)
        click.echo(
            f"{len(published)} published form(s), {n_items} item entries: "
            + ("unchanged" if not findings else f"{len(findings)} finding(s)")
        )
    if findings:
        sys.exit(1)


def register(group: click.Group) -> None:
    """Add ``forms publish|list|verify`` to the top-level group."""
    group.add_command(forms_group)


__all__ = ["register"]
