"""From a parsed item mapping to an :class:`~psychometrics.bank.model.Item`, with findings.

:func:`parse_item` never raises for bad content: it records every problem of one item as a
:class:`~psychometrics.bank.findings.Finding` and builds the item from what is usable, so that lint
can report everything in one run and the bank-wide checks still see the item.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from psychometrics.bank.findings import ERROR, WARNING, Finding
from psychometrics.bank.model import (
    B_RANGE,
    C_RANGE,
    CHOICE_MODELS,
    COGNITIVE_LEVELS,
    RUBRIC_MODELS,
    STATUSES,
    TYPES,
    Exposure,
    Item,
    ItemIRT,
    ItemStats,
)
from psychometrics.bank.yamlio import FIELD_ORDER

REQUIRED = ("id", "version", "status", "outcome", "type", "stem")
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}\Z")  # \Z: "$" matches before "\n"
OPTION_PATTERN = re.compile(r"^[A-Z]\Z")
MIN_OPTIONS = 2
"""A choice item needs two options (true/false); fewer than three is a warning."""
A_WARN = 4.0
"""Discriminations above this are legal but flagged (rarely seen with real data)."""


def count_words(*texts: str | None) -> int:
    """Words (whitespace-separated tokens) in the given texts."""
    return sum(len(t.split()) for t in texts if t)


def _is_number(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def _as_date(value: Any) -> str | None:
    if isinstance(value, _dt.datetime):
        return value.isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            _dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
        return value
    return None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


class _Collector:
    def __init__(self, file: str, lines: Mapping[str, int]) -> None:
        self.file = file
        self.lines = lines
        self.findings: list[Finding] = []

    def line(self, path: str) -> int:
        while path:
            if path in self.lines:
                return self.lines[path]
            cut = max(path.rfind("."), path.rfind("["))
            if cut <= 0:
                break
            path = path[:cut]
        return self.lines.get(path, 1) if path else 1

    def add(self, severity: str, path: str, message: str, rule: str) -> None:
        self.findings.append(Finding(self.file, self.line(path), path, severity, message, rule))

    def error(self, path: str, message: str, rule: str) -> None:
        self.add(ERROR, path, message, rule)

    def warn(self, path: str, message: str, rule: str) -> None:
        self.add(WARNING, path, message, rule)


def parse_item(
    data: Any, lines: Mapping[str, int], *, path: Path, file_label: str | None = None
) -> tuple[Item | None, list[Finding]]:
    """Check one item mapping field by field and build the :class:`Item`.

    Returns ``(item, findings)``; ``item`` is ``None`` only when the document is not a mapping.
    """
    out = _Collector(file_label or str(path), lines)
    if not isinstance(data, Mapping):
        kind = "empty" if data is None else type(data).__name__
        out.error("yaml", f"an item file must hold a mapping of fields, got {kind}", "not-mapping")
        return None, out.findings
    for key in data:
        if not isinstance(key, str):
            out.error(str(key), f"field names must be text, got {_short(key)}", "field-name")
    for name in REQUIRED:
        if data.get(name) is None or data.get(name) == "":
            out.error(name, "missing required field", "missing-field")
    for name in data:
        if isinstance(name, str) and name not in FIELD_ORDER:
            out.warn(name, f"unknown field '{name}' (kept as written)", "unknown-field")
    _control_characters(out, data)
    for name in PROSE_FIELDS:
        value = data.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            out.error(name, f"must be text, got the number {_short(value)}", "bad-type")

    item_id = _text(out, data, "id") or path.stem
    if "id" in data and isinstance(data["id"], str):
        if not ID_PATTERN.match(data["id"]):
            out.error("id", "id must be letters, digits, '.', '_' or '-' (max 64)", "bad-id")
        elif data["id"] != path.stem:
            out.error(
                "id", f"id '{data['id']}' differs from the file name '{path.name}'", "id-filename"
            )

    version = data.get("version")
    if version is not None and (
        not isinstance(version, int) or isinstance(version, bool) or version < 1
    ):
        out.error("version", f"version must be an integer >= 1, got {_short(version)}", "bad-type")
        version = None

    status = _choice(out, data, "status", STATUSES, "unknown-status")
    item_type = _choice(out, data, "type", TYPES, "unknown-type")
    level = _choice(out, data, "cognitive_level", COGNITIVE_LEVELS, "unknown-level")
    if data.get("cognitive_level") is None:
        out.warn(
            "cognitive_level", "no cognitive level (stats count it as unspecified)", "no-level"
        )
    outcome = _text(out, data, "outcome")
    stem = _text(out, data, "stem") or ""

    options, key, max_score, levels = {}, (), None, {}
    if item_type in ("mcq", "msq"):
        options = _options(out, data)
        key = _key(out, data, item_type, options)
    elif item_type == "rubric":
        max_score, levels = _rubric(out, data)
        for name in ("options", "key"):
            if data.get(name) is not None:  # a rubric item is scored by its levels
                out.error(name, f"a rubric item has score_levels, not {name}", "rubric-fields")

    enemies = _text_list(out, data, "enemies")
    if item_id in enemies:
        out.error("enemies", "an item cannot be its own enemy", "enemy-self")
    reviewers = _text_list(out, data, "reviewers")
    tags = _text_list(out, data, "tags")
    attributes = _attributes(out, data.get("attributes"))
    dates = {}
    for name in ("created", "updated"):
        value = data.get(name)
        dates[name] = _as_date(value) if value is not None else None
        if value is not None and dates[name] is None:
            out.error(name, f"not a date (YYYY-MM-DD): {_short(value)}", "bad-date")
    seconds = data.get("expected_seconds")
    if seconds is not None and (not _is_number(seconds) or seconds <= 0):
        out.error("expected_seconds", "must be a positive number of seconds", "bad-type")
        seconds = None
    derived = count_words(stem, *options.values())
    words = data.get("word_count")
    if words is not None and (not isinstance(words, int) or isinstance(words, bool) or words < 0):
        out.error("word_count", "must be a non-negative integer (or left out)", "bad-type")
        words = None

    irt = _irt(out, data.get("irt"), item_type, max_score) if data.get("irt") is not None else None
    stats = _stats(out, data.get("stats")) if data.get("stats") is not None else None
    history = data.get("history")
    if history is None:
        history = []
    elif not isinstance(history, list):
        out.error("history", "history must be a list", "bad-type")
        history = []
    exposure = _exposure(out, data.get("exposure")) if data.get("exposure") is not None else None

    item = Item(
        id=item_id,
        version=version,
        status=status,
        outcome=outcome,
        cognitive_level=level,
        type=item_type,
        stem=stem,
        options=options,
        key=key,
        rationale=_text(out, data, "rationale"),
        enemies=tuple(enemies),
        set=_text(out, data, "set"),
        author=_text(out, data, "author"),
        reviewers=tuple(reviewers),
        created=dates["created"],
        updated=dates["updated"],
        expected_seconds=float(seconds) if seconds is not None else None,
        word_count=int(words) if words is not None else derived,
        max_score=max_score,
        score_levels=levels,
        tags=tuple(tags),
        attributes=attributes,
        irt=irt,
        stats=stats,
        history=tuple(history),
        exposure=exposure,
        path=path,
        data=dict(data),
        lines=dict(lines),
    )
    return item, out.findings


PROSE_FIELDS = ("stem", "rationale", "scoring_guide")
"""Fields that hold prose: a bare number there (``stem: 12``) is a mistake, not text."""
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _control_characters(out: _Collector, data: Any) -> None:
    """An error for each text value holding a control character other than tab and newline (a
    NUL written as ``"\\0"`` in a quoted scalar passes the file's byte check)."""
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, str):
            hit = _CONTROL.search(value)
            if hit:
                out.error(
                    where or "yaml",
                    f"text holds the control character U+{ord(hit.group()):04X}",
                    "control-character",
                )
        elif isinstance(value, Mapping):
            for key, child in value.items():
                stack.append((f"{where}.{key}" if where else str(key), child))
                if isinstance(key, str) and _CONTROL.search(key):
                    out.error(
                        where or str(key), "a field name holds a control character", "bad-type"
                    )
        elif isinstance(value, list):
            stack.extend((f"{where}[{k}]", child) for k, child in enumerate(value))


def _text(out: _Collector, data: Mapping, name: str) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        out.error(name, f"must be text, got {type(value).__name__}", "bad-type")
        return None
    return str(value)


def _attributes(out: _Collector, value: Any) -> dict[str, Any]:
    """``attributes``: a mapping of names to numbers, text or booleans (for form constraints)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        out.error("attributes", "attributes must be a mapping of name: value", "bad-type")
        return {}
    kept = {}
    for name, v in value.items():
        if not isinstance(name, str) or not name:
            out.error("attributes", f"attribute names must be text, got {_short(name)}", "bad-type")
        elif isinstance(v, bool | int | float | str) and not (
            isinstance(v, float) and not math.isfinite(v)
        ):
            kept[name] = v
        else:
            out.error(
                f"attributes.{name}",
                f"attribute '{name}' must be a number, text or true/false, got {_short(v)}",
                "bad-type",
            )
    return kept


def _choice(out: _Collector, data: Mapping, name: str, allowed, rule: str) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if value not in allowed or not isinstance(value, str):
        out.error(name, f"unknown {name} {_short(value)}; one of: {', '.join(allowed)}", rule)
        return None
    return value


def _text_list(out: _Collector, data: Mapping, name: str) -> list[str]:
    value = data.get(name)
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        out.error(name, "must be a list of text values", "bad-type")
        return []
    result = []
    for i, v in enumerate(value):
        if not isinstance(v, str) or not v:
            out.error(f"{name}[{i}]", f"must be text, got {_short(v)}", "bad-type")
        else:
            result.append(v)
    return result


def _normal(text: str) -> str:
    return " ".join(text.split()).casefold()


def _options(out: _Collector, data: Mapping) -> dict[str, str]:
    value = data.get("options")
    if value is None:
        out.error(
            "options", "missing required field (a mapping of letters to texts)", "missing-field"
        )
        return {}
    if not isinstance(value, Mapping):
        out.error("options", "must be a mapping like {A: ..., B: ...}", "bad-type")
        return {}
    options: dict[str, str] = {}
    seen: dict[str, str] = {}
    for letter, text in value.items():
        where = f"options.{letter}"
        if not isinstance(letter, str) or not OPTION_PATTERN.match(letter):
            out.error(
                where,
                f"option labels must be single capital letters, got {_short(letter)}",
                "bad-option",
            )
            continue
        if isinstance(text, bool) or text is None or not isinstance(text, str | int | float):
            out.error(where, "option text must be text (quote yes/no/true/false)", "bad-option")
            continue
        if isinstance(text, float):
            out.warn(
                where, "quote numeric option text so that it is kept as written", "numeric-option"
            )
        text = str(text)
        if not text.strip():
            out.error(where, "empty option text", "bad-option")
            continue
        norm = _normal(text)
        if norm in seen:
            out.error(where, f"same text as option {seen[norm]}", "duplicate-option")
        seen.setdefault(norm, letter)
        options[letter] = text
    if len(value) < MIN_OPTIONS:
        out.error(
            "options",
            f"{len(value)} options; a choice item needs at least {MIN_OPTIONS}",
            "few-options",
        )
    elif len(value) == MIN_OPTIONS:
        out.warn(
            "options", "two options (true/false): a guess is right half the time", "two-options"
        )
    return options


def _key(
    out: _Collector, data: Mapping, item_type: str, options: Mapping[str, str]
) -> tuple[str, ...]:
    value = data.get("key")
    if value is None:
        out.error("key", "missing required field", "missing-field")
        return ()
    letters = value if isinstance(value, list) else [value]
    if item_type == "mcq" and isinstance(value, list):
        if len(value) != 1:
            out.error(
                "key", "an mcq item has exactly one key (use type msq for several)", "bad-key"
            )
            return ()
    result = []
    for letter in letters:
        if not isinstance(letter, str):
            out.error("key", f"key must be option letters, got {_short(letter)}", "bad-key")
            continue
        if letter not in options and options:
            out.error(
                "key",
                f"key '{letter}' is not among the options ({', '.join(options)})",
                "key-not-option",
            )
            continue
        if letter in result:
            out.error("key", f"key '{letter}' listed twice", "bad-key")
            continue
        result.append(letter)
    if item_type == "msq" and options and len(result) == len(options) and len(options) > 1:
        out.warn("key", "every option is keyed", "all-keyed")
    return tuple(result)


def _rubric(out: _Collector, data: Mapping) -> tuple[int | None, dict[int, str]]:
    max_score = data.get("max_score")
    levels_raw = data.get("score_levels")
    levels: dict[int, str] = {}
    guide = data.get("scoring_guide")
    if guide is not None:
        if levels_raw is not None:
            out.error("scoring_guide", "give score_levels or scoring_guide, not both", "bad-rubric")
        elif not isinstance(guide, list):
            out.error("scoring_guide", "must be a list of {score, description}", "bad-type")
        else:
            for i, entry in enumerate(guide):
                where = f"scoring_guide[{i}]"
                score = entry.get("score") if isinstance(entry, Mapping) else None
                text = entry.get("description") if isinstance(entry, Mapping) else None
                if not isinstance(score, int) or isinstance(score, bool) or score < 0:
                    out.error(where, "each level needs an integer score >= 0", "bad-rubric")
                    continue
                if not isinstance(text, str) or not text.strip():
                    out.error(where, "describe the score level in text", "bad-rubric")
                if score in levels:
                    out.error(where, f"score {score} listed twice", "bad-rubric")
                levels[score] = str(text)
    if levels_raw is not None:
        if not isinstance(levels_raw, Mapping):
            out.error("score_levels", "must be a mapping score -> description", "bad-type")
        else:
            for score, text in levels_raw.items():
                if not isinstance(score, int) or isinstance(score, bool) or score < 0:
                    out.error(
                        f"score_levels.{score}",
                        "scores must be integers 0, 1, 2, ...",
                        "bad-rubric",
                    )
                    continue
                if not isinstance(text, str) or not text.strip():
                    out.error(
                        f"score_levels.{score}", "describe the score level in text", "bad-rubric"
                    )
                levels[score] = str(text)
    if max_score is None and levels:
        max_score = max(levels)
    if max_score is None:
        out.error("max_score", "a rubric item needs max_score (or score_levels)", "missing-field")
        return None, levels
    if not isinstance(max_score, int) or isinstance(max_score, bool) or max_score < 1:
        out.error("max_score", f"must be an integer >= 1, got {_short(max_score)}", "bad-rubric")
        return None, levels
    if levels and sorted(levels) != list(range(max_score + 1)):
        name = "scoring_guide" if guide is not None else "score_levels"
        out.error(name, f"score levels must be exactly 0..{max_score}", "bad-rubric")
    return max_score, levels


def _number(out: _Collector, block: Mapping, name: str, where: str) -> float | None:
    value = block.get(name)
    if value is None:
        return None
    if not _is_number(value):
        out.error(f"{where}.{name}", f"must be a finite number, got {_short(value)}", "bad-number")
        return None
    return float(value)


def _irt(
    out: _Collector, block: Any, item_type: str | None, max_score: int | None
) -> ItemIRT | None:
    if not isinstance(block, Mapping):
        out.error("irt", "must be a mapping {model, a, b, c, ...}", "bad-type")
        return None
    model = block.get("model")
    allowed = RUBRIC_MODELS if item_type == "rubric" else CHOICE_MODELS
    if model not in allowed:
        out.error(
            "irt.model",
            f"model {_short(model)} for a {item_type} item; one of: {', '.join(allowed)}",
            "irt-model",
        )
        return None
    a = _number(out, block, "a", "irt")
    if a is None:
        if model in ("rasch", "pcm"):
            a = 1.0
        elif block.get("a") is None:
            out.error("irt.a", "missing discrimination a", "irt-range")
    elif a <= 0:
        out.error("irt.a", f"a = {a:g} must be > 0", "irt-range")
    elif a > A_WARN:
        out.warn("irt.a", f"a = {a:g} is unusually high (> {A_WARN:g})", "irt-high-a")
    bs: list[float] = []
    if item_type == "rubric":
        k = 1
        while f"b{k}" in block:
            bs.append(_number(out, block, f"b{k}", "irt"))  # type: ignore[arg-type]
            k += 1
        if not bs:
            out.error("irt", "a rubric item's irt block needs thresholds b1..bK-1", "irt-range")
        elif max_score is not None and len(bs) != max_score:
            out.error(
                "irt",
                f"{len(bs)} thresholds for max_score {max_score} (need {max_score})",
                "irt-range",
            )
        fields = [f"b{k + 1}" for k in range(len(bs))]
    else:
        bs = [_number(out, block, "b", "irt")]  # type: ignore[list-item]
        if block.get("b") is None:
            out.error("irt.b", "missing difficulty b", "irt-range")
        fields = ["b"]
    for name, b in zip(fields, bs, strict=True):
        if b is not None and not (B_RANGE[0] <= b <= B_RANGE[1]):
            out.error(
                f"irt.{name}",
                f"{name} = {b:g} is outside [{B_RANGE[0]:g}, {B_RANGE[1]:g}]",
                "irt-range",
            )
    if (
        model == "grm"
        and all(b is not None for b in bs)
        and any(b2 <= b1 for b1, b2 in zip(bs, bs[1:], strict=False))
    ):
        out.error("irt", "graded-response thresholds must increase (b1 < b2 < ...)", "irt-range")
    c = _number(out, block, "c", "irt")
    if c is None:
        if model == "3pl" and block.get("c") is None:
            out.error("irt.c", "a 3pl item needs a lower asymptote c", "irt-range")
        c = 0.0
    elif not (C_RANGE[0] <= c < C_RANGE[1]):
        out.error("irt.c", f"c = {c:g} is outside [{C_RANGE[0]:g}, {C_RANGE[1]:g})", "irt-range")
    elif model != "3pl" and c != 0:
        out.error("irt.c", f"c must be 0 for a {model} item", "irt-range")
    se = block.get("se")
    se_out: dict[str, float] = {}
    if se is not None:
        if not isinstance(se, Mapping):
            out.error("irt.se", "must be a mapping like {a: .., b: .., c: ..}", "bad-type")
        else:
            for name, value in se.items():
                if value is None:
                    continue
                if not _is_number(value) or value < 0:
                    out.error(f"irt.se.{name}", "a standard error is a number >= 0", "bad-number")
                else:
                    se_out[str(name)] = float(value)
    n = block.get("n")
    if n is not None and (not isinstance(n, int) or isinstance(n, bool) or n < 0):
        out.error("irt.n", "n must be a non-negative integer", "bad-type")
        n = None
    date = block.get("date")
    if date is not None and _as_date(date) is None:
        out.error("irt.date", f"not a date: {_short(date)}", "bad-date")
    calibration = block.get("calibration")
    if any(v is None for v in (a, *bs)):
        return None
    return ItemIRT(
        model=model,
        a=float(a),  # type: ignore[arg-type]
        b=tuple(float(b) for b in bs),
        c=float(c),
        se=se_out,
        calibration=None if calibration is None else str(calibration),
        n=n,
        date=_as_date(date) if date is not None else None,
    )


def _stats(out: _Collector, block: Any) -> ItemStats | None:
    if not isinstance(block, Mapping):
        out.error("stats", "must be a mapping {p, rpbis, n}", "bad-type")
        return None
    p = _number(out, block, "p", "stats")
    if p is not None and not 0 <= p <= 1:
        out.error("stats.p", f"p = {p:g} is outside [0, 1]", "stats-range")
    r = _number(out, block, "rpbis", "stats")
    if r is not None and not -1 <= r <= 1:
        out.error("stats.rpbis", f"rpbis = {r:g} is outside [-1, 1]", "stats-range")
    n = block.get("n")
    if n is not None and (not isinstance(n, int) or isinstance(n, bool) or n < 0):
        out.error("stats.n", "n must be a non-negative integer", "bad-type")
        n = None
    return ItemStats(p=p, rpbis=r, n=n)


def _exposure(out: _Collector, block: Any) -> Exposure | None:
    if not isinstance(block, Mapping):
        out.error("exposure", "must be a mapping {forms, administrations, last_used}", "bad-type")
        return None
    forms = _text_list(out, {"exposure.forms": block.get("forms")}, "exposure.forms")
    count = block.get("administrations")
    if count is not None and (not isinstance(count, int) or isinstance(count, bool) or count < 0):
        out.error("exposure.administrations", "must be a non-negative integer", "bad-type")
        count = None
    last = block.get("last_used")
    if last is not None and _as_date(last) is None:
        out.error("exposure.last_used", f"not a date: {_short(last)}", "bad-date")
        last = None
    return Exposure(
        forms=tuple(forms), administrations=count, last_used=_as_date(last) if last else None
    )
