"""Validation against the official Open Badges 3.0 JSON Schema shipped with credkit.

The schema (JSON Schema 2019-09, ``AchievementCredential``) is 1EdTech's, copied verbatim; see
``psychometrics/data/credentials/SOURCES.md``. An ``Achievement`` alone is checked against the
same file's ``$defs/Achievement``.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from psychometrics.credentials._deps import require

__all__ = ["schema_errors"]

SCHEMA_FILE = "ob_v3p0_achievementcredential_schema.json"


@cache
def _schema() -> dict[str, Any]:
    text = (
        resources.files("psychometrics")
        .joinpath("data", "credentials", SCHEMA_FILE)
        .read_text(encoding="utf-8")
    )
    return json.loads(text)


@cache
def _validator(definition: str | None) -> Any:
    jsonschema = require("jsonschema")
    schema = _schema()
    if definition is not None:
        schema = {**schema, "$ref": f"#/$defs/{definition}"}
        for key in ("properties", "required", "additionalProperties", "type"):
            schema.pop(key, None)
    return jsonschema.Draft201909Validator(schema)


def _where(path: Any) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def schema_errors(document: Any, *, definition: str | None = None) -> list[str]:
    """Messages for every schema violation, ``'<path>: <message>'``, most specific first.

    Parameters
    ----------
    document
        A parsed credential (or, with ``definition``, an object of that class).
    definition : str, optional
        A class of the schema's ``$defs`` (e.g. ``"Achievement"``); default the whole
        ``AchievementCredential``.
    """
    validator = _validator(definition)
    errors = sorted(
        validator.iter_errors(document), key=lambda e: (-len(e.path), list(map(str, e.path)))
    )
    return [f"{_where(e.absolute_path)}: {e.message}" for e in errors]
