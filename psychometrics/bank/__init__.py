"""The item bank: items as YAML files, lint, statistics, updates, QTI and CSV exchange.

Public API (names are stable; other modules and commands call them):

* :func:`load_bank` / :func:`read_bank` -> :class:`Bank` of :class:`Item` (and :class:`ItemSet`)
* :func:`bank_keys` (scoring keys for :func:`psychometrics.responses.read_responses`)
* :func:`bank_parameters` (:class:`~psychometrics.irt.models.ItemParameters` from the irt blocks)
* :func:`update_item_parameters`, :func:`update_item_stats`, :func:`record_exposure`,
  :func:`~psychometrics.bank.lifecycle.set_status` (all-or-nothing writes to the files)
* :func:`lint_bank` -> :class:`LintReport`; :func:`bank_stats` -> :class:`BankStats`
* :func:`new_item`, :func:`next_item_id`
* :func:`export_qti`, :func:`write_test_package` (QTI 3.0), :func:`import_qti`, :func:`export_csv`
"""

from psychometrics.bank.csvio import export_csv
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
    ItemSet,
    ItemStats,
)
from psychometrics.bank.newitem import new_item, next_item_id
from psychometrics.bank.qti import export_qti, write_test_package
from psychometrics.bank.qti_import import ImportResult, import_qti
from psychometrics.bank.stats import BankStats, bank_stats
from psychometrics.bank.store import bank_keys, bank_parameters, load_bank, read_bank
from psychometrics.bank.update import (
    BankUpdate,
    record_exposure,
    update_item_parameters,
    update_item_stats,
)
from psychometrics.bank.yamlio import dump_item

__all__ = [
    "COGNITIVE_LEVELS",
    "STATUSES",
    "TYPES",
    "Bank",
    "BankStats",
    "BankUpdate",
    "Exposure",
    "Finding",
    "ImportResult",
    "Item",
    "ItemIRT",
    "ItemSet",
    "ItemStats",
    "LintReport",
    "bank_keys",
    "bank_parameters",
    "bank_stats",
    "dump_item",
    "export_csv",
    "export_qti",
    "import_qti",
    "lint_bank",
    "load_bank",
    "new_item",
    "next_item_id",
    "read_bank",
    "record_exposure",
    "update_item_parameters",
    "update_item_stats",
    "write_test_package",
]
