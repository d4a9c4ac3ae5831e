"""click's usage errors in plain words, and suggestions for an unknown option.

click says `Invalid value for '--limit' / '-L': 0 is not in the range x>=1.`, `No such
option: --json (Possible options: --since)` and `Got unexpected extra argument (x)`; lx
says `--limit: must be at least 1, not 0`, `unknown option --json (did you mean -o json?)`
and `unexpected argument 'x'`. A suggestion comes from a small table of the spellings
other tools use (`--json`, `--output`, `-n`) or from a close match above a real
similarity threshold, never from the nearest of unrelated names.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from typing import Any

# What other CLIs call an option, and what lx calls it: the first target the command has
# is proposed (a target `-o json` needs an `-o` whose choices include json).
ALIASES: dict[str, tuple[str, ...]] = {
    "--json": ("-o json",),
    "--jsonl": ("-o jsonl",),
    "--ndjson": ("-o jsonl",),
    "--yaml": ("-o yaml",),
    "--yml": ("-o yaml",),
    "--csv": ("-o csv",),
    "--tsv": ("-o tsv",),
    "--table": ("-o table",),
    "--wide": ("-o wide",),
    "--output": ("-o",),
    "--out": ("-o",),
    "--output-format": ("-o",),
    "--fmt": ("-o",),
    "--format": ("-o",),
    "--limit": ("-L", "--max", "--count"),
    "--max": ("-L", "--count"),
    "--max-items": ("-L", "--max"),
    "--max-results": ("-L", "--max"),
    "--num": ("-L", "--max"),
    "--first": ("-L",),
    "--head": ("-L",),
    "--top": ("-L",),
    "-n": ("-L", "--max"),
    "--per-page": ("--page-size",),
    "--page_size": ("--page-size",),
    "--chunk-size": ("--page-size",),
    "--page": ("--page-token",),
    "--cursor": ("--page-token",),
    "--next-token": ("--page-token",),
    "--starting-token": ("--page-token",),
    "--state": ("--status",),
    "--statuses": ("--status",),
    "--field": ("--fields",),
    "--columns": ("--fields",),
    "--select": ("--fields",),
    "--query": ("--jq",),
    "--filter": ("--jq",),
    "--after": ("--since",),
    "--from": ("--since",),
    "--before": ("--until",),
    "--to": ("--until",),
    "--ids": ("--id",),
    "--job-id": ("--id",),
    "--verbose": ("--debug",),
    "-v": ("--debug",),
    "--force": ("--yes",),
    "-y": ("--yes",),
    "--assume-yes": ("--yes",),
    "--url": ("--base-url",),
    "--endpoint": ("--base-url",),
    "--endpoint-url": ("--base-url",),
    "--api-url": ("--base-url",),
    "--env": ("--profile",),
    "--region": ("--eu",),
    "--no-colour": ("--no-color",),
    "--nocolor": ("--no-color",),
    "--configuration": ("--config",),
    "--config-id": ("--config",),
    "--project-id": ("--project",),
    "--organization": ("--org",),
    "--org-id": ("--org",),
    "--organization-id": ("--org",),
}
SIMILARITY = 0.75  # of the names without dashes: `--stauts`/`--status`, not `--json`/`--since`


def _options(command: Any) -> list[Any]:
    return [p for p in getattr(command, "params", ()) if p.param_type_name == "option"]


def _has(params: list[Any], target: str) -> bool:
    flag, _, value = target.partition(" ")
    for param in params:
        if flag in param.opts or flag in param.secondary_opts:
            choices = getattr(param.type, "choices", None)
            return not value or choices is None or value in choices
    return False


def _similarity(a: str, b: str) -> float:
    return SequenceMatcher(None, a.lstrip("-").lower(), b.lstrip("-").lower()).ratio()


def suggest_option(name: str, command: Any, root: Any = None) -> str | None:
    """What the user probably meant by the unknown option `name`, if anything."""
    params = _options(command) + (_options(root) if root is not None else [])
    name = name.split("=", 1)[0]
    for target in ALIASES.get(name.lower(), ()):
        if _has(params, target):
            return target
    if not name.startswith("--"):
        return None
    longs = {o for p in params for o in (*p.opts, *p.secondary_opts) if o.startswith("--")}
    scored = sorted(((_similarity(name, o), o) for o in longs), reverse=True)
    if scored and scored[0][0] >= SIMILARITY:
        return scored[0][1]
    return None


def close_match(value: str, known: list[str] | tuple[str, ...], cutoff: float = 0.6) -> str | None:
    """The known name closest to `value` (any case), when it is close."""
    scored = sorted(
        ((SequenceMatcher(None, value.lower(), k.lower()).ratio(), k) for k in known),
        reverse=True,
    )
    return scored[0][1] if scored and scored[0][0] >= cutoff else None


def _param_name(e: Any) -> str | None:
    hint = getattr(e, "param_hint", None)
    if hint is not None:
        first = hint[0] if isinstance(hint, (list, tuple)) else hint
        return str(first).strip("'\"")
    param = getattr(e, "param", None)
    if param is None:
        return None
    if param.param_type_name == "option":
        return max(param.opts, key=len)
    return param.human_readable_name


def usage_words(
    e: Any, root: Any = None, path: str = "lx", command: Any = None
) -> tuple[str, str | None]:
    """(message, hint) saying click's UsageError `e` in plain words; `path` and `command`
    are the command the arguments reached, for errors click raises without a context."""
    from typer._click import exceptions as exc

    ctx = getattr(e, "ctx", None)
    if ctx is not None:
        path, command = ctx.command_path, ctx.command
    see = f"see '{path} --help'"
    if isinstance(e, exc.NoSuchOption):
        guess = suggest_option(e.option_name, command, root)
        hint = f"did you mean {guess}? {see}" if guess else see
        return f"unknown option {e.option_name}", hint
    if isinstance(e, exc.MissingParameter):
        name = _param_name(e) or "a value"
        return f"'{path}' needs {name}", see
    if isinstance(e, exc.BadParameter):
        name = _param_name(e)
        message = e.message.rstrip(".")
        if name and not message.startswith(name):
            message = f"{name}: {message}"
        return message, see
    message = e.format_message() if isinstance(e, exc.BadOptionUsage) else e.message
    m = re.fullmatch(r"Option '(.+)' requires (an argument|\d+ arguments)\.", message)
    if m:
        return f"{m.group(1)} needs a value", see
    m = re.fullmatch(r"Option '(.+)' does not take a value\.", message)
    if m:
        return f"{m.group(1)} takes no value", see
    m = re.fullmatch(r"No such command '(.*)'\.(?: Did you mean .*)?", message, re.S)
    if m:
        return _unknown_command(m.group(1), command, path)
    m = re.fullmatch(r"Got unexpected extra argument(?:\(s\)|s)? \((.*)\)", message, re.S)
    if m:
        extra = m.group(1)
        return f"unexpected argument{'s' if ' ' in extra else ''}: {extra}", see
    return message.rstrip("."), see


def _unknown_command(name: str, group: Any, path: str) -> tuple[str, str | None]:
    commands = sorted(getattr(group, "commands", None) or {})
    guess = close_match(name, commands)
    if guess:
        return f"unknown command {name!r}", f"did you mean '{path} {guess}'?"
    listed = ", ".join(commands)
    return f"unknown command {name!r}", f"commands of '{path}': {listed}" if listed else None
