"""The package's rooms and who may import whom, read from the import statements (ast).

The rules are the README's "Layout" section. Every import counts, lazy ones inside
functions and ``if TYPE_CHECKING:`` ones included: a rule that holds only at run time
would still let a reader's picture of the layout drift.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "llamaextract_cli"
NAME = "llamaextract_cli"

# The package root: the entry points and the shared vocabularies, nothing else.
ROOT_MODULES = {"__init__", "__main__", "errors", "choices", "timeparse"}
ROOT = "(root)"
ROOMS = {"cli", "jobs", "api", "output", "settings", "completion", "sandbox"}

# room -> the rooms it may import (itself always). `cli` is the face: it may use all.
ALLOWED: dict[str, set[str]] = {
    "api": {ROOT},
    "jobs": {ROOT, "api"},
    "settings": {ROOT},
    "output": {ROOT, "jobs", "settings"},
    "completion": {ROOT, "jobs", "settings"},
    "sandbox": set(),
    "cli": {ROOT, *ROOMS},
}
# Root modules may import only these (module names, not rooms).
ROOT_ALLOWED: dict[str, set[str]] = {
    "__init__": set(),
    "errors": set(),
    "choices": set(),
    "timeparse": {"errors"},
    "__main__": {"cli.main"},
}


def module_name(path: Path) -> str:
    rel = path.relative_to(PKG).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


def is_module(dotted: str) -> bool:
    p = PKG.joinpath(*dotted.split("."))
    return p.with_suffix(".py").is_file() or (p / "__init__.py").is_file()


def imports_of(path: Path) -> set[str]:
    """The package modules `path` imports (without the `llamaextract_cli.` prefix)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    own = module_name(path).split(".")
    package = own if path.name == "__init__.py" else own[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == NAME or alias.name.startswith(NAME + "."):
                    found.add(alias.name[len(NAME) + 1 :] or "__init__")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join([*base, *(node.module or "").split(".")]).strip(".")
            elif node.module == NAME or (node.module or "").startswith(NAME + "."):
                target = node.module[len(NAME) + 1 :]
            else:
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}" if target else alias.name
                if is_module(sub):
                    found.add(sub)
                elif target:
                    found.add(target)
                else:
                    found.add("__init__")  # from llamaextract_cli import __version__
    return found


def room_of(module: str) -> str:
    head = module.split(".")[0]
    return head if head in ROOMS else ROOT


def all_modules() -> dict[str, set[str]]:
    return {module_name(p): imports_of(p) for p in sorted(PKG.rglob("*.py"))}


def violations(graph: dict[str, set[str]]) -> list[str]:
    bad = []
    for module, targets in graph.items():
        room = room_of(module)
        for target in sorted(targets):
            there = room_of(target)
            if room == ROOT:
                if target not in ROOT_ALLOWED.get(module, set()):
                    bad.append(f"{module} -> {target}")
            elif there != room and there not in ALLOWED[room]:
                bad.append(f"{module} ({room}) -> {target} ({there})")
    return bad


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every import circle between files (Tarjan's strongly connected components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in graph:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1 or v in graph.get(v, ()):
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_root_holds_only_entry_points_and_shared_vocabularies() -> None:
    loose = {p.stem for p in PKG.glob("*.py")}
    assert loose == ROOT_MODULES
    assert len(loose) <= 5
    packages = {p.name for p in PKG.iterdir() if (p / "__init__.py").is_file()}
    assert packages == ROOMS


def test_every_import_follows_the_direction_of_the_rooms() -> None:
    assert violations(all_modules()) == []


def test_no_import_circles_between_files() -> None:
    assert cycles(all_modules()) == []


@pytest.mark.parametrize(
    ("module", "target", "rule"),
    [
        ("api.client", "cli.context", "api imports nothing of the face"),
        ("api.client", "sandbox.app", "the face plugs the emulator in, not the client"),
        ("jobs.wait", "output.wait_view", "a wait takes its display as an argument"),
        ("output.table", "api.client", "renderers know nothing of HTTP"),
        ("settings.profiles", "cli.env", "settings know nothing of the face"),
        ("sandbox.app", "errors", "the emulator shares no code with the client"),
        ("completion.generate", "cli.app", "the generator is handed the command tree"),
        ("errors", "jobs.fields", "the vocabularies import nothing"),
    ],
)
def test_a_broken_rule_is_caught(module: str, target: str, rule: str) -> None:
    graph = all_modules()
    graph[module] = {*graph[module], target}
    assert violations(graph), rule


def test_a_circle_is_caught() -> None:
    graph = all_modules()
    graph["jobs.fields"] = {*graph["jobs.fields"], "jobs.lookup"}
    graph["jobs.lookup"] = {*graph["jobs.lookup"], "jobs.fields"}
    assert ["jobs.fields", "jobs.lookup"] in cycles(graph)


def test_relative_and_lazy_imports_are_read(tmp_path: Path) -> None:
    source = (
        "from __future__ import annotations\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from llamaextract_cli.cli.context import State\n"
        "def f():\n    from llamaextract_cli.output import table\n"
        "from . import lookup\n"
    )
    fake = PKG / "jobs" / "_layout_probe.py"
    fake.write_text(source, encoding="utf-8")
    try:
        assert imports_of(fake) == {"cli.context", "output.table", "jobs.lookup"}
    finally:
        fake.unlink()
