"""Shared pieces of the click layer: error translation and JSON output."""

from __future__ import annotations

import json
import math
import re
import sys
from datetime import date
from typing import Any

import click
import numpy as np

from psychometrics.errors import CredkitError


class UserError(click.ClickException):
    """A user-caused error: printed as one line on stderr, exit status 1, no traceback."""

    def __init__(self, message: str, *, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code

    def format_message(self) -> str:
        return self.message

    def show(self, file=None) -> None:
        click.echo(f"credkit: error: {self.format_message()}", err=True, file=file)


class CredkitGroup(click.Group):
    """A click group that turns :class:`CredkitError` into :class:`UserError`."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CredkitError as exc:
            raise UserError(exc.location_message()) from None
        except click.BadParameter as exc:
            # a bad path or value of an argument: one line, usage-error status (2), no usage dump
            raise UserError(exc.format_message(), exit_code=exc.exit_code) from None


def _default(obj: Any) -> Any:
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return _clean_float(float(obj))
    if isinstance(obj, np.ndarray):
        return [_default(x) if isinstance(x, np.generic | np.ndarray) else x for x in obj.tolist()]
    if isinstance(obj, np.bool_):
        return bool(obj)
    if hasattr(obj, "to_dict"):
        return obj.to_dict()
    raise TypeError(f"not JSON serializable: {type(obj).__name__}")


def _clean_float(x: float) -> float | None:
    return None if math.isnan(x) or math.isinf(x) else x


def _clean(obj: Any) -> Any:
    if isinstance(obj, float):
        return _clean_float(obj)
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    return obj


def echo_json(obj: Any) -> None:
    """Print exactly ``json.dumps(obj)`` (NaN and inf as null) on stdout."""
    text = json.dumps(_clean(json.loads(json.dumps(obj, default=_default, allow_nan=True))))
    click.echo(text)


def progress(message: str) -> None:
    """A progress line on stderr (never on stdout, which may carry JSON)."""
    print(message, file=sys.stderr, flush=True)


_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # ASCII digits only (not \d)


def parse_date_option(value: str | None, option: str) -> date | None:
    """The date an option gives, written exactly ``YYYY-MM-DD`` (None when the option is absent).

    Stricter than :meth:`datetime.date.fromisoformat`, which also takes ``20270104`` and
    ``2027-W01-1``: only four digits, a dash, two digits, a dash and two digits, and a real day.

    Raises
    ------
    UserError
        Naming ``option`` (e.g. ``--date``) and the value given.
    """
    if value is None:
        return None
    if not _ISO_DAY.fullmatch(value):
        raise UserError(f"{option}: expected a date YYYY-MM-DD, got {value!r}")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise UserError(f"{option}: {value!r} is not a valid date ({exc})") from None
