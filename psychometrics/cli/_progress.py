"""Progress of long operations on stderr: a bar with an ETA on a terminal, lines elsewhere.

On a terminal the bar is redrawn in place (``\\r``) at most every 0.1 s; elsewhere (a log file,
CI, a pipe) a plain line is written at most every ``interval`` seconds, plus one at the end, so
logs stay readable. ``interval = 0`` turns progress off. stdout is never touched: it may carry
JSON. A few dozen lines of code do this; a library would add a dependency for no gain here.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Callable
from typing import TextIO

import click

ENV_INTERVAL = "CREDKIT_PROGRESS_INTERVAL"
DEFAULT_INTERVAL = 2.0
BAR_WIDTH = 24
TTY_REDRAW = 0.1


def progress_interval_option(func: Callable) -> Callable:
    """``--progress-interval SECONDS`` (env ``CREDKIT_PROGRESS_INTERVAL``), shared by the
    commands that report progress."""
    return click.option(
        "--progress-interval",
        type=click.FloatRange(min=0),
        default=DEFAULT_INTERVAL,
        show_default=True,
        envvar=ENV_INTERVAL,
        show_envvar=True,
        metavar="SECONDS",
        help="Wall-clock seconds at least between two progress updates on stderr; "
        "0 turns progress off.",
    )(func)


class Progress:
    """Progress of ``total`` steps of one operation.

    Parameters
    ----------
    label
        What is being done ("fit", "dimensionality").
    total
        Number of steps; ``None`` when unknown (no bar, no ETA).
    unit
        What a step is ("forms", "EM steps", "patterns").
    interval
        Seconds at least between two lines when ``stream`` is not a terminal; 0 = silent.
    stream
        Where progress goes (default: stderr).
    clock
        A monotonic clock in seconds (tests pass a fake one).
    tty
        Whether ``stream`` is a terminal (default: ``stream.isatty()``).
    """

    def __init__(
        self,
        label: str,
        total: int | None,
        *,
        unit: str,
        interval: float = DEFAULT_INTERVAL,
        stream: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
        tty: bool | None = None,
    ) -> None:
        if not (interval >= 0 and math.isfinite(interval)):
            raise ValueError(f"interval must be a finite number >= 0, got {interval}")
        self.label, self.total, self.unit = label, total, unit
        self.interval = interval
        self.stream = sys.stderr if stream is None else stream
        self.clock = clock
        self.tty = _isatty(self.stream) if tty is None else tty
        self.start = clock()
        self.last = -math.inf
        self.done = 0
        self.drawn = False

    def update(self, done: int, note: str = "") -> None:
        """``done`` steps are complete; ``note`` says what comes next."""
        self.done = done
        now = self.clock()
        if self.interval == 0:
            return
        wait = TTY_REDRAW if self.tty else self.interval
        if now - self.last < wait and done != self.total:
            return
        self.last = now
        self._write(self._text(now, note))

    def close(self, note: str = "done") -> None:
        """The operation ended: a final line (and the end of the bar on a terminal)."""
        if self.total:
            self.done = self.total
        if self.interval == 0:
            return
        self._write(self._text(self.clock(), note))
        if self.tty and self.drawn:
            self.stream.write("\n")
            self.stream.flush()

    def _text(self, now: float, note: str) -> str:
        elapsed = now - self.start
        parts = [self.label]
        if self.total:
            share = min(self.done / self.total, 1.0)
            if self.tty:
                filled = round(BAR_WIDTH * share)
                parts.append("[" + "#" * filled + "." * (BAR_WIDTH - filled) + "]")
            parts.append(f"{self.done}/{self.total} {self.unit}")
            if 0 < self.done < self.total:
                parts.append(f"ETA {_clock(elapsed * (self.total - self.done) / self.done)}")
        else:
            parts.append(f"{self.done} {self.unit}")
        parts.append(f"elapsed {_clock(elapsed)}")
        return "  ".join(parts) + (f"  {note}" if note else "")

    def _write(self, text: str) -> None:
        if self.tty:
            self.stream.write("\r" + text.ljust(79))
            self.drawn = True
        else:
            self.stream.write(text + "\n")
        self.stream.flush()


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty() and os.environ.get("TERM") != "dumb"
    except (AttributeError, ValueError):
        return False


def _clock(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    return f"{seconds // 60}:{seconds % 60:02d}"
