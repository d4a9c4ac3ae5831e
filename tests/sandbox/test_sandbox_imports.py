"""The emulator shares no code with the client it checks, and loads nothing heavy."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import llamaextract_cli.sandbox as sandbox_pkg

PKG_DIR = Path(sandbox_pkg.__file__).parent
PKG = "llamaextract_cli.sandbox"
# third-party modules allowed, and where
ALLOWED_THIRD_PARTY = {"httpx": {"transport.py"}, "orjson": {"app.py"}}


def _imports(path: Path) -> list[tuple[str, int]]:
    """Absolute module names imported by a file (relative imports resolved)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    out: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = PKG.split(".")
                base = base[: len(base) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            out.append((name, node.lineno))
    return out


def test_the_package_has_modules() -> None:
    names = {p.name for p in PKG_DIR.glob("*.py")}
    assert {"app.py", "data.py", "faults.py", "clock.py", "server.py", "transport.py"} <= names


def test_sandbox_imports_only_itself_the_stdlib_and_httpx_in_the_transport() -> None:
    stdlib = sys.stdlib_module_names
    bad: list[str] = []
    for path in sorted(PKG_DIR.glob("*.py")):
        for name, line in _imports(path):
            top = name.split(".")[0]
            where = f"{path.name}:{line} imports {name}"
            if name == PKG or name.startswith(PKG + "."):
                continue
            if top == "llamaextract_cli":
                bad.append(where + " (client code: the emulator must not share it)")
            elif top in stdlib or top == "__future__":
                continue
            elif path.name not in ALLOWED_THIRD_PARTY.get(top, set()):
                bad.append(where)
    assert not bad, "\n".join(bad)


def test_no_subpackages_hide_imports() -> None:
    assert not [p for p in PKG_DIR.rglob("*.py") if p.parent != PKG_DIR]


def _loaded_after(code: str) -> set[str]:
    probe = code + "\nimport sys\nprint('\\n'.join(sorted(sys.modules)))\n"
    proc = subprocess.run(
        [sys.executable, "-I", "-c", probe], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    return set(proc.stdout.split())


def test_the_app_loads_no_client_code_and_nothing_heavy() -> None:
    mods = _loaded_after("import llamaextract_cli.sandbox.app, llamaextract_cli.sandbox.server")
    ours = {m for m in mods if m.startswith("llamaextract_cli") and not m.startswith(PKG)}
    assert ours <= {"llamaextract_cli"}
    heavy = {m.split(".")[0] for m in mods} & {"httpx", "pydantic", "rich", "typer", "llama_cloud"}
    assert not heavy


def test_the_command_module_imports_the_emulator_lazily() -> None:
    mods = _loaded_after("import llamaextract_cli.cli.commands.sandbox")
    assert not [m for m in mods if m.startswith(PKG + ".")]
    assert "httpx" not in mods
