"""The one exception family for errors a user can cause.

Every error carries where it happened (file, line, field) so that the CLI can print one line of the
form ``file:line: field: message`` and exit non-zero, never a traceback.
"""

from __future__ import annotations

import os


class CredkitError(Exception):
    """An error in the user's input or request (bad file, unknown id, impossible constraint).

    Parameters
    ----------
    message
        What is wrong, in words the user can act on.
    file
        The file the problem is in, if any.
    line
        1-based line number in ``file``, if known.
    field
        The field, column or argument name, if any.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | os.PathLike[str] | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.file = os.fspath(file) if file is not None else None
        self.line = line
        self.field = field
        super().__init__(self.location_message())

    def location_message(self) -> str:
        """``file:line: field: message``, leaving out the parts that are unknown."""
        parts = []
        if self.file is not None:
            parts.append(self.file if self.line is None else f"{self.file}:{self.line}")
        if self.field is not None:
            parts.append(self.field)
        parts.append(self.message)
        return ": ".join(parts)


class InputError(CredkitError):
    """A file or value supplied by the user is malformed or inconsistent."""


class ConvergenceError(CredkitError):
    """An estimation did not converge and the caller asked for that to be an error."""


class InfeasibleError(CredkitError):
    """A set of constraints (assembly, cut-score bounds) cannot be met."""
