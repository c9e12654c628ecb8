"""``credkit spec check`` and ``credkit assemble``: thin commands over spec.py and assembly."""

from __future__ import annotations

import contextlib
import math
import os
import re
import sys

import click

from psychometrics.cli._common import UserError, echo_json, progress
from psychometrics.cli._progress import Progress, progress_interval_option
from psychometrics.errors import InputError
from psychometrics.fileio import check_can_write_in
from psychometrics.program.check import check_spec_and_bank


@contextlib.contextmanager
def _solver_output_to_stderr():
    """Send anything the solver's C++ code prints to file descriptor 1 to stderr instead, so
    that stdout carries only the command's output (``--json`` must print JSON only)."""
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # pragma: no cover - no usable descriptor 1
        yield
        return
    try:
        os.dup2(2, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


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
    problems = check_spec_and_bank(spec, bank=bank)
    errors = [p for p in problems if p.severity == "error"]
    if as_json:
        echo_json({"ok": not errors, "problems": [p.to_dict() for p in problems]})
    else:
        for problem in problems:
            click.echo(str(problem))
        if not errors:
            click.echo(f"{spec}: ok" + (f" ({len(problems)} warning(s))" if problems else ""))
    if errors:
        if not as_json:
            click.echo(f"credkit: error: {len(errors)} problem(s) in {spec}", err=True)
        sys.exit(1)


@click.command("assemble")
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Folder for <form_id>.yaml per form [default: the spec's forms folder].",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON only.")
@click.option(
    "--time-limit", type=click.FloatRange(min=0.1), default=60.0, show_default=True,
    help="Seconds for the solver; the best forms found are returned with their gap.",
)  # fmt: skip
@click.option(
    "--gap", type=click.FloatRange(min=0.0, max=0.5), default=0.01, show_default=True,
    help="Relative optimality gap to stop at (0.01 = within 1% of the optimum).",
)  # fmt: skip
@click.option("--qti", is_flag=True, help="Also write a QTI 3.0 test package <form_id>.zip.")
@click.option(
    "--ids", default=None,
    help="Comma-separated ids of the new forms [default: form-A,form-B,...], e.g. to propose "
    "forms beside published ones.",
)  # fmt: skip
@click.option(
    "--publish", is_flag=True,
    help="Publish the forms at once (as 'credkit forms publish' does) instead of proposing them.",
)  # fmt: skip
@click.option(
    "--seed", type=int, default=None,
    help="Accepted for reproducibility records; the MILP solve is deterministic.",
)  # fmt: skip
@click.option(
    "--cut-theta", type=float, default=None,
    help="The cut on the theta scale when the spec sets it by a method.",
)  # fmt: skip
@progress_interval_option
def assemble(
    spec: str,
    out_dir: str | None,
    as_json: bool,
    time_limit: float,
    gap: float,
    qti: bool,
    seed: int | None,
    cut_theta: float | None,
    ids: str | None,
    publish: bool,
    progress_interval: float,
) -> None:
    """Propose the parallel forms SPEC asks for from its bank (maximin MILP, HiGHS).

    Writes OUT/<form_id>.yaml per form as a proposal: item ids in delivery order with outcome,
    key and content/parameter fingerprints, and the assembly record (solver, gap, test
    information and TCC at the targets, package versions). Review the proposals, then freeze them
    with `credkit forms publish SPEC` (or pass --publish); published forms are never replaced.
    Infeasible constraints give one message saying which group fails and by how much, and exit
    status 1.
    """
    from pathlib import Path

    from psychometrics.bank import load_bank
    from psychometrics.program.forms import load_forms, publish_forms
    from psychometrics.program.proposal import (
        assemble_spec,
        form_ids,
        with_ids,
        write_forms,
        write_qti,
    )
    from psychometrics.program.spec import load_spec

    if cut_theta is not None and not math.isfinite(cut_theta):
        raise UserError(f"--cut-theta must be a finite number, got {cut_theta}")
    loaded = load_spec(spec)
    target = Path(out_dir) if out_dir else loaded.forms.folder
    _check_out_dir(target, Path(loaded.bank))
    in_target = load_forms(target)
    # new forms must be new tests: limited overlap with every form already published
    published = {
        fid: f
        for folder in (loaded.forms.folder, target)
        for fid, f in (in_target if folder == target else load_forms(folder)).items()
        if f.is_published
    }
    new_ids = _new_form_ids(ids, loaded.form.count, in_target, form_ids)
    bank = load_bank(loaded.bank)
    if not as_json:
        progress(f"assembling {loaded.form.count} form(s) of {loaded.form.length} items ...")
    quiet = 0 if as_json else progress_interval  # --json: stdout and stderr stay clean
    bar = Progress("assemble", None, unit="solver stages", interval=quiet)
    with _solver_output_to_stderr():
        result = assemble_spec(
            loaded,
            bank=bank,
            time_limit=time_limit,
            gap=gap,
            cut_theta=cut_theta,
            published={fid: f.presented_ids for fid, f in published.items()},
            progress=lambda stage: bar.update(bar.done + 1, f"{stage} done"),
        )
    bar.close()
    result = with_ids(result, new_ids)
    try:
        paths = write_forms(result, target, spec=loaded, bank=bank)
        if publish:
            published = publish_forms(
                target,
                bank=bank,
                credential_id=loaded.credential.id,
                form_ids=[p.stem for p in paths],
            )
            paths = [f.path for f in published]
        if qti:
            paths += write_qti(result, loaded, target, bank=bank)
    except ImportError as exc:  # pragma: no cover - the bank's QTI writer is part of credkit
        raise UserError(f"--qti: the QTI writer is not available ({exc})") from None
    except OSError as exc:
        raise InputError(
            f"cannot write: {exc.strerror or exc}", file=target, field="--out"
        ) from None
    if as_json:
        echo_json(result.to_dict())
        return
    click.echo(f"{result.status}: {result.message}")
    for form in result.forms:
        info = ", ".join(
            f"I({t:g}) = {v:.2f}"
            for t, v in zip(form.target_theta, form.information_at_target, strict=True)
        )
        click.echo(f"  {form.id}: {len(form.items)} items, {info}")
    for path in paths:
        click.echo(f"wrote {path}")


_FORM_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def _new_form_ids(ids: str | None, count: int, existing, default_ids) -> list[str]:
    """The ids the new forms get, checked before solving: well formed, distinct, and not a form
    published in the folder they go to (``existing``: form id -> form)."""
    published = {fid for fid, f in existing.items() if f.is_published}
    if ids is None:
        new = list(default_ids(count))
    else:
        new = [i.strip() for i in ids.split(",")]
        if len(new) != count or len(set(new)) != len(new):
            raise UserError(
                f"--ids: give {count} distinct comma-separated form ids (form.count), got {ids!r}"
            )
    for form_id in new:
        if not _FORM_ID.fullmatch(form_id) or form_id.lower().endswith((".yaml", ".yml")):
            raise UserError(
                f"--ids: {form_id!r} is not a form id (1-64 letters, digits, '.', '_' or '-', "
                "without a .yaml ending)"
            )
    taken = [f for f in new if f in published]
    if taken:
        free = [f for f in default_ids(len(published) + count) if f not in published]
        raise InputError(
            f"{', '.join(taken)} published and frozen; propose the new forms under other ids "
            f"(--ids {','.join(free[:count])}) or into another folder (--out)",
            file=existing[taken[0]].path,
            field="--ids" if ids is not None else "form",
        )
    return new


def _check_out_dir(target, bank) -> None:
    """Refuse an --out folder that is a file, lies under a file, or is the item bank itself
    (form files there would be read as items)."""
    check_can_write_in(target, field="--out", include_self=True)
    resolved = target.resolve()
    if resolved in (bank.resolve(), (bank / "items").resolve()):
        raise InputError(
            "is the item bank; write the forms to another folder", file=target, field="--out"
        )


def register(group: click.Group) -> None:
    """Add ``spec check`` and ``assemble`` to the top-level group."""
    group.add_command(spec_group)
    group.add_command(assemble)


__all__ = ["register"]
