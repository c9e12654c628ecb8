"""``credkit spec check``: a spec's own problems and, optionally, its fit to its item bank."""

from __future__ import annotations

import os

from psychometrics.errors import InputError
from psychometrics.program.proposal import bank_problems
from psychometrics.program.spec import Problem, check_spec, parse_spec, sort_problems

__all__ = ["check_spec_and_bank"]


def check_spec_and_bank(path: str | os.PathLike[str], *, bank: bool = True) -> list[Problem]:
    """Every problem of a spec: structure, values, paths and, with ``bank``, its fit to the bank.

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
    if not bank:
        return check_spec(path)
    try:
        spec, problems = parse_spec(path)
    except InputError as exc:
        return [Problem(exc.file or os.fspath(path), exc.line, exc.message)]
    if spec is not None:
        problems = problems + bank_problems(spec)
    return sort_problems(problems)
