"""``credkit bank ...``: lint, stats, new, export and import of the item bank."""

from __future__ import annotations

import click

from psychometrics.cli._common import echo_json

DEFAULT_BANK = "item_bank"


@click.group("bank")
def bank_group() -> None:
    """Work with the item bank (one YAML file per item under BANK/items/)."""


@bank_group.command("lint")
@click.argument("bank_dir", default=DEFAULT_BANK, type=click.Path(file_okay=False))
@click.option("--spec", type=click.Path(dir_okay=False), help="Check outcomes against this spec.")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@click.option("--errors-only", is_flag=True, help="Leave warnings out.")
def lint_cmd(bank_dir: str, spec: str | None, as_json: bool, errors_only: bool) -> None:
    """Check every item file; one line per problem as file:line: field: severity: message.

    Exits 1 when there is any error (warnings alone exit 0).
    """
    from psychometrics.bank.lint import lint_bank

    report = lint_bank(bank_dir, spec=spec)
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
    from psychometrics.bank.specinfo import read_spec_info
    from psychometrics.bank.stats import bank_stats, format_stats
    from psychometrics.bank.store import load_bank

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
def new_cmd(outcome: str, item_type: str, bank_dir: str, author: str, prefix: str | None) -> None:
    """Create a draft item with the next free id and every field to fill; print its path."""
    from psychometrics.bank.newitem import new_item

    click.echo(
        str(new_item(bank_dir, outcome=outcome, item_type=item_type, author=author, prefix=prefix))
    )


def register(group: click.Group) -> None:
    """Add this module's commands to the top-level group."""
    group.add_command(bank_group)
