"""Assembly from a credential spec and its item bank (the file-facing wrapper of assembly.py)."""

from __future__ import annotations

from psychometrics.spec import Problem, Spec


def bank_problems(spec: Spec) -> list[Problem]:
    """Problems of fit between a spec and its bank (filled in when the bank loader lands)."""
    return []
