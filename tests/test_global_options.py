"""Global options after the command (`lx jobs list --profile sandbox`, `-p sandbox`,
`--profile=sandbox`), for every global option the root command declares, at any depth;
`--`, `-` and a subcommand's own option of the same name keep their meaning."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from lxtest import Runner

from llamaextract_cli.cli.app import get_root_command
from llamaextract_cli.cli.global_options import hoist

ROOT = get_root_command()


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["jobs", "list", "--profile", "sandbox"], ["--profile", "sandbox", "jobs", "list"]),
        (["jobs", "list", "-p", "eu", "-L", "5"], ["-p", "eu", "jobs", "list", "-L", "5"]),
        (["jobs", "list", "-peu"], ["-peu", "jobs", "list"]),
        (["jobs", "list", "--profile=eu"], ["--profile=eu", "jobs", "list"]),
        (["jobs", "--debug", "list"], ["--debug", "jobs", "list"]),  # at the group's level
        (["jobs", "list", "--no-color", "--debug"], ["--no-color", "--debug", "jobs", "list"]),
        # the root's own options stay first; one given twice: the later one still wins
        (["-p", "a", "jobs", "list", "-p", "b"], ["-p", "a", "-p", "b", "jobs", "list"]),
        # `--` ends the options; what follows is an argument
        (["jobs", "get", "--", "--profile", "x"], ["jobs", "get", "--", "--profile", "x"]),
        # `-` (stdin) is an argument, and the option after it is still global
        (
            ["jobs", "get", "-", "--profile", "sandbox"],
            ["--profile", "sandbox", "jobs", "get", "-"],
        ),
        # the value of a subcommand's option is never read as an option
        (["jobs", "list", "--since", "--profile"], ["jobs", "list", "--since", "--profile"]),
        (["jobs", "list", "-c", "-p", "-p", "x"], ["-p", "x", "jobs", "list", "-c", "-p"]),
        # a subcommand's own option of the same name wins
        (["jobs", "wait", "x", "--timeout", "10m"], ["jobs", "wait", "x", "--timeout", "10m"]),
        (
            ["auth", "login", "--base-url", "https://a.example"],
            ["auth", "login", "--base-url", "https://a.example"],
        ),
        (["jobs", "list", "--timeout", "5"], ["--timeout", "5", "jobs", "list"]),
        # nothing to move, an unknown command: as given
        (["--profile", "x", "jobs", "list"], ["--profile", "x", "jobs", "list"]),
        (["bogus", "--profile", "x"], ["bogus", "--profile", "x"]),
        (["jobs", "list", "--profile"], ["--profile", "jobs", "list"]),  # click names it
    ],
)
def test_hoist(argv: list[str], expected: list[str]) -> None:
    assert hoist(ROOT, argv) == expected


def _valid_value(param: Any) -> list[str]:
    """A value of a global option that a listing accepts, derived from its type."""
    if param.is_flag:
        return []
    long = max(param.opts, key=len)
    if long == "--profile":
        return ["sandbox"]
    if long == "--base-url":
        return ["sandbox://?jobs=40&seed=3&live=0"]
    choices = getattr(param.type, "choices", None)
    if choices:
        return [str(choices[0])]
    low = getattr(param.type, "min", None)
    return [str(low if low is not None and low > 1 else 30)]


GLOBALS = [
    p
    for p in ROOT.params
    if p.param_type_name == "option" and not p.hidden and "--version" not in p.opts
]


@pytest.mark.parametrize("param", GLOBALS, ids=lambda p: max(p.opts, key=len))
@pytest.mark.parametrize("spelling", ["long", "short", "equals"])
def test_every_global_option_works_after_the_command(lx: Runner, param: Any, spelling: str) -> None:
    value = _valid_value(param)
    if spelling == "short":
        shorts = [o for o in param.opts if not o.startswith("--")]
        if not shorts:
            pytest.skip("no short name")
        option = [shorts[0], *value]
    elif spelling == "equals":
        if not value:
            pytest.skip("a flag takes no value")
        option = [f"{max(param.opts, key=len)}={value[0]}"]
    else:
        option = [max(param.opts, key=len), *value]
    listing = ["jobs", "list", "-L", "3", "-f", "id,status", "-o", "jsonl"]
    env = {"LX_PROFILE": "sandbox"}
    before = lx(*option, *listing, env=env)
    after = lx(*listing, *option, env=env)
    assert before.code == 0, before.stderr

    def same(text: str) -> str:  # --debug logs each request's time
        return re.sub(r"\(\d+ ms", "(N ms", text)

    assert (after.code, after.stdout, same(after.stderr)) == (
        before.code,
        before.stdout,
        same(before.stderr),
    )
    assert len(after.stdout.splitlines()) == 3


def test_profile_after_the_command_picks_the_profile(lx: Runner) -> None:
    r = lx("jobs", "list", "-L", "1", "-o", "jsonl", "-f", "id", "--profile", "sandbox")
    assert r.code == 0 and json.loads(r.stdout)["id"].startswith("ext-")
    r = lx("jobs", "list", "-p", "nope")
    assert r.code == 2 and "profile 'nope' does not exist" in r.stderr


def test_global_options_after_a_command_at_every_depth(lx: Runner) -> None:
    for argv in (
        ["config", "get", "base_url", "-p", "sandbox"],
        ["jobs", "get", "-", "-p", "sandbox", "-o", "json"],
        ["auth", "status", "--profile", "sandbox", "--no-color"],
    ):
        ids = lx("-p", "sandbox", "jobs", "list", "-L", "1", "-o", "jsonl", "-f", "id").stdout
        r = lx(*argv, stdin=ids)
        assert r.code == 0, (argv, r.stderr)
    r = lx("config", "get", "base_url", "-p", "sandbox")
    assert r.stdout.strip() == "sandbox:"


def test_no_subcommand_clashes_with_a_short_global_option() -> None:
    """A short global name (-p) used by a subcommand would silently win there: none does."""
    shorts = {o for p in ROOT.params for o in p.opts if not o.startswith("--")}

    def walk(command: Any) -> list[str]:
        own = [o for p in command.params for o in p.opts if o in shorts]
        for sub in (getattr(command, "commands", None) or {}).values():
            own += walk(sub)
        return own

    assert walk(ROOT) == [o for p in ROOT.params for o in p.opts if o in shorts]


def test_help_says_global_options_go_anywhere(
    lx: Runner, capsys: pytest.CaptureFixture[str]
) -> None:
    assert lx("--help").code == 0
    assert "before or after the command" in " ".join(capsys.readouterr().out.split())
