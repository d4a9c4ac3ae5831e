"""Write docs/reference.md: the `--help` of every lx command, generated from the code.

python scripts/gen_reference.py           # rewrite docs/reference.md
python scripts/gen_reference.py --check   # exit 1 when it is out of date
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "docs" / "reference.md"
WIDTH = 90


def walk(command: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
    yield path, command
    for name in getattr(command, "list_commands", lambda ctx: [])(None):
        yield from walk(command.commands[name], (*path, name))


def render() -> str:
    from typer._click import Context

    from llamaextract_cli.cli.app import get_root_command

    root = get_root_command()
    parts = [
        "# `lx` command reference\n\n",
        "Generated from the code by `python scripts/gen_reference.py`; a test keeps it in "
        "sync. The same text is what `--help` prints.\n",
    ]
    for path, command in walk(root, ("lx",)):
        parent = None
        for depth in range(1, len(path) + 1):
            cmd = root
            for name in path[1:depth]:
                cmd = cmd.commands[name]
            settings = {**(cmd.context_settings or {}), "terminal_width": WIDTH}
            settings["max_content_width"] = WIDTH
            parent = Context(cmd, info_name=path[depth - 1], parent=parent, **settings)
        assert parent is not None
        text = command.get_help(parent).rstrip()
        parts.append(f"\n## `{' '.join(path)}`\n\n```text\n{text}\n```\n")
    return "".join(parts)


def main() -> int:
    text = render()
    if "--check" in sys.argv[1:]:
        current = TARGET.read_text() if TARGET.exists() else ""
        if current != text:
            print(f"{TARGET.relative_to(ROOT)} is out of date: run python scripts/gen_reference.py")
            return 1
        return 0
    TARGET.write_text(text)
    print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
