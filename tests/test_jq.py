"""`--jq EXPR`: `lx X --jq E` prints what `lx X -o jsonl | jq -rc E` prints, and
`lx X -o json --jq E` what `lx X -o json | jq -rc E` prints.

Compared byte for byte with the jq binary where one is installed (the figures of
jq 1.6; see output/jqfilter.py for the number rule), and with expected strings
everywhere (what a filter of a few fields must print is computed here from the
command's own JSON, and the number and string layouts are written out).
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import pytest
from lxtest import runner_on, wire

from llamaextract_cli.cli.commands.jobs import triage as triage_cmd
from llamaextract_cli.cli.commands.jobs import watching
from llamaextract_cli.output.jqfilter import dump, number_text, raw
from llamaextract_cli.sandbox.app import SandboxApp
from llamaextract_cli.sandbox.clock import FakeClock

JQ = shutil.which("jq")
needs_jq = pytest.mark.skipif(JQ is None, reason="no jq binary to compare with")
URL = "sandbox://?jobs=300&seed=7"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def app() -> SandboxApp:
    return SandboxApp(jobs=300, seed=7, now=NOW, clock=FakeClock(NOW.timestamp()))


@pytest.fixture
def run(lx: Callable[..., Any], app: SandboxApp, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(triage_cmd, "utcnow", lambda: NOW)  # the stats/errors window
    monkeypatch.setattr(watching, "sleep", lambda s: None)
    monkeypatch.setattr(watching, "clock", lambda: NOW.timestamp())
    return runner_on(lx, app, URL)


def jq_binary(expression: str, text: str) -> tuple[int, str]:
    assert JQ is not None
    done = subprocess.run(
        [JQ, "-rc", expression], input=text.encode(), capture_output=True, timeout=60
    )
    return done.returncode, done.stdout.decode()


@pytest.fixture(scope="module")
def ids(app: SandboxApp) -> dict[str, str]:
    """A job of each kind the commands treat differently."""
    out: dict[str, str] = {}
    auth = {"authorization": "Bearer llx-test"}
    page = app.handle("GET", "/api/v2/extract", [("page_size", "100")], auth).json()
    for job in page["items"]:
        result = job.get("extract_result")
        if job["status"] == "COMPLETED" and isinstance(result, dict):
            out.setdefault("per_doc", job["id"])
        if job["status"] == "COMPLETED" and isinstance(result, list) and result:
            out.setdefault("per_page", job["id"])
        out.setdefault(job["status"], job["id"])
    return out


# Every command that writes JSON, with a filter that reaches into what it writes.
PIPELINES: list[tuple[str, list[str], str]] = [
    ("list", ["jobs", "list", "--all"], '"\\(.id) \\(.status) \\(.usage.credits // 0)"'),
    ("list-nested", ["jobs", "list", "-L", "40", "--expand", "configuration"], "."),
    ("list-fields", ["jobs", "list", "-f", "id,usage.credits,extract_result"], ".[]?"),
    ("get", ["jobs", "get", "{per_doc}"], "{id, total: .extract_result.total}"),
    ("get-several", ["jobs", "get", "{per_doc}", "{per_page}", "{FAILED}"], ".error_message"),
    ("result-doc", ["jobs", "result", "{per_doc}"], "to_entries[] | [.key, .value]"),
    ("result-rows", ["jobs", "result", "{per_page}"], "."),
    ("stats", ["jobs", "stats", "--since", "2026-11-01"], "."),
    ("errors", ["jobs", "errors", "--since", "2026-11-01"], "[.count, .pattern]"),
    ("watch", ["jobs", "watch", "--count", "1", "-L", "5"], ".status"),
    ("wait", ["jobs", "wait", "{COMPLETED}"], ".usage"),
    ("config-list", ["config", "list"], 'select(.source != "none") | .key'),
    ("auth-status", ["auth", "status", "--no-check"], "."),
    ("cancel-dry-run", ["jobs", "cancel", "{COMPLETED}", "--dry-run", "--yes"], "."),
]
DOCUMENTS: list[tuple[str, list[str], str]] = [
    ("list", ["jobs", "list", "--all"], "group_by(.status) | map([.[0].status, length])"),
    ("get", ["jobs", "get", "{per_doc}"], ".extract_result | keys_unsorted"),
    ("get-several", ["jobs", "get", "{per_doc}", "{FAILED}"], ".[].status"),
    ("result-rows", ["jobs", "result", "{per_page}"], "map(to_entries | length)"),
    ("stats", ["jobs", "stats", "--since", "2026-11-01"], ".by_day[] | [.date, .total]"),
    ("errors", ["jobs", "errors", "--since", "2026-11-01"], ".[0]"),
    ("config-list", ["config", "list"], "map({(.key): .value}) | add"),
    ("auth-status", ["auth", "status", "--no-check"], "[.profile, .base_url]"),
    ("wait", ["jobs", "wait", "{COMPLETED}", "{FAILED}"], "map(.id)"),
]


def expand(args: list[str], ids: dict[str, str]) -> list[str]:
    return [a.format(**ids) for a in args]


@needs_jq
@pytest.mark.parametrize(("name", "args", "expression"), PIPELINES, ids=[p[0] for p in PIPELINES])
def test_records_match_the_jq_binary(
    run: Any, ids: dict[str, str], name: str, args: list[str], expression: str
) -> None:
    argv = expand(args, ids)
    piped = run(*argv, "-o", "jsonl")
    assert piped.code in (0, 1), piped.stderr  # wait on a FAILED job exits 1
    code, expected = jq_binary(expression, piped.stdout)
    assert code == 0
    built_in = run(*argv, "--jq", expression)
    assert (built_in.code, built_in.stdout) == (piped.code, expected)
    assert expected.strip()  # every pipeline prints something


@needs_jq
@pytest.mark.parametrize(("name", "args", "expression"), DOCUMENTS, ids=[p[0] for p in DOCUMENTS])
def test_a_document_matches_the_jq_binary(
    run: Any, ids: dict[str, str], name: str, args: list[str], expression: str
) -> None:
    argv = expand(args, ids)
    piped = run(*argv, "-o", "json")
    assert piped.code in (0, 1), piped.stderr
    code, expected = jq_binary(expression, piped.stdout)
    assert code == 0
    built_in = run(*argv, "-o", "json", "--jq", expression)
    assert (built_in.code, built_in.stdout) == (piped.code, expected)
    assert expected.strip()


def test_fields_come_out_as_jq_prints_them(run: Any) -> None:
    """Expected strings from the command's own JSON: a string raw, the rest compact."""
    jobs = [json.loads(line) for line in run("jobs", "list", "-L", "50").stdout.splitlines()]
    r = run("jobs", "list", "-L", "50", "--jq", ".id, .usage")
    assert r.code == 0, r.stderr
    lines: list[str] = []
    for job in jobs:
        lines.append(job["id"])
        usage = job.get("usage")
        lines.append(
            "null"
            if usage is None
            else "{" + ",".join(f'"{k}":{dump(v)}' for k, v in usage.items()) + "}"
        )
    assert r.stdout == "".join(line + "\n" for line in lines)


def test_whole_document_is_filtered_once(run: Any) -> None:
    r = run("jobs", "list", "-L", "7", "-o", "json", "--jq", "length")
    assert (r.code, r.stdout) == (0, "7\n")
    r = run("jobs", "list", "-L", "7", "--jq", "length")  # per record: 7 lengths
    assert r.code == 0 and len(r.stdout.splitlines()) == 7


def test_env_is_the_process_environment(run: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LX_JQ_TEST", "wanted")
    r = run("jobs", "list", "-L", "2", "--jq", '$ENV.LX_JQ_TEST + " " + .status')
    assert r.code == 0, r.stderr
    assert [line.split()[0] for line in r.stdout.splitlines()] == ["wanted", "wanted"]
    r = run("config", "list", "-o", "json", "--jq", "env.LX_JQ_TEST")
    assert r.stdout == "wanted\n"


# --- refusals before any request ----------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "said"),
    [
        (".[", "syntax error, unexpected end of file (column 2)"),
        ("nosuchfn", "nosuchfn/0 is not defined (column 1)"),
        (".a |", "syntax error"),
        ('"open', "syntax error"),
    ],
)
def test_a_bad_expression_is_a_usage_error_before_any_request(
    lx: Any, app: SandboxApp, expression: str, said: str
) -> None:
    setup, recorder = wire(app)
    r = lx("--base-url", URL, "jobs", "list", "--jq", expression, state_setup=setup)
    assert r.code == 2
    assert r.stdout == ""
    assert r.stderr.startswith(f"lx: --jq: {said}")
    assert len(r.stderr.splitlines()) == 1
    assert "Traceback" not in r.stderr and "ValueError" not in r.stderr
    assert recorder is not None and recorder.requests == []


@pytest.mark.parametrize("fmt", ["table", "csv", "tsv", "yaml"])
def test_jq_with_a_non_json_format_is_refused(lx: Any, app: SandboxApp, fmt: str) -> None:
    setup, recorder = wire(app)
    r = lx("--base-url", URL, "jobs", "list", "-o", fmt, "--jq", ".id", state_setup=setup)
    assert r.code == 2, r.stderr
    assert f"--jq cannot be used with -o {fmt}" in r.stderr
    assert r.stdout == ""
    assert recorder is not None and recorder.requests == []


def test_jq_without_o_ignores_the_terminal_and_lx_format(run: Any) -> None:
    r = run("jobs", "list", "-L", "3", "--jq", ".status", tty=True, env={"LX_FORMAT": "csv"})
    assert r.code == 0, r.stderr
    assert len(r.stdout.splitlines()) == 3 and "\x1b" not in r.stdout


def test_jq_on_a_command_whose_default_is_text(run: Any) -> None:
    info = json.loads(run("auth", "status", "--no-check", "-o", "json").stdout)
    r = run("auth", "status", "--no-check", "--jq", ".profile_source")
    assert (r.code, r.stdout) == (0, info["profile_source"] + "\n")


# --- a filter that fails on some records --------------------------------------------------


def test_runtime_error_names_the_record_keeps_going_and_exits_1(run: Any) -> None:
    expression = ".extract_result.total"
    piped = run("jobs", "list", "--all", "-o", "jsonl")
    records = [json.loads(line) for line in piped.stdout.splitlines()]
    bad = [
        n
        for n, job in enumerate(records, 1)
        if not isinstance(job.get("extract_result"), (dict, type(None)))
    ]
    assert bad, "the data set has per_page results"
    r = run("jobs", "list", "--all", "--jq", expression)
    assert r.code == 1
    lines = r.stderr.splitlines()
    assert len(lines) == len(bad)
    assert lines[0] == (f'lx: --jq: record {bad[0]}: Cannot index array with string ("total")')
    good = [
        raw(job["extract_result"].get("total"))
        if isinstance(job.get("extract_result"), dict)
        else "null"
        for n, job in enumerate(records, 1)
        if n not in bad
    ]
    assert r.stdout == "".join(line + "\n" for line in good)
    if JQ is not None:
        _, expected = jq_binary(expression, piped.stdout)  # (jq 1.6 exits 5 only when
        assert r.stdout == expected  # the last record failed)


def test_runtime_error_in_json_errors(run: Any) -> None:
    r = run("--error-format", "json", "jobs", "list", "-o", "json", "--jq", ".id")
    assert (r.code, r.stdout) == (1, "")
    error = json.loads(r.stderr)["error"]
    assert error["exit_status"] == 1 and error["kind"] == "usage"
    assert error["message"].startswith("--jq: the document: Cannot index array")


def test_a_commands_own_status_wins(run: Any) -> None:
    r = run("jobs", "get", "ext-00000000-0000-0000-0000-000000000000", "--jq", ".id")
    assert r.code == 4 and r.stdout == ""
    assert "not found" in r.stderr


# --- the printing rules, as expected strings ------------------------------------------------

NUMBERS = {
    1.0: "1",
    9996.0: "9996",
    12.5: "12.5",
    0.831: "0.831",
    1e100: "1e+100",
    1.5e-7: "1.5e-07",
    1e-5: "1e-05",
    0.0001: "0.0001",
    1e16: "1e+16",
    1e15: "1000000000000000",
    123456789012345678: "123456789012345680",
    100000000000000000001: "1e+20",
    2**53 + 1: "9007199254740992",
    -12.5: "-12.5",
    0: "0",
    0.1 + 0.2: "0.30000000000000004",
    1.7976931348623157e308: "1.7976931348623157e+308",
    float("inf"): "1.7976931348623157e+308",
    float("nan"): "null",
    5e-324: "5e-324",
}


@pytest.mark.parametrize(("value", "text"), list(NUMBERS.items()), ids=list(map(str, NUMBERS)))
def test_number_layout(value: float, text: str) -> None:
    assert number_text(value) == text


def test_strings_and_containers_layout() -> None:
    value = {"z": 1, "a": ["é😀", "tab\there", 'q"b\\', "\x01\x7f\u2028", None, True, 2.0]}
    assert dump(value) == (
        '{"z":1,"a":["é😀","tab\\there","q\\"b\\\\","\\u0001\\u007f\u2028",null,true,2]}'
    )
    assert raw("line\nbreak") == "line\nbreak"


@needs_jq
def test_numbers_and_strings_match_the_binary() -> None:
    """Seeded random doubles of every magnitude, awkward strings and key orders."""
    rng = random.Random(16)
    numbers: list[Any] = [*NUMBERS][:-3]
    numbers += [rng.uniform(-1, 1) * 10 ** rng.randint(-320, 300) for _ in range(400)]
    numbers += [rng.randint(-(2**70), 2**70) for _ in range(100)]
    numbers += [float(rng.randint(0, 10**6)) for _ in range(50)]
    strings = ["é", "😀", "\x00\x1f\x7f", "\u2028\u2029", "/", "\\", '"', "\ufeff", "\t\n\r"]
    doc = {"n": numbers, "s": strings, "o": {"b": 1, "a": {"d": [], "c": {}}}}
    text = json.dumps(doc, ensure_ascii=False) + "\n"
    from llamaextract_cli.output.jqfilter import JqProgram

    for expression in (".", ".n[]", ".s[]", ".o", ".n | map(tostring)", '"\\(.n[0:40])"'):
        code, expected = jq_binary(expression, text)
        assert code == 0
        program = JqProgram(expression)
        mine = "".join(raw(v) + "\n" for v in program.run(text))
        assert mine == expected, expression


def test_jq_and_yaml_are_not_imported_without_their_flags() -> None:
    probe = (
        "import sys, io, contextlib\n"
        "from llamaextract_cli.cli.main import run\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    run(['--profile', 'sandbox', 'jobs', 'list', '-L', '3', '-o', 'json'])\n"
        "print('jq' in sys.modules, 'yaml' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120
    )
    assert done.stdout.split() == ["False", "False"], done.stderr
