"""credkit: psychometrics for credential programs.

The numeric modules (``irt``, ``ctt``, ``dif``, ``linking``, ``assembly``, ``standard_setting``,
``classification``) take numpy arrays and return frozen dataclasses; ``bank`` and ``spec`` own the
files; ``report`` renders results; ``cli`` is a thin click layer over all of them.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("credkit")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
