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


def register(group: click.Group) -> None:
    """Add this module's commands to the top-level group."""
    group.add_command(bank_group)
