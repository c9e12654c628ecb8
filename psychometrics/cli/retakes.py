"""``credkit retakes check`` and ``credkit retakes assign``: thin commands over program.retakes."""

from __future__ import annotations

import io
import sys
from collections import Counter
from dataclasses import asdict
from datetime import date
from pathlib import Path

import click

from psychometrics.cli._common import echo_json, parse_date_option
from psychometrics.errors import InputError
from psychometrics.fileio import (
    check_output_path,
    csv_rows,
    read_user_text,
    safe_csv_writer,
    write_output_text,
)

CSV_COLUMNS = ("person_id", "form", "overlap", "status", "earliest_date", "reason")
"""Columns of the ``retakes assign`` CSV."""


@click.group("retakes")
def retakes_group() -> None:
    """Retake policy (the spec's retakes: block) across the spec's administrations."""


@retakes_group.command("check")
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON only.")
def check_command(spec: str, as_json: bool) -> None:
    """Check every candidate's attempts in SPEC's administrations against its retake policy.

    One line per violation (max_attempts, wait_days, max_overlap), then a summary line. Exit
    status 1 when there is any violation, 0 otherwise (also when SPEC has no retakes: block,
    which leaves nothing to check).
    """
    from psychometrics.bank import load_bank
    from psychometrics.program.retakes import attempts, check_retakes, published_forms
    from psychometrics.program.spec import load_spec

    loaded = load_spec(spec)
    if loaded.retakes is None:
        message = f"{spec}: the spec has no retakes: block; nothing to check"
        if as_json:
            echo_json({"ok": True, "policy": None, "violations": [], "message": message})
        else:
            click.echo(message)
        return
    forms = published_forms(loaded)
    found = attempts(loaded, bank=load_bank(loaded.bank), forms=forms)
    result = check_retakes(found, policy=loaded.retakes, forms=forms)
    if as_json:
        echo_json(result.to_dict())
    else:
        for violation in result.violations:
            click.echo(str(violation))
        click.echo(result.summary())
    if not result.ok:
        sys.exit(1)


@retakes_group.command("assign")
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option(
    "--candidates", required=True, type=click.Path(dir_okay=False),
    help="CSV of the candidates to place, with a person_id column (each candidate once).",
)  # fmt: skip
@click.option(
    "--date", "on", default=None, metavar="YYYY-MM-DD",
    help="The day the candidates are to sit [default: today].",
)  # fmt: skip
@click.option(
    "--out", type=click.Path(dir_okay=False), default=None,
    help="Write the assignments to this CSV, outside the forms folder and the bank "
    "[default: print the CSV on stdout].",
)  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON only.")
def assign_command(
    spec: str, candidates: str, on: str | None, out: str | None, as_json: bool
) -> None:
    """Pick a published form for each candidate in --candidates under SPEC's retake policy.

    A retaker gets the published form with the least overlap (ties: the first in the forms
    folder); a first-time candidate gets the first published form. The overlap is the share
    of the items a form presents (scored and pretest) that the candidate was presented on
    earlier attempts (scored or pretest). Status per candidate: first-attempt, assigned, wait
    (with the earliest date), max-attempts or no-form (with the smallest overlap achievable).
    Without a retakes: block there are no limits. CSV columns: person_id, form, overlap,
    status, earliest_date, reason. --out may not be in the forms folder or the bank, nor any
    input (the spec, --candidates, an administration's responses).
    """
    from psychometrics.bank import load_bank
    from psychometrics.program.retakes import assign_retakes, attempts, published_forms
    from psychometrics.program.spec import load_spec

    day = parse_date_option(on, "--date") or date.today()
    loaded = load_spec(spec)
    inputs = (candidates, spec, *(a.responses for a in loaded.administrations))
    if out is not None:
        check_output_path(out, inputs=inputs, field="--out")
        _refuse_inside(out, {"forms folder": loaded.forms.folder, "bank": loaded.bank})
    person_ids = read_candidates(candidates)
    forms = published_forms(loaded)
    if not forms:
        raise InputError(
            "no published form to assign (publish forms with 'credkit forms publish')",
            file=loaded.forms.folder,
            field="forms",
        )
    found = attempts(loaded, bank=load_bank(loaded.bank), forms=forms)
    result = assign_retakes(person_ids, attempts=found, policy=loaded.retakes, forms=forms, on=day)
    text = _csv_text(result)
    if out is not None:
        write_output_text(out, text, inputs=inputs, field="--out")
    counts = Counter(a.status for a in result)
    if as_json:
        echo_json(
            {
                "date": day.isoformat(),
                "policy": None if loaded.retakes is None else asdict(loaded.retakes),
                "counts": dict(counts),
                "assignments": [a.to_dict() for a in result],
            }
        )
    elif out is None:
        click.echo(text, nl=False)
    else:
        summary = ", ".join(f"{n} {status}" for status, n in counts.items())
        click.echo(f"wrote {out}: {len(result)} candidate(s) on {day.isoformat()}: {summary}")


def _refuse_inside(out: str, folders: dict[str, Path]) -> None:
    """Refuse an --out path inside one of ``folders`` (writing there would replace a published
    form or a bank item, or add a stray file that the forms folder or the bank would read)."""
    target = Path(out).resolve()
    for what, folder in folders.items():
        root = Path(folder).resolve()
        if target == root or root in target.parents:
            raise InputError(
                f"is inside the spec's {what} {folder}; write the assignments elsewhere",
                file=out,
                field="--out",
            )


def read_candidates(path: str | Path) -> list[str]:
    """The ``person_id`` column of a candidates CSV, in file order.

    Raises
    ------
    InputError
        Naming the file, line and field: a missing or unreadable file, no ``person_id`` column,
        an empty id, an id listed twice, no candidate at all.
    """
    rows = csv_rows(read_user_text(path), path)
    header = [cell.strip() for cell in rows[0]] if rows else []
    if "person_id" not in header:
        shown = ", ".join(header[:8]) or "empty"
        raise InputError(
            f"no 'person_id' column (header: {shown})", file=path, line=1, field="person_id"
        )
    column = header.index("person_id")
    seen: dict[str, int] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        person = row[column].strip() if column < len(row) else ""
        if not person:
            raise InputError("empty person_id", file=path, line=line, field="person_id")
        if person in seen:
            raise InputError(
                f"candidate '{person}' is listed twice (first on line {seen[person]})",
                file=path,
                line=line,
                field="person_id",
            )
        seen[person] = line
    if not seen:
        raise InputError("no candidates (only a header)", file=path, line=1, field="person_id")
    return list(seen)


def _csv_text(assignments) -> str:
    buffer = io.StringIO()
    writer = safe_csv_writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for a in assignments:
        writer.writerow(
            [
                a.person_id,
                a.form_id or "",
                "" if a.overlap is None else f"{round(a.overlap, 4):g}",
                a.status,
                "" if a.earliest_date is None else a.earliest_date.isoformat(),
                a.reason,
            ]
        )
    return buffer.getvalue()


def register(group: click.Group) -> None:
    """Add ``retakes check`` and ``retakes assign`` to the top-level group."""
    group.add_command(retakes_group)


__all__ = ["CSV_COLUMNS", "read_candidates", "register"]
