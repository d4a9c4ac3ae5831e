"""`lx jobs stats`: every figure checked against a count made here, in plain Python,
over `lx jobs list --all -o jsonl` of the same sandbox data and the same filters."""

from __future__ import annotations

import json
import math
import re
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from lxtest import runner_on

from llamaextract_cli.cli.commands.jobs import triage as triage_cmd
from llamaextract_cli.jobs.stats import DurationHistogram, StatsAccumulator, Window
from llamaextract_cli.sandbox.app import SandboxApp
from llamaextract_cli.sandbox.clock import FakeClock

URL = "sandbox://?jobs=600&seed=7"
STATUSES = ("PENDING", "THROTTLED", "RUNNING", "COMPLETED", "FAILED", "CANCELLED")
TERMINAL = ("COMPLETED", "FAILED", "CANCELLED")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# The data set is anchored at the real "now" (relative --since values are computed
# from it), to the second, and shared by every run of this module: one app, one
# frozen clock, so `list` and `stats` see exactly the same jobs and timestamps.
NOW = datetime.now(timezone.utc).replace(microsecond=0)


def iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="module")
def app() -> SandboxApp:
    return SandboxApp(jobs=600, seed=7, now=NOW, clock=FakeClock())


@pytest.fixture
def run(lx: Callable[..., Any], app: SandboxApp) -> Callable[..., Any]:
    return runner_on(lx, app, URL)


def listed(run: Callable[..., Any], *filters: str) -> list[dict[str, Any]]:
    r = run("jobs", "list", "--all", *filters, "--expand", "configuration", "-o", "jsonl")
    assert r.code == 0, r.stderr
    return [json.loads(line) for line in r.stdout.splitlines()]


def stats_json(run: Callable[..., Any], *filters: str) -> dict[str, Any]:
    r = run("jobs", "stats", *filters, "-o", "json")
    assert r.code == 0, r.stderr
    return json.loads(r.stdout)


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def quantile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    values = sorted(values)
    pos = (len(values) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return values[lo] + (values[hi] - values[lo]) * (pos - lo)


def input_value(job: dict[str, Any]) -> str:
    return job.get("file_input") or job.get("document_input_value") or ""


def expected_rows(jobs: list[dict[str, Any]], key: Callable[[dict[str, Any]], str]) -> dict:
    out: dict[str, dict[str, Any]] = {}
    for job in jobs:
        row = out.setdefault(key(job), {"total": 0, "pages": 0, **dict.fromkeys(STATUSES, 0)})
        row["total"] += 1
        row[job["status"]] += 1
        row["pages"] += job.get("metadata", {}).get("usage", {}).get("num_pages_extracted", 0)
    return out


def check_rows(rows: list[dict[str, Any]], name: str, expected: dict[str, dict]) -> None:
    got = {r[name]: r for r in rows}
    assert set(got) == set(expected)
    for k, want in expected.items():
        for field, value in want.items():
            assert got[k][field] == value, (name, k, field)
    totals = [r["total"] for r in rows]
    assert totals == sorted(totals, reverse=True)


def check_all(stats: dict[str, Any], jobs: list[dict[str, Any]], since: datetime) -> None:
    """Every figure of `stats -o json` against an independent count over `jobs`."""
    until = NOW
    status = Counter(j["status"] for j in jobs)
    assert stats["total"] == len(jobs)
    assert stats["by_status"] == {s: status.get(s, 0) for s in STATUSES}
    assert list(stats["by_status"]) == list(STATUSES)
    finished = sum(status[s] for s in TERMINAL)
    rate = stats["failure_rate"]
    assert rate == (pytest.approx(status["FAILED"] / finished) if finished else None)
    pages = sum(j.get("metadata", {}).get("usage", {}).get("num_pages_extracted", 0) for j in jobs)
    assert stats["pages"] == pages
    credits = [j["usage"]["credits"] for j in jobs if isinstance(j.get("usage"), dict)]
    credits = [c for c in credits if isinstance(c, (int, float))]
    assert stats["credits"] == (pytest.approx(sum(credits)) if credits else None)
    # by day: every UTC day from the window's first to its last, zeros included
    per_day = Counter((j["created_at"][:10], j["status"]) for j in jobs)
    days = [r["date"] for r in stats["by_day"]]
    first_day = min([since.date(), *(parse(j["created_at"]).date() for j in jobs)])
    assert days[0] == first_day.isoformat()
    assert days[-1] == until.date().isoformat()
    assert len(days) == (until.date() - first_day).days + 1
    for row in stats["by_day"]:
        for s in STATUSES:
            assert row[s] == per_day.get((row["date"], s), 0)
        assert row["total"] == sum(row[s] for s in STATUSES)
    assert sum(r["total"] for r in stats["by_day"]) == len(jobs)
    # groupings
    check_rows(
        stats["by_configuration"],
        "configuration",
        expected_rows(jobs, lambda j: j.get("configuration_id") or "inline"),
    )
    check_rows(stats["by_tier"], "tier", expected_rows(jobs, lambda j: j["configuration"]["tier"]))
    check_rows(
        stats["by_input_type"],
        "input_type",
        expected_rows(
            jobs, lambda j: "file_id" if input_value(j).startswith("dfl-") else "parse_job_id"
        ),
    )
    # durations of finished jobs, in seconds (the command rounds each to the second)
    durations = [
        (parse(j["updated_at"]) - parse(j["created_at"])).total_seconds()
        for j in jobs
        if j["status"] in TERMINAL
    ]
    d = stats["duration_seconds"]
    assert d["count"] == len(durations)
    if durations:
        rounded = [float(round(x)) for x in durations]
        assert d["median"] == pytest.approx(quantile(rounded, 0.5))
        assert d["p95"] == pytest.approx(quantile(rounded, 0.95))
        assert abs(d["median"] - quantile(durations, 0.5)) <= 0.5
        assert abs(d["p95"] - quantile(durations, 0.95)) <= 0.5
    else:
        assert d["median"] is None and d["p95"] is None


def test_last_7_days_matches_an_independent_count(run: Callable[..., Any]) -> None:
    jobs = listed(run, "--since", "7d")
    assert len(jobs) > 100
    stats = stats_json(run, "--since", "7d")
    check_all(stats, jobs, NOW - timedelta(days=7))
    assert stats["window"]["default"] is False
    assert "by_hour" not in stats


def test_default_window_is_the_last_7_days(
    run: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(triage_cmd, "utcnow", lambda: NOW)
    since = NOW - timedelta(days=7)
    stats = stats_json(run)
    assert stats["window"] == {"since": iso(since), "until": iso(NOW), "default": True}
    check_all(stats, listed(run, "--since", iso(since)), since)
    assert len(stats["by_day"]) == 8


@pytest.mark.parametrize(
    "filters",
    [
        ("--status", "FAILED", "--status", "cancelled"),
        ("--input-type", "parse_job_id"),
        ("--status", "COMPLETED", "--input-type", "file_id"),
    ],
)
def test_filtered_over_30_days(run: Callable[..., Any], filters: tuple[str, ...]) -> None:
    args = ("--since", "30d", *filters)
    jobs = listed(run, *args)
    assert jobs
    check_all(stats_json(run, *args), jobs, NOW - timedelta(days=30))


def test_one_configuration(run: Callable[..., Any]) -> None:
    everything = listed(run, "--since", "30d")
    config = Counter(j.get("configuration_id") for j in everything if j.get("configuration_id"))
    cfg = config.most_common(1)[0][0]
    jobs = listed(run, "--since", "30d", "--config", cfg)
    stats = stats_json(run, "--since", "30d", "-c", cfg)
    check_all(stats, jobs, NOW - timedelta(days=30))
    assert [r["configuration"] for r in stats["by_configuration"]] == [cfg]


def test_short_window_counts_by_hour(run: Callable[..., Any]) -> None:
    since, until = NOW - timedelta(hours=30), NOW - timedelta(hours=1)
    args = ("--since", iso(since), "--until", iso(until))
    jobs = listed(run, *args)
    stats = stats_json(run, *args)
    assert stats["total"] == len(jobs)
    hours = stats["by_hour"]
    assert hours[0]["hour"] == iso(since.replace(minute=0, second=0))
    assert hours[-1]["hour"] == iso(until.replace(minute=0, second=0))
    assert len(hours) == 30
    per_hour = Counter(j["created_at"][:13] for j in jobs)
    for row in hours:
        assert row["total"] == per_hour.get(row["hour"][:13], 0)
    assert stats["window"] == {"since": iso(since), "until": iso(until), "default": False}


def test_empty_result_is_all_zeros(run: Callable[..., Any]) -> None:
    stats = stats_json(run, "--since", "30d", "--input", "dfl-nothing")
    assert stats["total"] == 0
    assert stats["by_status"] == dict.fromkeys(STATUSES, 0)
    assert stats["failure_rate"] is None and stats["credits"] is None
    assert stats["duration_seconds"] == {"median": None, "p95": None, "count": 0}
    assert len(stats["by_day"]) == 31
    assert all(r["total"] == 0 for r in stats["by_day"])


@pytest.mark.parametrize(
    ("by", "header"),
    [
        ("day", "date,total,PENDING,THROTTLED,RUNNING,COMPLETED,FAILED,CANCELLED"),
        ("status", "status,count,share"),
        (
            "configuration",
            "configuration,total,PENDING,THROTTLED,RUNNING,COMPLETED,FAILED,CANCELLED,"
            "failure_rate,pages,credits",
        ),
        ("input-type", "input_type,total,"),
    ],
)
def test_csv_rows_of_the_grouping(run: Callable[..., Any], by: str, header: str) -> None:
    r = run("jobs", "stats", "--since", "7d", "--by", by, "-o", "csv")
    assert r.code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith(header)
    stats = stats_json(run, "--since", "7d")
    if by == "day":
        assert len(lines) - 1 == len(stats["by_day"])
    if by == "status":
        assert [line.split(",")[:2] for line in lines[1:]] == [
            [s, str(n)] for s, n in stats["by_status"].items()
        ]


def test_jsonl_rows_default_to_days(run: Callable[..., Any]) -> None:
    r = run("jobs", "stats", "--since", "7d", "-o", "jsonl")
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert rows == stats_json(run, "--since", "7d")["by_day"]


def test_tier_without_expand_flag_still_asks_for_configuration(run: Callable[..., Any]) -> None:
    stats = stats_json(run, "--since", "30d")
    assert "unknown" not in {r["tier"] for r in stats["by_tier"]}


def test_seed_shape_has_no_credits() -> None:
    acc = StatsAccumulator(Window(None, None, NOW))
    acc.add({"status": "COMPLETED", "created_at": iso(NOW), "updated_at": iso(NOW)})
    assert acc.result()["credits"] is None


def test_unknown_status_is_kept() -> None:
    acc = StatsAccumulator(Window(NOW - timedelta(days=1), None, NOW))
    acc.add({"status": "ARCHIVED", "created_at": iso(NOW)})
    acc.add({"status": "FAILED", "created_at": iso(NOW), "updated_at": iso(NOW)})
    result = acc.result()
    assert result["by_status"]["ARCHIVED"] == 1
    assert list(result["by_status"])[-1] == "ARCHIVED"
    assert result["failure_rate"] == 1.0
    assert result["by_day"][-1]["ARCHIVED"] == 1


def test_histogram_is_exact_below_an_hour_and_within_1pct_above() -> None:
    h = DurationHistogram()
    for s in range(1, 101):
        h.add(s)
    assert h.quantile(0.5) == 50.5
    assert h.quantile(0.95) == pytest.approx(95.05)
    big = DurationHistogram()
    for s in (5000, 20000, 90000, 10**6):
        big.add(s)
        assert abs(big.quantile(1.0) - s) / s < 0.01


def _synthetic(n: int) -> Iterator[dict[str, Any]]:
    """n distinct jobs (IDs, messages), made on the fly; a few shared timestamps keep it quick."""
    base = datetime(2026, 11, 1, tzinfo=timezone.utc)
    times = [iso(base + timedelta(minutes=37 * k)) for k in range(1000)]
    result = {"text": "x" * 200}
    for i in range(n):
        status = STATUSES[i % 6]
        yield {
            "id": f"ext-{i:032x}",
            "status": status,
            "created_at": times[i % 1000],
            "updated_at": times[(i + 1) % 1000],
            "configuration_id": f"cfg-{i % 8}",
            "configuration": {"tier": ("agentic", "cost_effective")[i % 2]},
            "file_input": f"dfl-{i:032x}",
            "metadata": {"usage": {"num_pages_extracted": i % 7}},
            "usage": {"credits": (i % 7) * 1.5},
            "error_message": f"Document dfl-{i} exceeds max pages ({i % 500})"
            if status == "FAILED"
            else None,
            "extract_result": result,
        }


def test_aggregation_does_not_hold_the_jobs() -> None:
    from llamaextract_cli.jobs.error_groups import ErrorGroups

    window = Window(datetime(2026, 11, 1, tzinfo=timezone.utc), None, NOW)
    stats, errors = StatsAccumulator(window), ErrorGroups(20)
    tracemalloc.start()
    try:
        for job in _synthetic(50_000):
            stats.add(job)
            if job["status"] == "FAILED":
                errors.add(job)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert stats.all.total == 50_000
    assert len(errors) == 1 and errors.total == 50_000 // 6 + (50_000 % 6 > 4)
    # 50,000 jobs of ~1 KB each would take 50+ MB; the aggregates take well under 2 MB
    assert peak < 2_000_000, peak


@pytest.mark.parametrize("width", [80, 160])
@pytest.mark.parametrize("color", [True, False])
def test_table_fits_the_terminal(run: Callable[..., Any], width: int, color: bool) -> None:
    env = {"COLUMNS": str(width)}
    args = ["jobs", "stats", "--since", "7d", "--by", "tier"]
    if not color:
        args.insert(0, "--no-color")
    r = run(*args, tty=True, env=env)
    assert r.code == 0, r.stderr
    assert bool(ANSI.search(r.stdout)) is color
    plain = ANSI.sub("", r.stdout)
    lines = plain.splitlines()
    assert all(len(line) <= width for line in lines), max(lines, key=len)
    stats = stats_json(run, "--since", "7d")
    assert f"{stats['total']:,} jobs" in plain
    assert f"{stats['failure_rate'] * 100:.1f}% failed" in plain
    assert "█ completed  X failed" in plain  # the legend: glyphs tell statuses apart
    assert "By day (UTC)" in plain and "By tier" in plain
    assert "(default: last 7 days)" not in plain
    for row in stats["by_tier"]:
        assert row["tier"] in plain


def test_no_color_env_is_obeyed(run: Callable[..., Any]) -> None:
    r = run("jobs", "stats", "--since", "36h", tty=True, env={"NO_COLOR": "1", "COLUMNS": "80"})
    assert r.code == 0 and not ANSI.search(r.stdout)
    assert "By hour (UTC)" in r.stdout


def test_bad_grouping_is_a_usage_error(run: Callable[..., Any]) -> None:
    r = run("jobs", "stats", "--by", "week")
    assert r.code == 2 and "week" in r.stderr


def test_help_has_examples(run: Callable[..., Any], capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("stats", "errors", "watch"):
        r = run("jobs", command, "--help")
        assert r.code == 0
        text = r.stdout + capsys.readouterr().out  # click writes help to sys.stdout
        assert "Examples:" in text and f"lx jobs {command}" in text
        if command != "watch":
            assert "last 7 days" in text


def test_ids_have_no_default_window(run: Callable[..., Any]) -> None:
    jobs = listed(run, "--since", "30d")
    picked = [jobs[5], jobs[-1]]  # one recent, the oldest of the month
    ids = ",".join(j["id"] for j in picked)
    stats = stats_json(run, "--id", ids)
    assert stats["window"]["since"] is None and stats["window"]["default"] is False
    assert stats["total"] == 2
    assert stats["by_day"][0]["date"] == picked[1]["created_at"][:10]
    assert sum(r["total"] for r in stats["by_day"]) == 2


def test_table_of_nothing(run: Callable[..., Any]) -> None:
    r = run("jobs", "stats", "--since", "3d", "--input", "nothing", tty=True)
    assert r.code == 0
    assert ANSI.sub("", r.stdout).rstrip().endswith("no jobs match")
