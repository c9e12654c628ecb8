"""The optional libraries behind credkit's Open Badges work, imported with one clear error."""

from __future__ import annotations

import importlib
from types import ModuleType

from psychometrics.errors import InputError

_INSTALL = "pip install 'credkit[badges]'"


def require(module: str) -> ModuleType:
    """Import ``module`` or raise one :class:`InputError` telling how to install the extra."""
    try:
        return importlib.import_module(module)
    except ImportError:
        top = module.split(".")[0]
        raise InputError(
            f"Open Badges needs the optional library '{top}': {_INSTALL}", field="badges"
        ) from None
