"""``credkit forms``: publish proposed forms, list them, verify them against the bank."""

from __future__ import annotations

import sys

import click

from psychometrics.cli._common import UserError, echo_json, parse_date_option
from psychometrics.errors import InputError


@click.group("forms")
def forms_group() -> None:
    """Published forms: the frozen forms that candidates take (SPEC's forms folder)."""


def _load_forms(spec: str):
    """The spec and its forms (the bank is not read)."""
    from psychometrics.program.forms import load_forms
    from psychometrics.program.spec import load_spec

    loaded = load_spec(spec)
    return loaded, load_forms(loaded.forms.folder, credential_id=loaded.credential.id)


def _load(spec: str):
    """The spec, its bank and its forms."""
    from psychometrics.bank import load_bank

    loaded, forms = _load_forms(spec)
    return loaded, load_bank(loaded.bank), forms


def _size(form) -> str:
    """``12 items`` or ``12 items + 2 pretest``: the scored items, then the seeded ones."""
    pretest = len(form.pretest_ids)
    return f"{len(form.item_ids)} items" + (f" + {pretest} pretest" if pretest else "")


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
    what was reviewed) is refused unless --accept-changes; so is one with an item missing from
    the bank or a scored item without IRT parameters. Either every chosen proposal is published
    or none is. Published forms are never re-assembled or overwritten; `credkit build` reads
    them and reports any item changed since.
    """
    from psychometrics.program.forms import publish_forms

    on_date = parse_date_option(on, "--date")
    loaded, bank, _ = _load(spec)
    try:
        published = publish_forms(
            loaded.forms.folder,
            bank=bank,
            credential_id=loaded.credential.id,
            form_ids=form_ids or None,
            on=on_date,
            accept_changes=accept_changes,
        )
    except OSError as exc:
        raise InputError(
            f"cannot write the forms (none was published): {exc.strerror or exc}",
            file=loaded.forms.folder,
            field="forms",
        ) from None
    if as_json:
        echo_json({"published": [f.to_dict() for f in published]})
        return
    for form in published:
        click.echo(f"published {form.form_id}: {_size(form)} -> {form.path}")


@forms_group.command("list")
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the forms as JSON only.")
def list_cmd(spec: str, as_json: bool) -> None:
    """List SPEC's forms: status, date, items (scored, and seeded pretest ones), solver gap.

    Reads only SPEC and its forms folder, not the bank.
    """
    loaded, forms = _load_forms(spec)
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
        click.echo(f"{form.form_id}: {form.status}{when}, {_size(form)}{gap}")


@forms_group.command("verify")
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON only.")
def verify_cmd(spec: str, as_json: bool) -> None:
    """Check that every item of SPEC's published forms is unchanged in the bank.

    One line per item whose content or IRT parameters changed after publication, that the bank
    re-classified to another outcome, or that left the bank, and per published form without a
    digest; exit status 1 when there is any.
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
    """Add ``forms publish|list|verify`` to the top-level group.

    Parameters
    ----------
    group
        The ``credkit`` group.

    Returns
    -------
    None

    Raises
    ------
    None
    """
    group.add_command(forms_group)


__all__ = ["register"]
