#!/usr/bin/env python3
"""Regenerate completions/lx.bash, lx.zsh and lx.fish from the command tree.

Run it after any change to commands or options (tests/test_completion.py fails
until the files match what the code generates):

    python scripts/gen_completions.py           # rewrite the files that changed
    python scripts/gen_completions.py --check   # exit 1 if any is stale
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from llamaextract_cli.cli.app import get_root_command  # noqa: E402
from llamaextract_cli.completion import generate as completion_gen  # noqa: E402

EXTENSIONS = {"bash": "lx.bash", "zsh": "lx.zsh", "fish": "lx.fish"}


def main(argv: list[str]) -> int:
    check = "--check" in argv
    tree = completion_gen.build_tree(get_root_command())
    stale = []
    for shell, name in EXTENSIONS.items():
        path = ROOT / "completions" / name
        text = completion_gen.script(shell, tree)
        try:
            current = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            current = None
        if current == text:
            print(f"{path.relative_to(ROOT)}: up to date")
            continue
        stale.append(path)
        if check:
            print(f"{path.relative_to(ROOT)}: stale (run python scripts/gen_completions.py)")
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
        print(f"{path.relative_to(ROOT)}: written")
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
