"""`-o yaml`: the values `-o json` writes, as safe YAML; a listing is a stream of
documents, written as it comes. For every command that writes JSON,
`yaml.safe_load_all` of its YAML gives back the json value."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from lxtest import runner_on

from llamaextract_cli.cli.commands.jobs import triage as triage_cmd
from llamaextract_cli.cli.commands.jobs import watching
from llamaextract_cli.output import make_renderer
from llamaextract_cli.output.yamlout import document
from llamaextract_cli.sandbox.app import SandboxApp
from llamaextract_cli.sandbox.clock import FakeClock

URL = "sandbox://?jobs=300&seed=7"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def app() -> SandboxApp:
    return SandboxApp(jobs=300, seed=7, now=NOW, clock=FakeClock(NOW.timestamp()))


@pytest.fixture
def run(lx: Callable[..., Any], app: SandboxApp, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(triage_cmd, "utcnow", lambda: NOW)
    monkeypatch.setattr(watching, "sleep", lambda s: None)
    monkeypatch.setattr(watching, "clock", lambda: NOW.timestamp())
    return runner_on(lx, app, URL)


@pytest.fixture(scope="module")
def ids(app: SandboxApp) -> dict[str, str]:
    auth = {"authorization": "Bearer llx-test"}
    page = app.handle("GET", "/api/v2/extract", [("page_size", "100")], auth).json()
    out: dict[str, str] = {}
    for job in page["items"]:
        result = job.get("extract_result")
        if job["status"] == "COMPLETED" and isinstance(result, dict):
            out.setdefault("per_doc", job["id"])
        if job["status"] == "COMPLETED" and isinstance(result, list) and result:
            out.setdefault("per_page", job["id"])
        out.setdefault(job["status"], job["id"])
    return out


COMMANDS: list[tuple[str, list[str]]] = [
    ("list", ["jobs", "list", "--all", "--expand", "configuration,extract_metadata"]),
    ("list-fields", ["jobs", "list", "-L", "20", "-f", "id,created_at,usage.credits"]),
    ("list-empty", ["jobs", "list", "--id", "ext-none"]),
    ("get", ["jobs", "get", "{per_doc}"]),
    ("get-several", ["jobs", "get", "{per_doc}", "{per_page}", "{FAILED}"]),
    ("result-doc", ["jobs", "result", "{per_doc}"]),
    ("result-rows", ["jobs", "result", "{per_page}"]),
    ("stats", ["jobs", "stats", "--since", "2026-11-01"]),
    ("errors", ["jobs", "errors", "--since", "2026-11-01"]),
    ("wait", ["jobs", "wait", "{COMPLETED}"]),
    ("wait-several", ["jobs", "wait", "{COMPLETED}", "{per_doc}"]),
    ("config-list", ["config", "list"]),
    ("auth-status", ["auth", "status", "--no-check"]),
    ("cancel-dry-run", ["jobs", "cancel", "{COMPLETED}", "--dry-run", "--yes"]),
]


@pytest.mark.parametrize(("name", "args"), COMMANDS, ids=[c[0] for c in COMMANDS])
def test_yaml_reads_back_as_the_json(
    run: Any, ids: dict[str, str], name: str, args: list[str]
) -> None:
    argv = [a.format(**ids) for a in args]
    as_json = run(*argv, "-o", "json")
    as_yaml = run(*argv, "-o", "yaml")
    assert as_yaml.code == as_json.code == 0, as_yaml.stderr
    value = json.loads(as_json.stdout)
    docs = list(yaml.safe_load_all(as_yaml.stdout))
    assert docs == (value if isinstance(value, list) else [value])
    assert "!!" not in as_yaml.stdout  # no tags
    if docs:
        assert as_yaml.stdout.startswith("---")


def test_watch_events_are_documents(run: Any) -> None:
    lines = run("jobs", "watch", "--count", "1", "-L", "5", "-o", "jsonl")
    docs = run("jobs", "watch", "--count", "1", "-L", "5", "-o", "yaml")
    assert docs.code == 0, docs.stderr
    expected = [json.loads(line) for line in lines.stdout.splitlines()]
    assert list(yaml.safe_load_all(docs.stdout)) == expected and len(expected) == 5


def test_a_listing_streams_one_document_per_write() -> None:
    stream = io.StringIO()
    renderer = make_renderer("yaml", stream)
    renderer.write({"id": "ext-1", "status": "FAILED"})
    first = stream.getvalue()
    assert list(yaml.safe_load_all(first)) == [{"id": "ext-1", "status": "FAILED"}]
    renderer.write({"id": "ext-2"})
    renderer.close()
    assert list(yaml.safe_load_all(stream.getvalue())) == [
        {"id": "ext-1", "status": "FAILED"},
        {"id": "ext-2"},
    ]


TRICKY = [
    "123",
    "0x1F",
    "1e3",
    "1_000",
    "0o17",
    "+1",
    ".5",
    "true",
    "False",
    "yes",
    "No",
    "on",
    "off",
    "y",
    "n",
    "null",
    "~",
    "",
    " ",
    "NULL",
    ".inf",
    "-.Inf",
    ".nan",
    "2026-12-01",
    "2026-12-01T09:00:00Z",
    "18:28",
    "1:30:00",
    "=",
    "<<",
    "- a",
    "a: b",
    "#x",
    "&a",
    "*a",
    "!tag",
    "%x",
    "@x",
    "`x",
    "'q'",
    '"q"',
    "line\nbreak",
    "trailing ",
    " leading",
    "tab\tin",
    "é 中文 😀",
    "\u2028",
    "\x00\x07\x7f",
    "\ufeffbom",
    "---",
    "...",
    "? x",
]


@pytest.mark.parametrize("text", TRICKY)
def test_strings_that_look_like_something_else_stay_strings(text: str) -> None:
    value = {"v": text, text: [text]}
    assert yaml.safe_load(document(value)) == value


def test_unicode_is_written_as_is_and_nothing_is_aliased() -> None:
    shared = {"name": "Zoë", "tags": ["中文"]}
    out = document({"a": shared, "b": shared, "c": [shared, shared]})
    assert "Zoë" in out and "中文" in out
    assert "&" not in out and "*" not in out
    assert yaml.safe_load(out) == {"a": shared, "b": shared, "c": [shared, shared]}


def test_numbers_and_nulls_round_trip() -> None:
    value = [0, -0.0, 1.0, 9996.0, 1e100, 1.5e-07, 2**70, None, True, False, [], {}]
    assert yaml.safe_load(document(value)) == value


def test_long_strings_are_not_folded() -> None:
    text = "word " * 100
    out = document({"msg": text})
    assert len(out.splitlines()) == 2 and yaml.safe_load(out) == {"msg": text}


JSONISH = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(JSONISH)
def test_any_json_value_round_trips(value: Any) -> None:
    assert yaml.safe_load(document(value)) == json.loads(json.dumps(value))
