"""The fxcore package's import graph has no cycle, counting imports inside functions too."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "fxcore"


def module_files() -> dict[str, Path]:
    """Dotted module name → source file, for every module of the fxcore package."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = ("fxcore",) + path.relative_to(PACKAGE).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def ancestors(name: str) -> list[str]:
    """'a.b.c' → ['a', 'a.b']: the packages Python initialises before a module."""
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def imported_modules(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Every fxcore module that importing `name` runs: its imports at any depth, and their packages."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:
                # `from pkg import sub` runs pkg.sub when sub is a module, else only pkg
                sub = f"{source}.{alias.name}"
                targets.add(sub if sub in modules else source)
    resolved = set()
    for target in targets:
        while target and target not in modules:
            target = target.rpartition(".")[0]
        if not target:
            continue
        # importing a.b.c runs a and a.b first; the importer's own packages are already running
        own = set(ancestors(name)) | {name}
        resolved.update(m for m in ancestors(target) + [target] if m not in own)
    return resolved


def import_graph() -> dict[str, set[str]]:
    """Module → the fxcore modules its import runs."""
    modules = module_files()
    return {name: imported_modules(name, path, modules) for name, path in modules.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as [m0, m1, …, m0], or None (iterative depth-first search)."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    for start in sorted(graph):
        if state.get(start):
            continue
        path, stack = [start], [iter(sorted(graph[start]))]
        state[start] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            elif not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(sorted(graph.get(nxt, ()))))
    return None


def test_cycle_finder_sees_a_cycle_through_a_package_init():
    graph = {"p": {"p.a"}, "p.a": {"q.b", "q"}, "q": set(), "q.b": {"p.c", "p"}, "p.c": set()}
    assert find_cycle(graph) == ["p", "p.a", "q.b", "p"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle_in_fxcore():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


MAX_MODULE_LINES = 400


def test_no_module_is_a_catch_all():
    too_long = {name: n for name, path in module_files().items()
                if (n := len(path.read_text().splitlines())) > MAX_MODULE_LINES}
    assert not too_long, f"modules over {MAX_MODULE_LINES} lines: {too_long}"
