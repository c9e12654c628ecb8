"""``credkit spec check``: a spec's own problems, its published forms and, optionally, its fit to
its item bank."""

from __future__ import annotations

import os

from psychometrics.errors import InputError
from psychometrics.program.forms import load_forms
from psychometrics.program.proposal import bank_problems
from psychometrics.program.spec import Problem, Spec, parse_spec, sort_problems

__all__ = ["check_spec_and_bank", "forms_problems"]


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
        problems = problems + forms_problems(spec)
        if bank:
            problems = problems + bank_problems(spec)
    return sort_problems(problems)
