"""The package's layering: data flows one way and no module imports itself back.

The import graph is read from the source (``ast``), counting imports inside functions too, so a
cycle hidden behind a lazy import is found as well.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "psychometrics"

# a package may not import any package to its right in the lifecycle
LAYERS = {
    "psychometrics.bank": ("psychometrics.program", "psychometrics.cli", "psychometrics.report"),
    "psychometrics.irt": ("psychometrics.program", "psychometrics.cli", "psychometrics.bank"),
    "psychometrics.assembly": ("psychometrics.program", "psychometrics.cli", "psychometrics.bank"),
    "psychometrics.standard_setting": ("psychometrics.program", "psychometrics.cli"),
    "psychometrics.report": ("psychometrics.program", "psychometrics.cli"),
    "psychometrics.program": ("psychometrics.cli",),
}
# the numeric and file-helper modules at the top level know nothing of programs, reports or CLIs
for _module in (
    "responses",
    "ctt",
    "dif",
    "fairness",
    "linking",
    "equating",
    "classification",
    "fileio",
):
    LAYERS[f"psychometrics.{_module}"] = (
        "psychometrics.program",
        "psychometrics.cli",
        "psychometrics.report",
    )


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = name.split(".")
                    anchor = anchor if is_package else anchor[:-1]
                    anchor = anchor[: len(anchor) - (node.level - 1)]
                    base = ".".join(anchor + ([base] if base else []))
                targets = [base] + [f"{base}.{a.name}" for a in node.names]
            for target in targets:
                if target in modules and target != name:
                    graph[name].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def _strip_package_inits(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """Drop edges from a submodule to its own package's __init__ (re-export, not a dependency)."""
    return {m: {t for t in targets if not m.startswith(t + ".")} for m, targets in graph.items()}


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles():
    assert _cycles(_strip_package_inits(_graph())) == []


def test_layers_import_one_way():
    graph = _graph()
    wrong = [
        f"{m} imports {t}"
        for m, targets in graph.items()
        for layer, forbidden in LAYERS.items()
        if m == layer or m.startswith(layer + ".")
        for t in targets
        if any(t == f or t.startswith(f + ".") for f in forbidden)
    ]
    assert wrong == []
