"""Shared pieces of the click layer: error translation and JSON output."""

from __future__ import annotations

import importlib
import json
import math
import re
import sys
from dataclasses import dataclass
from datetime import date
from typing import Any

import click

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


@dataclass(frozen=True)
class LazyCommand:
    """A top-level command whose module is imported only when the command is used.

    Attributes
    ----------
    name : str
        The command's name on the command line.
    module : str
        The module under ``psychometrics.cli`` that defines it.
    attribute : str
        The click command or group object in that module.
    short_help : str
        The line ``credkit --help`` shows for it: the first sentence of the command's own help.
    """

    name: str
    module: str
    attribute: str
    short_help: str

    def load(self) -> click.Command:
        module = importlib.import_module(f"psychometrics.cli.{self.module}")
        return getattr(module, self.attribute)


class CredkitGroup(click.Group):
    """A click group that turns :class:`CredkitError` into :class:`UserError`.

    ``lazy_commands`` adds top-level commands that are imported on first use, so that
    ``--help`` and ``--version`` stay fast (no numpy or scipy).
    """

    def __init__(
        self, *args: Any, lazy_commands: tuple[LazyCommand, ...] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_commands = {command.name: command for command in lazy_commands}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*self.lazy_commands, *sorted(set(self.commands) - set(self.lazy_commands))]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy_commands:
            self.commands[cmd_name] = self.lazy_commands[cmd_name].load()
        return self.commands.get(cmd_name)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        if name in self.commands or name in self.lazy_commands or name.startswith("-"):
            return super().resolve_command(ctx, args)
        # an unknown command: suggest among every command without importing any of them
        raise click.exceptions.NoSuchCommand(name, possibilities=self.list_commands(ctx), ctx=ctx)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            lazy = self.lazy_commands.get(name)
            if lazy is not None and name not in self.commands:
                rows.append((name, lazy.short_help))
                continue
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=formatter.width)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CredkitError as exc:
            raise UserError(exc.location_message()) from None
        except click.BadParameter as exc:
            # a bad path or value of an argument: one line, usage-error status (2), no usage dump
            raise UserError(exc.format_message(), exit_code=exc.exit_code) from None


def _default(obj: Any) -> Any:
    import numpy as np  # here, not at the top: the CLI starts without numpy

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
