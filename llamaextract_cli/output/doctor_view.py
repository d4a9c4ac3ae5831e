"""What `lx doctor` prints: one line per check (ok / warn / fail), or JSON.

The text is for a person and for a support ticket alike, so it is the same on a
terminal and in a pipe; colour only on a terminal. A hint goes on its own line,
unwrapped, so it can be pasted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO, Any

from llamaextract_cli.output.encode import dumps
from llamaextract_cli.output.text import emit

MARKS = {"ok": "ok  ", "warn": "warn", "fail": "FAIL"}
COLOURS = {"ok": "\x1b[32m", "warn": "\x1b[33m", "fail": "\x1b[31;1m"}
RESET = "\x1b[0m"


def write_text(
    stream: IO[str], records: Sequence[dict[str, Any]], *, color: bool, wrap: bool
) -> None:
    """`wrap` (on a terminal): long messages continue under themselves, between words."""
    import textwrap

    from llamaextract_cli.output.table import terminal_width

    columns = terminal_width(stream) if wrap else None
    width = max(len(r["check"]) for r in records)
    indent = " " * (4 + 2 + width + 2)
    for r in records:
        mark = MARKS.get(r["status"], r["status"])
        if color:
            mark = f"{COLOURS.get(r['status'], '')}{mark}{RESET}"
        message = r["message"]
        if columns and len(indent) + len(message) > columns and columns > len(indent) + 20:
            lines = textwrap.wrap(
                message, columns - len(indent), break_long_words=False, break_on_hyphens=False
            )
            message = ("\n" + indent).join(lines)
        emit(stream, f"{mark}  {r['check']:<{width}}  {message}")
        if r.get("hint"):
            emit(stream, f"{'':4}  {'':<{width}}  -> {r['hint']}")
    counts = {s: sum(r["status"] == s for r in records) for s in ("ok", "warn", "fail")}
    warnings = "warning" if counts["warn"] == 1 else "warnings"
    emit(stream, f"\n{counts['ok']} ok, {counts['warn']} {warnings}, {counts['fail']} failed")


def write_json(
    stream: IO[str], records: Sequence[dict[str, Any]], *, lines: bool, yaml: bool = False
) -> None:
    """jsonl: one check a line; json (or `yaml`, the same value): {"ok", "checks"}."""
    if lines:
        for r in records:
            emit(stream, dumps(r))
        return
    import json

    ok = not any(r["status"] == "fail" for r in records)
    if yaml:
        from llamaextract_cli.output.yamlout import write_yaml

        write_yaml(stream, {"ok": ok, "checks": list(records)})
        return
    emit(stream, json.dumps({"ok": ok, "checks": list(records)}, indent=2, ensure_ascii=False))
