"""``credkit spec check``: a spec's own problems, its published forms and, optionally, its fit to
its item bank."""

from __future__ import annotations

import difflib
import os

from psychometrics.errors import InputError
from psychometrics.fileio import read_csv_header
from psychometrics.program.forms import load_forms
from psychometrics.program.proposal import bank_problems
from psychometrics.program.spec import (
    AdministrationSpec,
    Problem,
    Spec,
    parse_spec,
    sort_problems,
)

__all__ = ["administrations_problems", "check_spec_and_bank", "forms_problems"]

FORM_COLUMNS = ("form", "form_id")  # looked for when an administration names no form_column


def forms_problems(spec: Spec) -> list[Problem]:
    """Problems of the spec's forms folder: unreadable form files, a rated form
    (``cut_score.form``) that is not a published form.

    Parameters
    ----------
    spec
        A loaded spec.

    Returns
    -------
    list of Problem
        Errors, each naming the form file or the spec line.
    """
    try:
        forms = load_forms(spec.forms.folder, credential_id=spec.credential.id)
    except InputError as exc:
        return [Problem(exc.file or str(spec.path), exc.line, exc.location_message())]
    published = [fid for fid, f in forms.items() if f.is_published]
    rated = spec.cut_score.form if spec.cut_score is not None else None
    if rated is not None and published and rated not in published:
        return [
            Problem(
                str(spec.path),
                spec.line("cut_score", "form"),
                f"cut_score.form: '{rated}' is not a published form ({', '.join(published)})",
            )
        ]
    return []


def administrations_problems(spec: Spec) -> list[Problem]:
    """Problems of the spec's administrations that its responses files' headers show: a missing
    or unreadable file, no form column, a ``group`` or ``form_column`` the header lacks.

    Only the header is read: the responses themselves are checked by ``credkit build``.

    Parameters
    ----------
    spec
        A loaded spec.

    Returns
    -------
    list of Problem
        Errors, each naming the spec line of the administration's field.
    """
    problems: list[Problem] = []
    for admin in spec.administrations:
        problems += _administration_problems(spec, admin)
    return problems


def _administration_problems(spec: Spec, admin: AdministrationSpec) -> list[Problem]:
    block = spec.administration_field(admin)
    keys = (block.split("[")[0], *([admin_index(block)] if "[" in block else []))

    def problem(field: str, message: str) -> Problem:
        return Problem(str(spec.path), spec.line(*keys, field), f"{block}.{field}: {message}")

    try:
        header = read_csv_header(admin.responses)
    except InputError as exc:
        return [problem("responses", exc.location_message())]
    problems = []
    columns = set(header[1:])
    if admin.form_column is not None and admin.form_column not in columns:
        problems.append(
            problem("form_column", f"'{admin.form_column}' is not a column of the responses")
        )
    elif admin.form_column is None and not columns & set(FORM_COLUMNS):
        problems.append(
            problem(
                "responses",
                "the responses have no 'form' column naming the published form each candidate "
                "took (set form_column)",
            )
        )
    if admin.group is not None and admin.group not in columns:
        near = difflib.get_close_matches(admin.group, sorted(columns), n=1)
        hint = f"; did you mean '{near[0]}'?" if near else ""
        problems.append(problem("group", f"'{admin.group}' is not a column of the responses{hint}"))
    return problems


def admin_index(block: str) -> int:
    """``administrations[2]`` -> 2."""
    return int(block.split("[", 1)[1].rstrip("]"))


def check_spec_and_bank(path: str | os.PathLike[str], *, bank: bool = True) -> list[Problem]:
    """Every problem of a spec: structure, values, paths, its forms folder (see
    :func:`forms_problems`) and, with ``bank``, its fit to the bank.

    Parameters
    ----------
    path
        The spec file.
    bank
        Also load the bank and check that the forms can be built from it (eligible items per
        outcome and level, forced items, enemies and sets; see
        :func:`psychometrics.program.proposal.bank_problems`).

    Returns
    -------
    list of Problem
        Errors and warnings in file order; empty when the spec is clean.
    """
    try:
        spec, problems = parse_spec(path)
    except InputError as exc:
        return [Problem(exc.file or os.fspath(path), exc.line, exc.message)]
    if spec is not None:
        problems = problems + forms_problems(spec) + administrations_problems(spec)
        if bank:
            problems = problems + bank_problems(spec)
    return sort_problems(problems)
