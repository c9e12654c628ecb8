"""How many BLAS threads the numeric work may use.

numpy and scipy call an optimised BLAS (OpenBLAS here) whose thread pool, by default, takes every
core and spin-waits between calls. On a machine shared with other processes those threads fight
the other processes for the cores, and the matrix products of a calibration slow down several
times (issue 20: 6 s quiet, 69 s with a load of 9 on 2 cores). credkit therefore runs its BLAS
work on :data:`DEFAULT_THREADS` thread(s) unless told otherwise, with ``threadpoolctl`` (the
library scikit-learn uses for the same purpose), which limits every BLAS loaded in the process
(numpy's and scipy's) for the duration of a ``with`` block and restores it afterwards.

The choice is measured by ``benchmarks/contention.py``: one thread was the fastest setting on a
quiet 2-core machine as well (the products are short; a second thread costs more in
synchronisation than it saves), and it keeps a calibration within about 1.5x of its quiet time
when two other processes keep both cores busy, where the BLAS default slows down several-fold.
On a dedicated many-core machine, a larger ``threads`` (or the environment variable
:data:`THREADS_ENV`) may help the standard-error step of large calibrations.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from threadpoolctl import threadpool_limits

THREADS_ENV = "CREDKIT_THREADS"
"""Environment variable with the default number of BLAS threads (a positive integer)."""
DEFAULT_THREADS = 1
"""BLAS threads used when neither ``threads`` nor :data:`THREADS_ENV` says otherwise."""
MAX_THREADS = 1024


def resolve_threads(threads: int | None = None) -> int:
    """The number of BLAS threads to use: ``threads``, else :data:`THREADS_ENV`, else 1.

    Parameters
    ----------
    threads
        A positive integer, or None for the environment variable or the default.

    Returns
    -------
    int

    Raises
    ------
    TypeError
        When ``threads`` is not an integer.
    ValueError
        When ``threads`` or the environment variable is not an integer in 1..1024.
    """
    if threads is None:
        text = os.environ.get(THREADS_ENV, "").strip()
        if not text:
            return DEFAULT_THREADS
        try:
            value = int(text)
        except ValueError:
            raise ValueError(
                f"{THREADS_ENV}: expected a whole number of threads >= 1, got {text!r}"
            ) from None
        if not 1 <= value <= MAX_THREADS:
            raise ValueError(
                f"{THREADS_ENV}: expected a whole number of threads 1..{MAX_THREADS}, got {text!r}"
            )
        return value
    if isinstance(threads, bool) or not isinstance(threads, int):
        raise TypeError(f"threads must be an int or None, got {type(threads).__name__}")
    if not 1 <= threads <= MAX_THREADS:
        raise ValueError(f"threads must be 1..{MAX_THREADS}, got {threads}")
    return threads


@contextlib.contextmanager
def blas_threads(threads: int | None = None) -> Iterator[int]:
    """Limit every loaded BLAS to ``threads`` threads inside the ``with`` block.

    Parameters
    ----------
    threads
        As in :func:`resolve_threads`.

    Yields
    ------
    int
        The number of threads in effect.

    References
    ----------
    threadpoolctl: https://github.com/joblib/threadpoolctl
    """
    n = resolve_threads(threads)
    with threadpool_limits(limits=n, user_api="blas"):
        yield n
