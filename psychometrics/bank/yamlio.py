"""Safe reading and canonical writing of item YAML files.

Reading uses PyYAML's safe loader only, through the composer so that every field keeps the line it
was written on (for ``file:line: field: message`` diagnostics). Item text is untrusted: the reader
refuses files larger than a limit, YAML aliases (the "billion laughs" expansion bomb), documents
with too many nodes or nested too deeply, so that a hostile file gives a clear error, never a hang.

Writing produces the *canonical* form: fields in the documented order, multi-line text as literal
blocks, short lists of scalars and all-number mappings in flow style, everything else in block
style. Loading a canonical file and writing it back gives the same bytes.
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from psychometrics.errors import InputError
from psychometrics.fileio import check_user_file

MAX_ITEM_BYTES = 256 * 1024
"""Default size limit of one item file (bytes)."""
MAX_NODES = 20_000
"""Default limit on the number of YAML nodes in one document."""
MAX_DEPTH = 40
"""Default limit on the nesting depth of one document."""

FIELD_ORDER = (
    "id",
    "version",
    "status",
    "outcome",
    "cognitive_level",
    "type",
    "stem",
    "options",
    "key",
    "shuffle",
    "fixed",
    "scoring",
    "max_score",
    "score_levels",
    "scoring_guide",
    "rationale",
    "feedback",
    "enemies",
    "set",
    "author",
    "reviewers",
    "created",
    "updated",
    "expected_seconds",
    "word_count",
    "item_model",
    "tags",
    "attributes",
    "notes",
    "source",
    "irt",
    "stats",
    "history",
    "exposure",
)
"""Canonical order of the top-level fields of an item file (unknown fields follow, as written)."""

_NESTED_ORDER = {
    "irt": ("model", "a", "b", "c"),
    "stats": ("p", "rpbis", "n", "date"),
    "exposure": ("forms", "administrations", "last_used"),
}
_NESTED_TAIL = {"irt": ("se", "calibration", "n", "date")}


class _Rejected(Exception):
    def __init__(self, message: str, mark: Any) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark


class _GuardedLoader(yaml.SafeLoader):
    """SafeLoader whose composer refuses aliases and caps node count and depth."""

    max_nodes = MAX_NODES
    max_depth = MAX_DEPTH

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._node_count = 0
        self._depth = 0

    def compose_node(self, parent, index):  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise _Rejected(
                f"YAML aliases (*{event.anchor}) are not allowed in item files", event.start_mark
            )
        self._node_count += 1
        if self._node_count > self.max_nodes:
            raise _Rejected(
                f"document has more than {self.max_nodes} YAML nodes", self.peek_event().start_mark
            )
        self._depth += 1
        try:
            if self._depth > self.max_depth:
                raise _Rejected(
                    f"document is nested more than {self.max_depth} levels deep",
                    self.peek_event().start_mark,
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _walk_lines(node: yaml.Node, prefix: str, lines: dict[str, int]) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: dict[tuple[str, str], int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "?"
            line = key_node.start_mark.line + 1
            if isinstance(key_node, yaml.ScalarNode):
                # PyYAML keeps the last value silently: a second `key:` would change the answer
                ident = (key_node.tag, key)
                if ident in seen:
                    raise _Rejected(
                        f"duplicate key '{key}' (first on line {seen[ident]})",
                        key_node.start_mark,
                    )
                seen[ident] = line
            path = f"{prefix}.{key}" if prefix else key
            if path not in lines:
                lines[path] = line
            _walk_lines(value_node, path, lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, child in enumerate(node.value):
            path = f"{prefix}[{i}]"
            lines[path] = child.start_mark.line + 1
            _walk_lines(child, path, lines)


_FAST = getattr(yaml, "__with_libyaml__", False)


def _guard_events(text: str, max_nodes: int, max_depth: int) -> None:
    """Stream the parser's events (no recursion, no expansion) and enforce the limits."""
    depth = nodes = 0
    loader = yaml.CSafeLoader(text)
    try:
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, yaml.AliasEvent):
                raise _Rejected(
                    f"YAML aliases (*{event.anchor}) are not allowed in item files",
                    event.start_mark,
                )
            if isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
                depth += 1
                if depth > max_depth:
                    raise _Rejected(
                        f"document is nested more than {max_depth} levels deep", event.start_mark
                    )
            elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
                depth -= 1
            if isinstance(event, yaml.NodeEvent):
                nodes += 1
                if nodes > max_nodes:
                    raise _Rejected(
                        f"document has more than {max_nodes} YAML nodes", event.start_mark
                    )
    finally:
        loader.dispose()


def _compose_construct(text: str, max_nodes: int, max_depth: int):
    if _FAST:
        _guard_events(text, max_nodes, max_depth)
        loader = yaml.CSafeLoader(text)
    else:
        loader = _GuardedLoader(text)
        loader.max_nodes = max_nodes
        loader.max_depth = max_depth
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}
        lines: dict[str, int] = {}
        _walk_lines(node, "", lines)
        return loader.construct_document(node), lines
    finally:
        loader.dispose()


_TIMESTAMP = "tag:yaml.org,2002:timestamp"


def first_invalid_timestamp(
    node: yaml.Node | None,
) -> tuple[str, yaml.ScalarNode, Exception] | None:
    """The first scalar that YAML resolves as a timestamp but that is no valid date (2026-13-01):
    ``(dotted field path, node, the constructor's error)``, or None.

    The YAML constructor rejects such a scalar with a bare ValueError and no position; this finds
    its line for the message.
    """
    stack: list[tuple[str, yaml.Node]] = [("", node)] if node is not None else []
    while stack:
        where, current = stack.pop(0)
        if isinstance(current, yaml.ScalarNode) and current.tag == _TIMESTAMP:
            try:
                yaml.SafeLoader("").construct_yaml_timestamp(current)
            except (ValueError, TypeError, OverflowError) as exc:
                return where, current, exc
        elif isinstance(current, yaml.SequenceNode):
            stack.extend((f"{where}[{k}]", child) for k, child in enumerate(current.value))
        elif isinstance(current, yaml.MappingNode):
            for key, value in current.value:
                name = str(key.value) if isinstance(key, yaml.ScalarNode) else "?"
                stack.append((f"{where}.{name}" if where else name, value))
    return None


def parse_yaml(
    text: str,
    *,
    file: str | os.PathLike[str] | None = None,
    max_nodes: int = MAX_NODES,
    max_depth: int = MAX_DEPTH,
) -> tuple[Any, dict[str, int]]:
    """Parse one YAML document safely and return ``(data, lines)``.

    ``lines`` maps dotted field paths (``"irt.a"``, ``"options.B"``, ``"enemies[0]"``) to 1-based
    line numbers. Raises :class:`InputError` (with the line) for malformed YAML, aliases, more
    than ``max_nodes`` nodes or nesting deeper than ``max_depth``. With libyaml available, the
    limits are checked on the event stream first (iteratively), then the C composer builds the
    (now bounded) node tree; without it, a guarded pure-Python composer does both at once.
    """
    try:
        return _compose_construct(text, max_nodes, max_depth)
    except _Rejected as exc:
        line = exc.mark.line + 1 if exc.mark is not None else None
        raise InputError(exc.message, file=file, line=line, field="yaml") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = exc.problem or exc.context or "malformed YAML"
        raise InputError(f"malformed YAML: {what}", file=file, line=line, field="yaml") from None
    except yaml.YAMLError as exc:
        message = " ".join(f"malformed YAML: {exc}".split())
        raise InputError(message, file=file, field="yaml") from None
    except (ValueError, TypeError, OverflowError) as exc:
        # e.g. a timestamp like 2024-13-45: the text passed the limits above, so compose it
        bad = first_invalid_timestamp(yaml.compose(text, Loader=yaml.SafeLoader))
        if bad is None:
            raise InputError(
                f"malformed YAML: {type(exc).__name__}: {exc}", file=file, field="yaml"
            ) from None
        where, node, error = bad
        raise InputError(
            f"'{node.value}' is not a valid date ({error})",
            file=file,
            line=node.start_mark.line + 1,
            field=where or "yaml",
        ) from None
    except RecursionError as exc:
        raise InputError(
            f"malformed YAML: {type(exc).__name__}: {exc}", file=file, field="yaml"
        ) from None


def read_yaml_file(
    path: str | os.PathLike[str],
    *,
    max_bytes: int = MAX_ITEM_BYTES,
    max_nodes: int = MAX_NODES,
    max_depth: int = MAX_DEPTH,
) -> tuple[Any, dict[str, int], str]:
    """Read and parse a YAML file with size, node and depth limits.

    Returns ``(data, lines, text)``. Raises :class:`InputError` naming the file.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InputError("file not found", file=path) from None
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror}", file=path) from None
    if size > max_bytes:
        raise InputError(
            f"file is {size} bytes, larger than the limit of {max_bytes} bytes", file=path
        )
    check_user_file(path, max_bytes=max_bytes)  # a device or FIFO is refused, not read
    try:
        with open(path, "rb") as handle:
            raw = handle.read(max_bytes + 1)
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror}", file=path) from None
    if len(raw) > max_bytes:  # the file grew between stat and read
        raise InputError(f"file is larger than the limit of {max_bytes} bytes", file=path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(f"not UTF-8 text (byte {exc.start})", file=path, line=line) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise InputError("file contains a NUL character", file=path, line=line)
    data, lines = parse_yaml(text, file=path, max_nodes=max_nodes, max_depth=max_depth)
    return data, lines, text


# ----------------------------------------------------------------------------------------------
# canonical writing


class _Dumper(yaml.SafeDumper):
    """Safe dumper with credkit's canonical styles."""

    def ignore_aliases(self, data: Any) -> bool:  # never write anchors/aliases
        return True


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    if "\n" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool | _dt.date)


def _represent_list(dumper: yaml.SafeDumper, data: list) -> yaml.Node:
    flow = all(_is_scalar(v) and not (isinstance(v, str) and "\n" in v) for v in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


def _represent_dict(dumper: yaml.SafeDumper, data: dict) -> yaml.Node:
    flow = bool(data) and all(
        v is None or (isinstance(v, int | float) and not isinstance(v, bool)) for v in data.values()
    )
    node = dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=flow)
    return node


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(list, _represent_list)
_Dumper.add_representer(tuple, _represent_list)
_Dumper.add_representer(dict, _represent_dict)


def _ordered(data: Mapping[str, Any], order: tuple[str, ...], tail: tuple[str, ...] = ()) -> dict:
    head = [k for k in order if k in data]
    last = [k for k in tail if k in data and k not in head]
    middle = [k for k in data if k not in head and k not in last]
    return {k: data[k] for k in (*head, *middle, *last)}


def canonical_item(data: Mapping[str, Any]) -> dict[str, Any]:
    """The item mapping with fields (and irt/stats/exposure sub-fields) in canonical order."""
    out = _ordered(data, FIELD_ORDER)
    for name, order in _NESTED_ORDER.items():
        value = out.get(name)
        if isinstance(value, Mapping):
            out[name] = _ordered(value, order, _NESTED_TAIL.get(name, ()))
    history = out.get("history")
    if isinstance(history, list):
        out["history"] = [
            _ordered(h, ("date", "event", "status", "from", "to", "calibration", "irt", "stats"))
            if isinstance(h, Mapping)
            else h
            for h in history
        ]
    return out


def dump_item(data: Mapping[str, Any]) -> str:
    """Render an item mapping as canonical YAML text."""
    return yaml.dump(
        canonical_item(data),
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=4096,
        default_flow_style=False,
        indent=2,
    )


def dump_yaml(data: Any) -> str:
    """Render any plain data with the same styles (used for spec-like outputs)."""
    return yaml.dump(
        data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=4096, indent=2
    )


# ----------------------------------------------------------------------------------------------
# editing a file in place: replace some top-level fields, keep every other line as written


def _top_level_spans(text: str) -> dict[str, tuple[int, int, yaml.Node]] | None:
    """Line spans ``[start, end)`` of each top-level field of a block mapping document."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    if not isinstance(node, yaml.MappingNode) or node.flow_style:
        return None
    spans: dict[str, tuple[int, int, yaml.Node]] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            return None
        end = value_node.end_mark.line + (1 if value_node.end_mark.column > 0 else 0)
        start = key_node.start_mark.line
        if key_node.start_mark.column != 0:
            return None
        spans[str(key_node.value)] = (start, max(end, start + 1), value_node)
    return spans


def replace_fields(
    text: str, updates: Mapping[str, Any], *, append: Mapping[str, list] = {}
) -> str:
    """Return ``text`` with some top-level fields replaced, everything else kept as written.

    ``updates`` maps field names to new values (rendered in canonical style; a field that is
    absent is inserted after the closest preceding field of :data:`FIELD_ORDER`). ``append``
    maps list fields to entries added at the end of the existing list (a block list keeps its
    lines; otherwise the field is rewritten). If the result does not load as the expected data
    (an unusual layout, e.g. a flow-style document), the canonical form of the whole item is
    returned instead.
    """
    original = yaml.safe_load(text)
    expected = dict(original) if isinstance(original, Mapping) else {}
    for name, entries in append.items():
        expected[name] = list(expected.get(name) or []) + list(entries)
    expected.update(updates)
    spans = _top_level_spans(text)
    if spans is None:
        return dump_item(expected)
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    edits: list[tuple[int, int, str]] = []  # (start, end, new text) on original line numbers
    inserts: dict[int, list[str]] = {}
    order = {name: i for i, name in enumerate(FIELD_ORDER)}
    todo = dict(updates)
    for name, entries in append.items():
        span = spans.get(name)
        if span is not None and isinstance(span[2], yaml.SequenceNode) and not span[2].flow_style:
            block = dump_item({name: list(entries)})
            body = block.split("\n", 1)[1]
            indent = " " * span[2].start_mark.column if span[2].value else ""
            body = "".join(indent + line for line in body.splitlines(keepends=True))
            edits.append((span[1], span[1], body))
        else:
            todo[name] = expected[name]
    for name, value in todo.items():
        block = dump_item({name: value})
        if name in spans:
            start, end, _ = spans[name]
            edits.append((start, end, block))
            continue
        rank = order.get(name, len(order))
        before = [n for n in spans if order.get(n, len(order)) <= rank]
        at = spans[before[-1]][1] if before else 0
        inserts.setdefault(at, []).append(block)
    for at, blocks in inserts.items():
        edits.append((at, at, "".join(blocks)))
    for start, end, new in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        lines[start:end] = [new]
    result = "".join(lines)
    try:
        if yaml.safe_load(result) != expected:
            return dump_item(expected)
    except yaml.YAMLError:
        return dump_item(expected)
    return result


def has_comments(text: str) -> bool:
    """True when the YAML text holds a comment (a ``#`` outside every scalar)."""
    try:
        tokens = list(yaml.scan(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError:
        return False
    covered = [(t.start_mark.index, t.end_mark.index) for t in tokens]
    covered.sort()
    pos = 0
    k = 0
    while True:
        hit = text.find("#", pos)
        if hit < 0:
            return False
        while k < len(covered) and covered[k][1] <= hit:
            k += 1
        inside = k < len(covered) and covered[k][0] <= hit < covered[k][1]
        if not inside and (hit == 0 or text[hit - 1] in " \t\n"):
            return True
        pos = hit + 1
