"""`lx jobs errors`: groups checked against a count made here over `jobs list` output."""

from __future__ import annotations

import itertools
import json
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from lxtest import runner_on

from llamaextract_cli.cli.commands.jobs import triage as triage_cmd
from llamaextract_cli.jobs.error_groups import NO_MESSAGE, ErrorGroups
from llamaextract_cli.sandbox.app import SandboxApp
from llamaextract_cli.sandbox.clock import FakeClock

URL = "sandbox://?jobs=600&seed=7"
NOW = datetime.now(timezone.utc).replace(microsecond=0)
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# The six kinds of failure the sandbox produces, recognised here without `mask`.
FAMILIES = {
    "page_limit": re.compile(r"^Document \S+ exceeds the maximum page limit"),
    "timeout": re.compile(r"^Extraction timed out after \d+ seconds"),
    "unsupported": re.compile(r"^Unsupported file type '"),
    "schema": re.compile(r"^Schema validation failed: field '"),
    "parse": re.compile(r"^Parse job [0-9a-f-]{36} failed: "),
    "upstream": re.compile(r"^Upstream model error: \d+ from provider"),
}


def family(message: str) -> str:
    return next(name for name, rx in FAMILIES.items() if rx.search(message))


def iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="module")
def app() -> SandboxApp:
    return SandboxApp(jobs=600, seed=7, now=NOW, clock=FakeClock())


@pytest.fixture
def run(lx: Callable[..., Any], app: SandboxApp) -> Callable[..., Any]:
    return runner_on(lx, app, URL)


def failed_jobs(run: Callable[..., Any], *filters: str) -> list[dict[str, Any]]:
    r = run("jobs", "list", "--all", *filters, "-o", "jsonl")
    assert r.code == 0, r.stderr
    jobs = [json.loads(line) for line in r.stdout.splitlines()]
    return [j for j in jobs if j["status"] == "FAILED"]


def groups_json(run: Callable[..., Any], *args: str) -> list[dict[str, Any]]:
    r = run("jobs", "errors", *args, "-o", "json")
    assert r.code == 0, r.stderr
    return json.loads(r.stdout)


def check_groups(groups: list[dict[str, Any]], jobs: list[dict[str, Any]], per: int) -> None:
    by_id = {j["id"]: j for j in jobs}
    assert sum(g["count"] for g in groups) == len(jobs)
    # most frequent first, ties by most recent last_seen
    keys = [(-g["count"], g["last_seen"]) for g in groups]
    for a, b in itertools.pairwise(keys):
        assert a[0] < b[0] or (a[0] == b[0] and a[1] >= b[1])
    # each group holds one kind of failure; per kind, the counts add up
    per_family: Counter[str] = Counter()
    for g in groups:
        kinds = {family(by_id[i]["error_message"]) for i in g["job_ids"]}
        assert len(kinds) == 1, g["pattern"]
        assert family(g["example_message"]) in kinds
        per_family[kinds.pop()] += g["count"]
    assert per_family == Counter(family(j["error_message"]) for j in jobs)
    # members of a group: recount them from the jobs by the group's own rule
    members: dict[str, list[dict[str, Any]]] = defaultdict(list)
    from llamaextract_cli.jobs.error_groups import mask

    for j in jobs:
        members[mask(j["error_message"])].append(j)
    assert {g["pattern"] for g in groups} == set(members)
    for g in groups:
        mine = sorted(members[g["pattern"]], key=lambda j: j["created_at"], reverse=True)
        assert g["count"] == len(mine)
        assert g["share"] == pytest.approx(len(mine) / len(jobs))
        assert g["first_seen"] == mine[-1]["created_at"]
        assert g["last_seen"] == mine[0]["created_at"]
        assert g["job_ids"] == [j["id"] for j in mine[:per]]
        assert g["example_job_id"] == mine[0]["id"]
        assert g["example_message"] == by_id[g["example_job_id"]]["error_message"]


@pytest.mark.parametrize(
    "filters",
    [
        ("--since", "7d"),
        ("--since", "30d"),
        ("--since", iso(NOW - timedelta(days=20)), "--until", iso(NOW - timedelta(days=5))),
        ("--since", "30d", "--input-type", "parse_job_id"),
        ("--since", "30d", "--status", "FAILED"),
    ],
)
def test_groups_match_an_independent_count(run: Callable[..., Any], filters: tuple) -> None:
    jobs = failed_jobs(run, *filters)
    assert jobs
    check_groups(groups_json(run, *filters), jobs, 20)


def test_one_configuration_and_ids_per_group(run: Callable[..., Any]) -> None:
    everything = failed_jobs(run, "--since", "30d")
    cfg = Counter(j.get("configuration_id") for j in everything if j.get("configuration_id"))
    top = cfg.most_common(1)[0][0]
    jobs = failed_jobs(run, "--since", "30d", "-c", top)
    check_groups(groups_json(run, "--since", "30d", "-c", top, "--ids-per-group", "2"), jobs, 2)


def test_default_window_is_7_days(run: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(triage_cmd, "utcnow", lambda: NOW)
    jobs = failed_jobs(run, "--since", iso(NOW - timedelta(days=7)))
    check_groups(groups_json(run), jobs, 20)


def test_the_sandbox_families_collapse_to_few_groups(run: Callable[..., Any]) -> None:
    groups = groups_json(run, "--since", "30d")
    assert len(groups) <= 20  # 86 failures: six kinds, a few sub-kinds each
    patterns = {g["pattern"] for g in groups}
    assert "Extraction timed out after <n> seconds (page <n> of <n>)" in patterns
    assert "Unsupported file type <str> for file <str>" in patterns


def test_limit_keeps_the_largest_groups(run: Callable[..., Any]) -> None:
    everything = groups_json(run, "--since", "30d")
    assert groups_json(run, "--since", "30d", "-L", "3") == everything[:3]


def test_jsonl_and_csv(run: Callable[..., Any]) -> None:
    everything = groups_json(run, "--since", "30d", "--ids-per-group", "3")
    r = run("jobs", "errors", "--since", "30d", "--ids-per-group", "3", "-o", "jsonl")
    assert [json.loads(line) for line in r.stdout.splitlines()] == everything
    r = run("jobs", "errors", "--since", "30d", "--ids-per-group", "3", "-o", "csv")
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert [row["pattern"] for row in rows] == [g["pattern"] for g in everything]
    assert rows[0]["job_ids"].split(" ") == everything[0]["job_ids"]
    assert int(rows[0]["count"]) == everything[0]["count"]


@pytest.mark.parametrize(
    ("filters", "code"),
    [
        (("--since", "30d"), 1),
        (("--since", "30d", "--input", "dfl-nothing-matches"), 0),
        (("--since", "5m"), 0),  # only the live jobs, none failed yet
    ],
)
def test_fail_if_any(run: Callable[..., Any], filters: tuple, code: int) -> None:
    r = run("jobs", "errors", *filters, "--fail-if-any", "-o", "json")
    assert r.code == code, r.stderr
    groups = json.loads(r.stdout)
    assert bool(groups) is (code == 1)


def test_other_status_is_a_usage_error(run: Callable[..., Any]) -> None:
    r = run("jobs", "errors", "--status", "COMPLETED")
    assert r.code == 2
    assert "FAILED" in r.stderr and "Traceback" not in r.stderr


def test_no_message_group() -> None:
    acc = ErrorGroups(5)
    acc.add({"id": "ext-1", "status": "FAILED", "created_at": "2026-11-01T00:00:00Z"})
    acc.add({"id": "ext-2", "error_message": "  ", "created_at": "2026-11-02T00:00:00Z"})
    acc.add({"id": "ext-3", "error_message": "boom", "created_at": "2026-11-03T00:00:00Z"})
    groups = acc.groups()
    assert groups[0]["pattern"] == NO_MESSAGE and groups[0]["count"] == 2
    assert groups[0]["job_ids"] == ["ext-2", "ext-1"]
    assert groups[1]["pattern"] == "boom"


def test_tie_goes_to_the_most_recent() -> None:
    acc = ErrorGroups(5)
    acc.add({"id": "a", "error_message": "old one", "created_at": "2026-11-01T00:00:00Z"})
    acc.add({"id": "b", "error_message": "new one", "created_at": "2026-11-05T00:00:00Z"})
    assert [g["pattern"] for g in acc.groups()] == ["new one", "old one"]


@pytest.mark.parametrize("width", [80, 160])
@pytest.mark.parametrize("no_color", [True, False])
def test_table(run: Callable[..., Any], width: int, no_color: bool) -> None:
    args = ["jobs", "errors", "--since", "30d"]
    if no_color:
        args.insert(0, "--no-color")
    r = run(*args, tty=True, env={"COLUMNS": str(width)})
    assert r.code == 0, r.stderr
    assert bool(ANSI.search(r.stdout)) is not no_color
    plain = ANSI.sub("", r.stdout)
    assert all(len(line) <= width for line in plain.splitlines())
    groups = groups_json(run, "--since", "30d")
    assert "COUNT" in plain and "SHARE" in plain and "LAST SEEN" in plain
    assert groups[0]["example_job_id"] in plain
    assert plain.index("Extraction timed out") > plain.index("Upstream model error")
    assert f"jobs get {groups[0]['example_job_id']}\n" in r.stderr  # alone on its line
    assert f"{sum(g['count'] for g in groups)} failed jobs in {len(groups)} groups" in r.stderr
