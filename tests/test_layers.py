"""The import contract: sgbench's parts import one way down, with no cycle.

Layers, top first; a part may import only parts of a LOWER layer (parts of one layer are
independent of each other). A part is a subpackage or top-level module of ``sgbench``; the root
``sgbench/__init__.py`` (names and versions) is the bottom. Every import counts: module level,
inside functions (lazy imports) and under ``TYPE_CHECKING``. The README's Development section
repeats this order.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import sgbench

LAYERS: tuple[tuple[str, ...], ...] = (
    ("__main__",),
    ("cli",),
    ("validate",),
    ("leaderboard", "publish"),
    ("baselines", "export", "judge", "paper", "stats"),
    ("runner",),
    ("prompts",),
    ("builder", "scoring"),
    ("splits",),
    ("dataset",),
    ("schema",),
    ("catalogue", "versioning"),
    ("locks",),
    ("files",),
    ("jsonl",),
    ("sidecars",),
    ("boundary",),
    ("errors",),
    ("sgbench",),
)
"""The layer order, top first (see the module docstring)."""

PACKAGE = Path(sgbench.__file__).parent
RANK = {part: rank for rank, parts in enumerate(LAYERS) for part in parts}


def module_name(path: Path) -> str:
    """``sgbench.scoring.data`` for sgbench/scoring/data.py; packages by their __init__."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def part_of(module: str) -> str:
    """The layer part of a module name: its first component under sgbench, or the root."""
    components = module.split(".")
    return components[1] if len(components) > 1 else "sgbench"


def imported_modules(path: Path) -> Iterator[str]:
    """Every sgbench module ``path`` imports (``from a import b`` counts b when it is a module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if alias.name.split(".")[0] == "sgbench")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                source = f"{base}.{node.module}" if node.module else base
            else:
                source = node.module or ""
            if source.split(".")[0] != "sgbench":
                continue
            yield source
            for alias in node.names:
                candidate = f"{source}.{alias.name}"
                if module_file(candidate) is not None:
                    yield candidate


def module_file(module: str) -> Path | None:
    """The file of an sgbench module, or None when ``module`` names no module."""
    relative = Path(*module.split(".")[1:])
    for path in (PACKAGE / relative / "__init__.py", (PACKAGE / relative).with_suffix(".py")):
        if path.is_file():
            return path
    return None


def import_graph() -> dict[str, set[str]]:
    """Module → the sgbench modules it imports (itself left out)."""
    graph: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = module_name(path)
        graph[name] = {m for m in imported_modules(path) if m != name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` (its nodes in order, first repeated last), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (cycle := visit(target)) is not None:
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)) is not None:
            return cycle
    return None


def test_every_part_has_a_layer() -> None:
    parts = {part_of(module) for module in import_graph()}
    assert parts == set(RANK), "add the new part to LAYERS (and the README)"


def test_imports_go_one_way_down() -> None:
    upward = sorted(
        f"{module} imports {target}"
        for module, targets in import_graph().items()
        for target in targets
        if part_of(target) != part_of(module) and RANK[part_of(target)] <= RANK[part_of(module)]
    )
    assert upward == []


def test_no_import_cycle_between_parts() -> None:
    parts: dict[str, set[str]] = {}
    for module, targets in import_graph().items():
        parts.setdefault(part_of(module), set()).update(
            part_of(target) for target in targets if part_of(target) != part_of(module)
        )
    assert find_cycle(parts) is None


def test_no_import_cycle_between_modules() -> None:
    """Within a part too (the stats report and its charts once imported each other)."""
    assert find_cycle(import_graph()) is None


def test_the_checker_finds_a_planted_cycle_and_an_upward_import() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert RANK[part_of("sgbench.cli.options")] < RANK[part_of("sgbench.dataset")]
