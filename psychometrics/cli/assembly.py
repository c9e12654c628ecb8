"""``credkit spec check`` and ``credkit assemble``: thin commands over spec.py and assembly."""

from __future__ import annotations

import sys

import click

from psychometrics.cli._common import echo_json
from psychometrics.spec import check_spec


@click.group("spec")
def spec_group() -> None:
    """Credential specs (specs/<credential>.yaml)."""


@spec_group.command("check")
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the problems as JSON.")
@click.option(
    "--bank/--no-bank",
    default=True,
    show_default=True,
    help="Also check the spec against its item bank (eligible items per outcome, forced items).",
)
def spec_check(spec: str, as_json: bool, bank: bool) -> None:
    """Check SPEC: unknown keys, outcomes, blueprint ranges, paths, cut score; one line each.

    Exit status 1 when there is any error (warnings alone exit 0).
    """
    problems = check_spec(spec, bank=bank)
    errors = [p for p in problems if p.severity == "error"]
    if as_json:
        echo_json({"ok": not errors, "problems": [p.to_dict() for p in problems]})
    else:
        for problem in problems:
            click.echo(str(problem), err=problem.severity != "error")
        if not errors:
            click.echo(f"{spec}: ok" + (f" ({len(problems)} warning(s))" if problems else ""))
    if errors:
        if not as_json:
            click.echo(f"credkit: error: {len(errors)} problem(s) in {spec}", err=True)
        sys.exit(1)


def register(group: click.Group) -> None:
    """Add ``spec check`` and ``assemble`` to the top-level group."""
    group.add_command(spec_group)


__all__ = ["register"]
