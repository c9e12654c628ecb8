"""The shared ``--threads N`` option (environment variable ``CREDKIT_THREADS``).

Decorate any command with :func:`threads_option`: while the command runs, every BLAS in the
process uses the chosen number of threads (default 1, the fastest setting measured on a shared
machine; see :mod:`psychometrics.irt.threads`). A command that passes the number on to a library
call (``calibrate(..., threads=...)``) reads it with :func:`threads_from_context`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from psychometrics.irt.threads import (
    DEFAULT_THREADS,
    MAX_THREADS,
    THREADS_ENV,
    blas_threads,
)

F = TypeVar("F", bound=Callable[..., Any])
_META_KEY = "credkit.threads"


def _apply(ctx: click.Context, _param: click.Parameter, value: int | None) -> int:
    n = DEFAULT_THREADS if value is None else int(value)
    ctx.meta[_META_KEY] = n
    ctx.with_resource(blas_threads(n))
    return n


def threads_option(command: F) -> F:
    """Add ``--threads N`` to a click command and limit BLAS threads while it runs."""
    return click.option(
        "--threads",
        type=click.IntRange(1, MAX_THREADS),
        default=None,
        envvar=THREADS_ENV,
        show_envvar=True,
        metavar="N",
        expose_value=False,
        is_eager=True,
        callback=_apply,
        help=f"BLAS threads for the matrix products (default {DEFAULT_THREADS}: fastest on a "
        "machine shared with other processes; more can help on a dedicated machine). "
        "Results do not depend on it.",
    )(command)


def threads_from_context() -> int:
    """The ``--threads`` value of the running command (the default outside one)."""
    ctx = click.get_current_context(silent=True)
    while ctx is not None:
        if _META_KEY in ctx.meta:
            return int(ctx.meta[_META_KEY])
        ctx = ctx.parent
    return DEFAULT_THREADS
