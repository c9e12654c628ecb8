"""``credkit build`` (the whole pipeline and the validity report) and ``credkit init``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from psychometrics.cli._common import echo_json, progress


def register(group: click.Group) -> None:
    """Add ``build`` and ``init`` to the top-level group."""
    group.add_command(build_command)
    group.add_command(init_command)


@click.command("build")
@click.argument("spec", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Report folder (default: reports/<credential-id> next to the specs/ folder).",
)
@click.option(
    "--administration", "administration", default=None, metavar="ID",
    help="The administration to report on [default: the spec's last one].",
)  # fmt: skip
@click.option(
    "--candidates-out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of the candidate score reports and results.csv (default: "
    "<report folder>-candidates beside the report folder).",
)
@click.option(
    "--pdf",
    is_flag=True,
    help="Also write report.pdf beside index.html (needs the pdf extra: "
    "pip install 'credkit[pdf]').",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary on stdout.")
def build_command(
    spec: Path,
    out: Path | None,
    administration: str | None,
    candidates_out: Path | None,
    pdf: bool,
    as_json: bool,
) -> None:
    """Run the whole pipeline for the credential SPEC and write its validity report.

    Reads the spec's published forms (it never assembles them) and first checks, in seconds,
    that the spec, the bank, the forms, the administration's responses and the panel's ratings
    agree. Then it analyses the responses (classical statistics, DIF, IRT fit), sets the cut
    score on the published forms, computes decision accuracy and consistency, and writes
    reports/<credential-id>/: index.html (self-contained, printable), forms/, params.csv,
    items.csv and manifest.json. It also writes a printable score report per candidate and
    results.csv (one row per candidate) into reports/<credential-id>-candidates/, outside the
    validity report. Progress goes to stderr; the previous report stays intact when a stage
    fails.
    """
    from psychometrics.program.build import build

    result = build(
        spec,
        out=out,
        administration=administration,
        candidates_out=candidates_out,
        pdf=pdf,
        argv=["credkit", *sys.argv[1:]],
        log=progress,
    )
    if as_json:
        echo_json(result.to_dict())
    else:
        click.echo(f"report: {result.index}")
        if pdf:
            click.echo(f"pdf: {result.out_dir / 'report.pdf'}")
        if result.candidates_dir is not None:
            click.echo(f"score reports: {result.candidates_dir}")


@click.command("init")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--id", "credential_id", help="Credential id (default: the folder name).")
@click.option("--title", help="Credential title (default: from the folder name).")
@click.option("--prefix", default="EX", show_default=True, help="Prefix of the item ids.")
@click.option("--json", "as_json", is_flag=True, help="Print the created files as JSON.")
def init_command(
    directory: Path, credential_id: str | None, title: str | None, prefix: str, as_json: bool
) -> None:
    """Scaffold a new credential program in DIRECTORY (specs/, item_bank/items/, reports/).

    Writes a commented spec, two example items and README files; never overwrites a file.
    """
    from psychometrics.scaffold import scaffold

    result = scaffold(directory, credential_id=credential_id, title=title, item_prefix=prefix)
    if as_json:
        echo_json(result.to_dict())
        return
    for path in result.files:
        click.echo(f"created {path}")
    click.echo(
        f"next: edit {result.spec}, write and calibrate items, `credkit assemble {result.spec}`, "
        f"review and `credkit forms publish {result.spec}`, administer, then "
        f"`credkit build {result.spec}`"
    )
