"""``credkit bank ...``: lint, stats, new, export and import of the item bank."""

from __future__ import annotations

from pathlib import Path

import click

from psychometrics.cli._common import UserError, echo_json

DEFAULT_BANK = "item_bank"


class _BankGroup(click.Group):
    """Turns operating-system errors (unwritable output, full disk) into one-line errors."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            raise UserError(f"{where}{exc.strerror or exc}") from None


def _require_bank(bank_dir: str) -> None:
    """A folder with neither an ``items/`` folder nor item files is not a bank: say so rather
    than report an empty bank (a mistyped path would otherwise pass lint)."""
    from psychometrics.bank.store import ITEM_SUFFIXES, items_dir

    folder = items_dir(bank_dir)  # raises for a missing path or a file
    if folder == Path(bank_dir) and not any(
        p.suffix in ITEM_SUFFIXES for p in folder.iterdir() if p.is_file()
    ):
        raise UserError(f"{bank_dir}: not an item bank (no items/ folder and no item files)")


@click.group("bank", cls=_BankGroup)
def bank_group() -> None:
    """Work with the item bank (one YAML file per item under BANK/items/)."""


@bank_group.command("lint")
@click.argument("bank_dir", default=DEFAULT_BANK, type=click.Path(file_okay=False))
@click.option("--spec", type=click.Path(dir_okay=False), help="Check outcomes against this spec.")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@click.option("--errors-only", is_flag=True, help="Leave warnings out.")
@click.option(
    "--max-item-kb", default=256, show_default=True, type=click.IntRange(1, 1 << 20),
    help="Reject item files larger than this.",
)  # fmt: skip
def lint_cmd(
    bank_dir: str, spec: str | None, as_json: bool, errors_only: bool, max_item_kb: int
) -> None:
    """Check every item file; one line per problem as file:line: field: severity: message.

    Exits 1 when there is any error (warnings alone exit 0).
    """
    from psychometrics.bank.lint import lint_bank
    from psychometrics.program.spec import read_spec_info

    _require_bank(bank_dir)
    outcomes = None if spec is None else tuple(read_spec_info(spec).outcomes)
    report = lint_bank(bank_dir, outcomes=outcomes, max_item_bytes=max_item_kb * 1024)
    findings = report.errors if errors_only else report.findings
    if as_json:
        echo_json(report.to_dict())
    else:
        for finding in findings:
            click.echo(finding.format())
        click.echo(report.summary(), err=True)
    if not report.ok:
        raise SystemExit(1)


@bank_group.command("stats")
@click.argument("bank_dir", default=DEFAULT_BANK, type=click.Path(file_okay=False))
@click.option("--spec", type=click.Path(dir_okay=False), help="Compare with this spec's forms.")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
def stats_cmd(bank_dir: str, spec: str | None, as_json: bool) -> None:
    """Items by outcome x status x cognitive level, and (with --spec) where to write next."""
    from psychometrics.bank.stats import bank_stats, format_stats
    from psychometrics.bank.store import load_bank
    from psychometrics.program.spec import read_spec_info

    _require_bank(bank_dir)
    info = read_spec_info(spec) if spec is not None else None
    result = bank_stats(load_bank(bank_dir), spec=info)
    if as_json:
        echo_json(result.to_dict())
    else:
        click.echo(format_stats(result))


@bank_group.command("new")
@click.option("--outcome", required=True, help="Outcome id of the credential spec (e.g. DA1).")
@click.option(
    "--type",
    "item_type",
    default="mcq",
    show_default=True,
    type=click.Choice(["mcq", "msq", "rubric"]),
)
@click.option(
    "--bank", "bank_dir", default=DEFAULT_BANK, show_default=True, type=click.Path(file_okay=False)
)
@click.option("--author", default="", help="Written into the author field.")
@click.option("--prefix", default=None, help="Id prefix (default: the bank's usual prefix).")
@click.option(
    "--spec",
    type=click.Path(dir_okay=False),
    help="Check --outcome against this spec (default: the specs/ that use the bank).",
)
def new_cmd(
    outcome: str,
    item_type: str,
    bank_dir: str,
    author: str,
    prefix: str | None,
    spec: str | None,
) -> None:
    """Create a draft item with the next free id and every field to fill; print its path.

    The outcome must be one of the credential's: those of --spec, else of every spec in the
    program's specs/ folder that uses this bank, else those the bank's items already name.
    """
    from psychometrics.bank.newitem import new_item
    from psychometrics.bank.specinfo import known_outcomes

    _require_bank(bank_dir)
    outcomes, source = known_outcomes(bank_dir, spec=spec)
    if outcomes is None:
        outcomes, source = _item_outcomes(bank_dir)
    path = new_item(
        bank_dir,
        outcome=outcome,
        item_type=item_type,
        author=author,
        prefix=prefix,
        outcomes=outcomes,
        outcomes_source=source,
    )
    click.echo(str(path))


def _item_outcomes(bank_dir: str) -> tuple[tuple[str, ...] | None, str]:
    """The outcomes the bank's items name (None for a bank without readable items)."""
    from psychometrics.bank.store import read_bank

    bank, _ = read_bank(bank_dir)
    found = tuple(sorted({item.outcome for item in bank if item.outcome}))
    if not found:
        return None, ""
    return found, "the bank's items (give --spec to check against a spec)"


@bank_group.command("export")
@click.argument("bank_dir", type=click.Path(file_okay=False))
@click.option(
    "--format", "fmt", type=click.Choice(["qti", "csv"]), default="qti", show_default=True
)
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="File to write.")
@click.option(
    "--status", "statuses", multiple=True, help="Only items with this status (repeatable)."
)
@click.option(
    "--outcome", "outcomes", multiple=True, help="Only items of this outcome (repeatable)."
)
@click.option(
    "--spec", type=click.Path(dir_okay=False), help="Outcome titles for the QTI metadata."
)
def export_cmd(bank_dir, fmt, out, statuses, outcomes, spec) -> None:
    """Export the bank as a QTI 3.0 content package (zip) or a CSV file."""
    from psychometrics.bank.csvio import export_csv
    from psychometrics.bank.qti import export_qti
    from psychometrics.bank.store import items_dir, load_bank
    from psychometrics.fileio import check_output_path
    from psychometrics.program.spec import read_spec_info

    _require_bank(bank_dir)
    check_output_path(out, inputs=(spec,), field="--out")
    if Path(out).resolve().is_relative_to(items_dir(bank_dir).resolve()):
        raise UserError(f"{out}: --out: inside the bank's item folder; write the export elsewhere")
    bank = load_bank(bank_dir)
    items = bank.select(statuses=set(statuses) or None, outcomes=set(outcomes) or None)
    if not items:
        raise UserError(f"{bank_dir}: no items to export (check --status/--outcome)")
    info = read_spec_info(spec) if spec and fmt == "qti" else None
    try:
        if fmt == "csv":
            export_csv(bank, out, items=items)
        else:
            titles = info.outcomes if info else None
            region = (info.credential_id or Path(spec).stem) if info and spec else ""
            export_qti(bank, out, items=items, region=region, outcome_titles=titles)
    except OSError as exc:  # name the output, not the temporary file beside it
        raise UserError(f"{out}: --out: cannot write: {exc.strerror or exc}") from None
    click.echo(f"{out}: {len(items)} items", err=True)


@bank_group.command("import")
@click.argument("package", type=click.Path(dir_okay=False))
@click.option(
    "--into", "bank_dir", required=True, type=click.Path(file_okay=False), help="The bank."
)
@click.option("--outcome", default=None, help="Outcome for items whose package names none.")
@click.option(
    "--status",
    default=None,
    help="Status of the new items [default: as credkit's package records it, else draft].",
)
@click.option("--renumber", is_flag=True, help="Give the items the bank's next free ids.")
@click.option("--author", default=None, help="Written into the author field.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def import_cmd(package, bank_dir, outcome, status, renumber, author, as_json) -> None:
    """Import the items of a QTI 3.0 or 2.x package (e.g. a TAO export) into a bank."""
    from psychometrics.bank.qti_import import import_qti

    result = import_qti(
        package, bank_dir, outcome=outcome, status=status, renumber=renumber, author=author
    )
    if as_json:
        echo_json(result.to_dict())
        return
    for path in result.files:
        click.echo(path)
    for item_id, change in result.changes:
        click.echo(f"changed {item_id}: {change}", err=True)
    for ident, reason in result.skipped:
        click.echo(f"skipped {ident}: {reason}", err=True)
    click.echo(result.summary(), err=True)


@bank_group.command("status")
@click.argument("item_ids", nargs=-1, required=True)
@click.option("--to", "status", required=True, help="The new status.")
@click.option(
    "--bank", "bank_dir", default=DEFAULT_BANK, show_default=True, type=click.Path(file_okay=False)
)
@click.option("--by", default=None, help="Who made the change (written to history).")
@click.option("--note", default=None, help="Why (written to history).")
@click.option("--force", is_flag=True, help="Allow a change the lifecycle does not list.")
def status_cmd(item_ids, status, bank_dir, by, note, force) -> None:
    """Move items along the lifecycle (draft, review, approved, pretest, operational, ...)."""
    from psychometrics.bank.lifecycle import set_status

    _require_bank(bank_dir)
    result = set_status(bank_dir, item_ids, status, by=by, note=note, force=force)
    for path in result.files:
        click.echo(path)


@bank_group.command("format")
@click.argument("bank_dir", default=DEFAULT_BANK, type=click.Path(file_okay=False))
@click.option(
    "--check", is_flag=True, help="Only list the files that would change (exit 1 if any)."
)
@click.option("--drop-comments", is_flag=True, help="Also rewrite files that hold comments.")
def format_cmd(bank_dir: str, check: bool, drop_comments: bool) -> None:
    """Rewrite item files in the canonical layout (field order, literal blocks)."""
    from psychometrics.bank.fmt import format_bank

    _require_bank(bank_dir)
    result = format_bank(bank_dir, check=check, drop_comments=drop_comments)
    for path in result.changed:
        click.echo(path)
    for path, why in result.skipped:
        click.echo(f"{path}: skipped: {why}", err=True)
    verb = "would be reformatted" if check else "reformatted"
    click.echo(f"{len(result.changed)} files {verb}, {result.unchanged} unchanged", err=True)
    if check and result.changed:
        raise SystemExit(1)


def register(group: click.Group) -> None:
    """Add this module's commands to the top-level group."""
    group.add_command(bank_group)
