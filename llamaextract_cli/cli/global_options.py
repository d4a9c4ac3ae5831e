"""Global options where people type them: `lx jobs list --profile sandbox` as `lx --profile
sandbox jobs list` (kubectl and the AWS CLI allow both).

click only reads an option at the level that declares it. Before parsing, `hoist` moves
every option of the root command found after a subcommand to just after the root's own
options, with its value. The list of global options is the root command's (nothing is
hard-coded), so an option added there works after any command the day it lands.

A subcommand's own option wins over a global one of the same name (`jobs wait --timeout`
is a duration, `auth login --base-url` the URL to store); `--` ends the options, and a
lone `-` (stdin) is an argument.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def _find(command: Any, token: str) -> tuple[bool, bool] | None:
    """(takes a value, the value is attached) when `token` is an option of `command`."""
    if token.startswith("--"):
        name, eq, _ = token.partition("=")
        attached = bool(eq)
    else:
        name, attached = token[:2], len(token) > 2
    for param in command.params:
        if param.param_type_name != "option":
            continue
        if name in param.opts or name in param.secondary_opts:
            takes = not (param.is_flag or param.count) and name not in param.secondary_opts
            return takes, attached
    return None


def _subcommand(command: Any, name: str) -> Any:
    return (getattr(command, "commands", None) or {}).get(name)


def hoist(root: Any, argv: Sequence[str]) -> list[str]:
    """`argv` with the root's options that follow a command moved in front of it."""
    args = list(argv)
    kept: list[str] = []
    moved: list[str] = []
    insert_at: int | None = None
    command = root
    i = 0
    while i < len(args):
        token = args[i]
        if token == "--":
            kept += args[i:]
            break
        if not token.startswith("-") or token == "-":
            sub = _subcommand(command, token) if getattr(command, "commands", None) else None
            if sub is not None:
                if insert_at is None:
                    insert_at = len(kept)
                command = sub
            kept.append(token)
            i += 1
            continue
        own = _find(command, token)
        glob = _find(root, token) if own is None and command is not root else None
        found = own or glob
        target = moved if glob is not None else kept
        target.append(token)
        i += 1
        if found is not None and found[0] and not found[1] and i < len(args):
            target.append(args[i])  # the option's value, whatever it looks like
            i += 1
    if not moved or insert_at is None:
        return kept
    return kept[:insert_at] + moved + kept[insert_at:]


def reached(root: Any, argv: Sequence[str]) -> tuple[str, Any]:
    """The command path (`lx jobs list`) and command that `argv` names, as far as it does."""
    path, command = ["lx"], root
    for token in argv:
        if token == "--":
            break
        sub = _subcommand(command, token) if not token.startswith("-") else None
        if sub is not None:
            path.append(token)
            command = sub
    return " ".join(path), command
