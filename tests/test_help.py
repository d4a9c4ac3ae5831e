"""Help is complete: every command has help text with an example; every option has help."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from llamaextract_cli import __version__
from llamaextract_cli.cli.app import get_root_command


def walk(command: Any, path: tuple[str, ...] = ("lx",)) -> Iterator[tuple[tuple[str, ...], Any]]:
    yield path, command
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from walk(sub, (*path, name))


COMMANDS = list(walk(get_root_command()))
LEAVES = [(p, c) for p, c in COMMANDS if not getattr(c, "commands", None)]


def test_the_tree_has_every_command_of_the_contract() -> None:
    names = {" ".join(p) for p, _ in COMMANDS}
    for expected in [
        "lx jobs list",
        "lx jobs get",
        "lx jobs result",
        "lx jobs wait",
        "lx jobs cancel",
        "lx jobs delete",
        "lx jobs stats",
        "lx jobs errors",
        "lx jobs watch",
        "lx jobs fields",
        "lx auth login",
        "lx auth logout",
        "lx auth status",
        "lx config list",
        "lx config get",
        "lx config set",
        "lx config unset",
        "lx config path",
        "lx sandbox serve",
        "lx completion bash",
        "lx completion zsh",
        "lx completion fish",
        "lx completion install",
    ]:
        assert expected in names


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_every_command_has_help(path: tuple[str, ...], command: Any) -> None:
    assert (command.help or "").strip(), f"{' '.join(path)} has no help text"


@pytest.mark.parametrize(("path", "command"), LEAVES, ids=[" ".join(p) for p, _ in LEAVES])
def test_every_command_shows_an_example(path: tuple[str, ...], command: Any) -> None:
    text = command.help or ""
    assert "Example" in text, f"{' '.join(path)} has no example in its help"
    assert " ".join(path[:2]) in text.split("Example", 1)[1], "the example should be a command"


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_every_option_has_help(path: tuple[str, ...], command: Any) -> None:
    for param in command.params:
        if param.param_type_name == "option" and param.name != "help":
            assert (param.help or "").strip(), f"{' '.join(path)} {param.opts} has no help"


def test_jobs_list_help_shows_terminal_jq_and_ci_forms() -> None:
    text = dict((" ".join(p), c) for p, c in COMMANDS)["lx jobs list"].help
    assert "--status FAILED" in text and "| jq" in text and "--fail-if-any" in text


def test_version_matches_the_package_metadata() -> None:
    assert __version__ == importlib.metadata.version("llamaextract-cli")
    out = subprocess.run(
        [sys.executable, "-m", "llamaextract_cli", "--version"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert out.stdout == f"lx {__version__}\n" and out.returncode == 0


def test_bare_group_shows_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    from llamaextract_cli.cli.main import run

    assert run(["jobs"]) == 2
    assert "Commands:" in capsys.readouterr().err


def test_the_generated_reference_is_up_to_date() -> None:
    proc = subprocess.run(
        [sys.executable, "scripts/gen_reference.py", "--check"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=__import__("pathlib").Path(__file__).resolve().parent.parent,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
