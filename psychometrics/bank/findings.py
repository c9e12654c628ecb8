"""Lint findings: one problem in one file, printed as ``file:line: field: severity: message``."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True, order=True)
class Finding:
    """One problem found in the bank.

    Attributes
    ----------
    file
        The item file (or the items directory for bank-wide findings).
    line
        1-based line in ``file`` (0 when the problem concerns the whole file or bank).
    field
        The field path (``"key"``, ``"irt.c"``, ``"options.B"``).
    severity
        ``"error"`` (the bank cannot be used as is) or ``"warning"`` (item-writing guideline).
    message
        What is wrong, in words an item writer can act on.
    rule
        Short identifier of the check (``"key-not-option"``), for filtering and tests.
    """

    file: str
    line: int
    field: str
    severity: str
    message: str
    rule: str

    def format(self) -> str:
        """``file:line: field: severity: message`` (the line is left out when unknown)."""
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.severity}: {self.message}"

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
