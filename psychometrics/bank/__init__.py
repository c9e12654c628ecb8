"""The item bank: items as YAML files, lint, statistics, updates, QTI and CSV exchange.

Public API (names are stable; other modules and commands call them):

* :func:`load_bank` / :func:`read_bank` -> :class:`Bank` of :class:`Item`
* :func:`bank_keys` (scoring keys for :func:`psychometrics.responses.read_responses`)
* :func:`bank_parameters` (:class:`~psychometrics.irt.models.ItemParameters` from the irt blocks)
* :func:`lint_bank` -> :class:`LintReport`
"""

from psychometrics.bank.findings import Finding
from psychometrics.bank.lint import LintReport, lint_bank
from psychometrics.bank.model import (
    COGNITIVE_LEVELS,
    STATUSES,
    TYPES,
    Bank,
    Exposure,
    Item,
    ItemIRT,
    ItemStats,
)
from psychometrics.bank.store import bank_keys, bank_parameters, load_bank, read_bank
from psychometrics.bank.yamlio import dump_item

__all__ = [
    "COGNITIVE_LEVELS",
    "STATUSES",
    "TYPES",
    "Bank",
    "Exposure",
    "Finding",
    "Item",
    "ItemIRT",
    "ItemStats",
    "LintReport",
    "bank_keys",
    "bank_parameters",
    "dump_item",
    "lint_bank",
    "load_bank",
    "read_bank",
]
