"""Plain words: click's usage errors said as a person would, suggestions that are never
unrelated, `--status a,b`, "did you mean" for profiles, --expand and commands, sandbox URL
options checked, a malformed settings file that does not block the sandbox, plurals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lxtest import Runner

from llamaextract_cli.cli.app import get_root_command
from llamaextract_cli.cli.words import suggest_option
from llamaextract_cli.output.text import plural

ROOT = get_root_command()
LIST = ROOT.commands["jobs"].commands["list"]


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("--json", "-o json"),
        ("--csv", "-o csv"),
        ("--output", "-o"),
        ("--limit", "-L"),
        ("-n", "-L"),
        ("--stauts", "--status"),
        ("--sinse", "--since"),
        ("--field", "--fields"),
        ("--verbose", "--debug"),  # a global option: it works after the command too
        ("--proflie", "--profile"),
        ("--state", "--status"),
        ("--bogus", None),
        ("--jsno", None),  # not close enough to anything: no guess rather than a wrong one
        ("--xml", None),
        ("-x", None),
    ],
)
def test_suggestions_for_jobs_list(typed: str, meant: str | None) -> None:
    assert suggest_option(typed, LIST, ROOT) == meant


def test_a_suggestion_needs_its_target() -> None:
    """`--json` on a command without `-o json` proposes nothing rather than a bad flag."""
    serve = ROOT.commands["sandbox"].commands["serve"]
    assert suggest_option("--json", serve, ROOT) is None
    watch = ROOT.commands["jobs"].commands["watch"]
    assert suggest_option("--max", watch, ROOT) == "-L"


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (
            ["jobs", "list", "--json"],
            "lx: unknown option --json (did you mean -o json? see 'lx jobs list --help')",
        ),
        (["jobs", "list", "--limit", "0"], "lx: --limit: must be at least 1, not 0"),
        (["jobs", "list", "-L", "abc"], "lx: --limit: 'abc' is not a whole number"),
        (["jobs", "list", "--page-size", "500"], "lx: --page-size: must be from 1 to 100, not 500"),
        (["--timeout", "abc", "jobs", "list"], "lx: --timeout: 'abc' is not a number"),
        (["jobs", "list", "--limit"], "lx: --limit needs a value"),
        (["jobs", "list", "--all=yes"], "lx: --all takes no value"),
        (["jobs", "list", "extra"], "lx: unexpected argument: extra"),
        (["jobs", "get"], "lx: 'lx jobs get' needs JOB_ID..."),
        (["jobs", "lsit"], "lx: unknown command 'lsit' (did you mean 'lx jobs list'?)"),
        (["jobs", "list", "-s", "falied"], "(did you mean FAILED?)"),
        (["jobs", "get", "x", "--expand", "usag"], "(did you mean usage?)"),
        (["jobs", "list", "--expand", "config"], "(did you mean configuration?)"),
        (["-p", "sandbx", "jobs", "list"], "did you mean 'sandbox'?"),
        (
            ["--base-url", "sandbox://?jbos=5", "jobs", "list"],
            "unknown option 'jbos' (did you mean jobs? "
            "options: jobs, seed, shape, live, now, span)",
        ),
        (["--base-url", "sandbox://?jobs=abc", "jobs", "list"], "jobs='abc' is not a whole number"),
        (["--base-url", "sandbox://?now=soon", "jobs", "list"], "now='soon' is not an ISO"),
        (["--base-url", "sandbox://?shape=x", "jobs", "list"], "shape='x' is not current or seed"),
        (["--base-url", "sandbox://?live=99999", "jobs", "list"], "live must be from 0 to 1000"),
    ],
)
def test_words(lx: Runner, argv: list[str], line: str) -> None:
    r = lx(*argv)
    assert r.code == 2
    assert len(r.stderr.splitlines()) == 1 and line in r.stderr, r.stderr


def test_page_size_bound_is_in_help(lx: Runner, capsys: pytest.CaptureFixture[str]) -> None:
    lx("jobs", "list", "--help")
    text = " ".join(capsys.readouterr().out.split())
    assert "1 to 100" in text and "x>=" not in text and "<=x" not in text


def test_statuses_comma_separated_like_ids(lx: Runner) -> None:
    args = ["-p", "sandbox", "jobs", "list", "--all", "-o", "jsonl", "-f", "id,status"]
    comma = lx(*args, "--status", "failed,Cancelled")
    repeated = lx(*args, "-s", "FAILED", "-s", "CANCELLED")
    assert comma.code == 0 and comma.stdout == repeated.stdout
    statuses = {json.loads(line)["status"] for line in comma.stdout.splitlines()}
    assert statuses == {"FAILED", "CANCELLED"}


@pytest.mark.parametrize(
    "data",
    [b"[profiles.work\nx = 1\n", b'[profiles.sandbox]\npage_size = "many"\n', b"\x00\x00"],
    ids=["toml syntax", "bad sandbox value", "nul bytes"],
)
def test_a_malformed_settings_file_does_not_block_the_sandbox(
    lx: Runner, isolated_settings: Path, data: bytes
) -> None:
    isolated_settings.parent.mkdir(parents=True, exist_ok=True)
    isolated_settings.write_bytes(data)
    isolated_settings.chmod(0o600)
    for how in (["--profile", "sandbox"], ["jobs", "list", "-p", "sandbox"]):
        argv = [*how, "jobs", "list"] if how[0] != "jobs" else how
        r = lx(*argv, "-L", "2", "-o", "jsonl", "-f", "id")
        assert r.code == 0 and len(r.stdout.splitlines()) == 2
        (warning,) = r.stderr.splitlines()
        assert warning.startswith("lx: warning: ") and str(isolated_settings) in warning
        assert "sandbox profile goes on without it" in warning
    r = lx("-p", "sandbox", "jobs", "list", env={"LX_PROFILE": ""})
    assert r.code == 0
    # another profile still refuses an unreadable file, and the file is never rewritten
    r = lx("jobs", "list")
    if b"[profiles.sandbox]" not in data:
        assert r.code == 2 and str(isolated_settings) in r.stderr
    assert isolated_settings.read_bytes() == data


def test_plural() -> None:
    assert [plural(n, "job") for n in (0, 1, 2, 1204)] == [
        "0 jobs",
        "1 job",
        "2 jobs",
        "1,204 jobs",
    ]
    assert plural(1, "failed job") == "1 failed job"


def test_one_failed_job_in_one_group(lx: Runner) -> None:
    listed = lx("-p", "sandbox", "jobs", "list", "-s", "failed", "-L", "1", "-o", "jsonl")
    job = json.loads(listed.stdout)["id"]
    r = lx("-p", "sandbox", "jobs", "errors", "--id", job, tty=True)
    assert r.code == 0 and "1 failed job in 1 group." in r.stderr, r.stderr
