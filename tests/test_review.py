"""`lx jobs review`: the accumulator over hand-built leaves, then every figure of the
command checked against a count made here from the sandbox's raw JSON (a walk of
`extract_result` beside `field_metadata` written for this test, not `jobs.metadata`)."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest
from lxtest import runner_on

from llamaextract_cli.api.client import ApiClient
from llamaextract_cli.cli.commands.jobs import triage as triage_cmd
from llamaextract_cli.cli.context import State
from llamaextract_cli.jobs.metadata import Leaf
from llamaextract_cli.jobs.review import (
    Review,
    RowShape,
    field_pattern,
    fitting_schema,
    matches,
)
from llamaextract_cli.sandbox.app import SandboxApp
from llamaextract_cli.sandbox.clock import FakeClock

NOW = "2026-01-01T00:00:00Z"
NOW_S = 1_767_225_600.0
URL = "sandbox://?jobs=600&seed=11"
WINDOW = ("--since", "2025-12-01T00:00:00Z", "--until", NOW)
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def leaf(
    field: str,
    value: Any = "x",
    confidence: float | None = None,
    *,
    row: int | None = None,
    page: int | None = None,
    citation: str | None = None,
) -> Leaf:
    return Leaf(row, field, value, confidence, None, None, page, citation, None, None)


def job(n: int, created: str | None = None, result: Any = None) -> dict[str, Any]:
    return {
        "id": f"ext-{n}",
        "created_at": created or f"2025-12-{n:02d}T00:00:00Z",
        "extract_result": {} if result is None else result,
    }


def by_field(review: Review) -> dict[str, dict[str, Any]]:
    return {row["field"]: row for row in review.rows()}


# --- the accumulator, over hand-built leaves --------------------------------------------


def test_figures_of_one_field_over_jobs() -> None:
    r = Review(0.8)
    r.add(job(1), [leaf("total", 10, 0.9), leaf("total", 11, 0.5), leaf("name", "a")])
    r.add(job(2), [leaf("total", 12, 0.7), leaf("total", None, 0.95)])
    r.add(job(3), [leaf("name", "b")])
    total = by_field(r)["total"]
    assert total == {
        "field": "total",
        "values": 4,
        "with_confidence": 4,
        "mean_confidence": round((0.9 + 0.5 + 0.7 + 0.95) / 4, 4),
        "min_confidence": 0.5,
        "below": 2,
        "share_below": 0.5,
        "empty": 1,
        "worst_job_id": "ext-1",
    }
    name = by_field(r)["name"]
    assert name["values"] == 2 and name["with_confidence"] == 0
    assert name["mean_confidence"] is None and name["share_below"] is None
    assert (r.jobs, r.jobs_with_confidence, r.values, r.scored, r.below) == (3, 2, 6, 4, 2)


def test_indices_collapse_and_the_threshold_is_strict() -> None:
    r = Review(0.8)
    r.add(job(1), [leaf("items.0.price", 1, 0.8), leaf("items.1.price", 2, 0.79999)])
    r.add(job(2), [leaf("items.0.price", 3, 0.8)], [])
    assert list(by_field(r)) == ["items.*.price"]
    assert by_field(r)["items.*.price"]["below"] == 1


def test_a_confidence_that_is_not_a_number_counts_as_none() -> None:
    r = Review(0.8)
    r.add(job(1), [leaf("a", 1, float("nan")), leaf("a", 2, True), leaf("a", 3, 0.1)])  # type: ignore[arg-type]
    a = by_field(r)["a"]
    assert (a["values"], a["with_confidence"], a["below"]) == (3, 1, 1)


def test_worst_job_is_the_first_fed_of_equal_minimums() -> None:
    r = Review(0.8)
    r.add(job(9), [leaf("t", 1, 0.4)])
    r.add(job(8), [leaf("t", 1, 0.4)])
    r.add(job(7), [leaf("t", 1, 0.6)])
    assert by_field(r)["t"]["worst_job_id"] == "ext-9"


def test_fields_come_worst_first() -> None:
    r = Review(0.8)
    r.add(
        job(1),
        [
            leaf("good", 1, 0.99),
            leaf("bad", 1, 0.1),
            leaf("half", 1, 0.1),
            leaf("half", 1, 0.9),
            leaf("unscored", 1),
            leaf("also_good", 1, 0.95),
        ],
    )
    assert [row["field"] for row in r.rows()] == ["bad", "half", "also_good", "good", "unscored"]


def test_flagged_newest_first_in_document_order_and_capped() -> None:
    r = Review(0.8, max_flagged=3)
    # fed out of order: created_at decides, not the order of the stream
    r.add(job(2), [leaf("a", 1, 0.1), leaf("b", 2, 0.2, page=3, citation="2.00")])
    r.add(job(5), [leaf("a", 5, 0.5, row=0), leaf("a", 6, 0.6, row=1)])
    r.add(job(1), [leaf("a", 9, 0.01)])
    got = [(f["job_id"], f["row"], f["field"], f["value"]) for f in r.result()["flagged"]]
    assert got == [("ext-5", 0, "a", 5), ("ext-5", 1, "a", 6), ("ext-2", None, "a", 1)]
    assert r.below == 5  # the cap limits the list, not the count
    assert r.result()["flagged"][2] == {
        "job_id": "ext-2",
        "row": None,
        "field": "a",
        "value": 1,
        "confidence": 0.1,
        "page": None,
        "citation": None,
    }


def test_worst_are_the_lowest_anywhere() -> None:
    r = Review(0.8, max_flagged=1, worst=2)
    r.add(job(3), [leaf("a", 1, 0.5)])
    r.add(job(2), [leaf("a", 2, 0.05)])
    r.add(job(1), [leaf("a", 3, 0.3), leaf("a", 4, 0.05)])
    assert [(f.job_id, f.value) for f in r.worst()] == [("ext-2", 2), ("ext-1", 4)]
    assert [f.job_id for f in r.flagged()] == ["ext-3"]


def test_max_flagged_zero_keeps_none() -> None:
    r = Review(0.8, max_flagged=0)
    r.add(job(1), [leaf("a", 1, 0.1)])
    assert r.result()["flagged"] == [] and r.below == 1


def test_empty_counts_nulls_and_values_missing_from_a_row() -> None:
    r = Review(0.8)
    # per_page rows: the second page lacks `total`, which the first page has
    r.add(
        job(1, result=[{}, {}]),
        [leaf("total", 5, row=0), leaf("tax", None, row=0), leaf("tax", 1, row=1)],
    )
    rows = by_field(r)
    assert (rows["total"]["values"], rows["total"]["empty"]) == (1, 1)
    assert (rows["tax"]["values"], rows["tax"]["empty"]) == (2, 1)


def test_empty_counts_array_items_missing_a_sub_field() -> None:
    r = Review(0.8)
    r.add(
        job(1),
        [
            leaf("items.0.name", "a"),
            leaf("items.0.price", 1),
            leaf("items.1.name", "b"),  # no price
            leaf("items.2.price", None),  # no name, a null price
        ],
    )
    rows = by_field(r)
    assert rows["items.*.price"]["empty"] == 2
    assert rows["items.*.name"]["empty"] == 1


def test_empty_counts_what_the_schema_declares() -> None:
    r = Review(0.8)
    declared = ["invoice_number", "vendor.name", "vendor.vat", "line_items.*.amount", "due_date"]
    r.add(
        job(1),
        [
            leaf("invoice_number", "I-1"),
            leaf("vendor.name", "Acme"),
            leaf("line_items.0.description", "x"),
        ],
        declared,
    )
    rows = by_field(r)
    assert rows["vendor.vat"] == {**rows["vendor.vat"], "values": 0, "empty": 1}
    assert rows["due_date"]["empty"] == 1
    assert rows["line_items.*.amount"]["empty"] == 1  # the one item lacks it
    assert rows["invoice_number"]["empty"] == 0


def test_a_null_object_is_one_empty_value_not_one_per_sub_field() -> None:
    r = Review(0.8)
    r.add(job(1), [leaf("vendor", None)], ["vendor.name", "vendor.vat"])
    rows = by_field(r)
    assert rows["vendor"]["empty"] == 1
    assert "vendor.name" not in rows and "vendor.vat" not in rows


def test_an_object_result_without_values_lacks_every_declared_field() -> None:
    r = Review(0.8)
    r.add(job(1, result={}), [], ["a", "b.c", "items.*.x"])
    rows = by_field(r)
    assert rows["a"]["empty"] == rows["b.c"]["empty"] == 1
    assert "items.*.x" not in rows  # no item, nothing missing from one
    r.add({"id": "ext-2", "extract_result": []}, [], ["a"])
    assert by_field(r)["a"]["empty"] == 1  # an empty array has no row to lack it


def test_per_table_row_rows_match_the_item_schema() -> None:
    declared = ["invoice_number", "line_items.*.description", "line_items.*.amount"]
    assert fitting_schema(declared, {"amount"}) == ["description", "amount"]
    assert fitting_schema(declared, {"invoice_number"}) == declared
    assert fitting_schema(declared, {"something_else"}) == []
    r = Review(0.8)
    r.add(job(1, result=[{}]), [leaf("description", "x", row=0)], declared)
    rows = by_field(r)
    assert rows["amount"]["empty"] == 1
    assert "invoice_number" not in rows


def test_absent_counts_slots() -> None:
    row = RowShape()
    for path in ("a.0.b", "a.1.c", "x", "m.0.n.0.v", "m.0.n.1.w", "m.1.n.0.v", "s.0", "s.1"):
        row.add(tuple(path.split(".")))
    assert row.absent("a.*.b") == 1
    assert row.absent("a.*.c") == 1
    assert row.absent("x") == 0
    assert row.absent("x.y") == 0  # x holds the value (a null object)
    assert row.absent("a") == 0  # items under it
    assert row.absent("z") == 1
    assert row.absent("m.*.n.*.v") == 1  # m.0.n.1 lacks it
    assert row.absent("m.*.n.*.w") == 2
    assert row.absent("s.*") == 0


@pytest.mark.parametrize(
    ("given", "pattern"),
    [
        ("line_items.0.amount", "line_items.*.amount"),
        ("line_items[0].amount", "line_items.*.amount"),
        ("line_items[*].amount", "line_items.*.amount"),
        ("line_items.*.amount", "line_items.*.amount"),
        (" total ", "total"),
    ],
)
def test_field_patterns(given: str, pattern: str) -> None:
    assert field_pattern(given) == pattern


def test_field_restriction_takes_paths_and_what_lies_under_them() -> None:
    assert matches("line_items.*.amount", ("line_items",))
    assert not matches("line_items_total", ("line_items",))
    r = Review(0.8, fields=["line_items[0].amount", "tax", "nothing"])
    r.add(
        job(1),
        [leaf("line_items.0.amount", 1, 0.1), leaf("total", 1, 0.1), leaf("tax", 1, 0.9)],
        ["line_items.*.amount", "due_date"],
    )
    assert set(by_field(r)) == {"line_items.*.amount", "tax"}
    assert r.below == 1 and [f.field for f in r.flagged()] == ["line_items.0.amount"]
    assert r.jobs_with_confidence == 1
    assert r.unmatched() == ["nothing"]


# --- the command, against an independent count -------------------------------------------


@pytest.fixture(scope="module")
def app() -> SandboxApp:
    return SandboxApp(jobs=600, seed=11, now=NOW, clock=FakeClock(NOW_S))


@pytest.fixture
def run(lx: Callable[..., Any], app: SandboxApp) -> Callable[..., Any]:
    return runner_on(lx, app, URL)


@pytest.fixture(autouse=True)
def pinned_now(monkeypatch: pytest.MonkeyPatch) -> None:
    """The default window ends at the data set's NOW."""
    monkeypatch.setattr(triage_cmd, "utcnow", lambda: datetime(2026, 1, 1, tzinfo=timezone.utc))


def raw_jobs(run: Callable[..., Any], *filters: str) -> list[dict[str, Any]]:
    r = run(
        "jobs", "list", "--all", "--status", "COMPLETED", *filters,
        "--expand", "configuration,extract_metadata", "-o", "jsonl",
    )  # fmt: skip
    assert r.code == 0, r.stderr
    return [json.loads(line) for line in r.stdout.splitlines()]


def confidence_of(entry: Any) -> float | None:
    if not isinstance(entry, dict):
        return None
    if isinstance(entry.get("confidence"), (int, float)):
        return float(entry["confidence"])
    parts = [entry.get(k) for k in ("extraction_confidence", "parsing_confidence")]
    numbers = [float(p) for p in parts if isinstance(p, (int, float))]
    return min(numbers) if numbers else None


def first_page(entry: Any) -> Any:
    if not isinstance(entry, dict):
        return None
    cites = entry.get("citation", entry.get("citations")) or []
    return cites[0].get("page") if cites else None


def walk(value: Any, meta: Any, path: list[str]) -> Iterator[tuple[str, Any, Any]]:
    """(collapsed path, value, metadata entry) of every leaf, plain recursion."""
    if isinstance(value, dict) and value:
        for k, v in value.items():
            yield from walk(v, (meta or {}).get(k), [*path, k])
    elif isinstance(value, list) and value:
        metas = meta if isinstance(meta, list) else []
        for i, v in enumerate(value):
            yield from walk(v, metas[i] if i < len(metas) else None, [*path, "*"])
    else:
        yield ".".join(path), value, meta


def values_of(job: dict[str, Any]) -> Iterator[tuple[int | None, str, Any, Any]]:
    result = job["extract_result"]
    fm = (job.get("extract_metadata") or {}).get("field_metadata") or {}
    if isinstance(result, dict):
        doc = fm.get("document_metadata", fm)
        for path, value, meta in walk(result, doc, []):
            yield None, path, value, meta
    else:
        rows = fm.get("page_metadata") or fm.get("row_metadata") or []
        for i, item in enumerate(result):
            for path, value, meta in walk(item, rows[i] if i < len(rows) else None, []):
                yield i, path, value, meta


def expected(jobs: list[dict[str, Any]], threshold: float) -> dict[str, Any]:
    fields: dict[str, dict[str, Any]] = {}
    with_conf = 0
    below: list[tuple[str, Any]] = []
    for j in jobs:
        scored = False
        for _row, path, value, meta in values_of(j):
            f = fields.setdefault(path, {"values": 0, "confs": [], "nulls": 0})
            f["values"] += 1
            f["nulls"] += value is None
            c = confidence_of(meta)
            if c is not None:
                scored = True
                f["confs"].append((c, j["id"]))
                if c < threshold:
                    below.append((j["id"], first_page(meta)))
        with_conf += scored
    return {"fields": fields, "jobs_with_confidence": with_conf, "below": below}


def review_json(run: Callable[..., Any], *args: str) -> dict[str, Any]:
    r = run("jobs", "review", *args, "-o", "json")
    assert r.code == 0, r.stderr
    return json.loads(r.stdout)


@pytest.mark.parametrize("threshold", ["0.8", "0.95"])
def test_every_figure_against_an_independent_count(run: Callable[..., Any], threshold: str) -> None:
    jobs = raw_jobs(run, *WINDOW)
    want = expected(jobs, float(threshold))
    got = review_json(run, *WINDOW, "--below", threshold, "--max-flagged", "100000")
    assert got["jobs"] == len(jobs) > 50
    assert got["jobs_with_confidence"] == want["jobs_with_confidence"]
    assert 0 < got["jobs_with_confidence"] < got["jobs"]  # the sandbox has both kinds
    assert got["threshold"] == float(threshold)
    assert {f["field"] for f in got["fields"]} == set(want["fields"])
    for row in got["fields"]:
        w = want["fields"][row["field"]]
        confs = [c for c, _ in w["confs"]]
        n_below = sum(c < float(threshold) for c in confs)
        assert row["values"] == w["values"], row
        assert row["with_confidence"] == len(confs), row
        assert row["below"] == n_below, row
        # the sandbox's results hold every key (nulls, not gaps): empty is the nulls
        assert row["empty"] == w["nulls"], row
        if confs:
            low = min(confs)
            assert row["min_confidence"] == low
            assert row["mean_confidence"] == pytest.approx(sum(confs) / len(confs), abs=1e-4)
            assert row["share_below"] == pytest.approx(n_below / len(confs), abs=1e-4)
            assert row["worst_job_id"] == next(j for c, j in w["confs"] if c == low)
        else:
            assert row["mean_confidence"] is row["share_below"] is row["worst_job_id"] is None
    assert sorted((f["job_id"], str(f["page"])) for f in got["flagged"]) == sorted(
        (j, str(p)) for j, p in want["below"]
    )
    shares = [f["share_below"] for f in got["fields"] if f["share_below"] is not None]
    assert shares == sorted(shares, reverse=True)


def test_flagged_is_the_newest_capped(run: Callable[..., Any]) -> None:
    jobs = raw_jobs(run, *WINDOW)  # newest first, as the API lists them
    order = {j["id"]: i for i, j in enumerate(jobs)}
    want = [j for j, _ in expected(jobs, 0.8)["below"]]
    got = review_json(run, *WINDOW, "--max-flagged", "7")["flagged"]
    assert [f["job_id"] for f in got] == want[:7]
    assert [order[f["job_id"]] for f in got] == sorted(order[f["job_id"]] for f in got)
    assert all(f["confidence"] < 0.8 for f in got)


def test_default_window_is_the_last_7_days(run: Callable[..., Any]) -> None:
    assert review_json(run) == review_json(run, "--since", "2025-12-25T00:00:00Z")


def test_field_restricts_rows_and_flagged(run: Callable[..., Any]) -> None:
    full = review_json(run, *WINDOW)
    some = review_json(run, *WINDOW, "--field", "line_items[0].amount", "--field", "total")
    assert [f["field"] for f in some["fields"]] == [
        f["field"] for f in full["fields"] if f["field"] in ("line_items.*.amount", "total")
    ]
    assert {f["field"].split(".")[0] for f in some["flagged"]} <= {"line_items", "total"}
    assert some["jobs"] == full["jobs"]


def test_csv_and_jsonl_are_the_field_rows(run: Callable[..., Any]) -> None:
    full = review_json(run, *WINDOW)
    r = run("jobs", "review", *WINDOW, "-o", "csv")
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert r.code == 0 and list(rows[0]) == list(full["fields"][0])
    assert [row["field"] for row in rows] == [f["field"] for f in full["fields"]]
    r = run("jobs", "review", *WINDOW)  # a pipe: jsonl
    assert [json.loads(line) for line in r.stdout.splitlines()] == full["fields"]


def test_fail_if_any_is_a_gate(run: Callable[..., Any]) -> None:
    full = review_json(run, *WINDOW)
    n = sum(f["below"] for f in full["fields"])
    r = run("jobs", "review", *WINDOW, "--fail-if-any", "-o", "json")
    assert r.code == 1 and json.loads(r.stdout) == full
    assert f"{n:,} of" in r.stderr and "below 0.8" in r.stderr
    r = run("jobs", "review", *WINDOW, "--fail-if-any", "--below", "0", "-o", "json")
    assert (r.code, r.stderr) == (0, "")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--status", "FAILED"], "only looks at COMPLETED"),
        (["--below", "1.5"], "--below"),
        (["--max-flagged", "-1"], "--max-flagged"),
        (["--max-flagged", "100001"], "--max-flagged"),
        (["--field", ""], "names no field"),
    ],
)
def test_usage_errors_exit_2(run: Callable[..., Any], args: list[str], message: str) -> None:
    r = run("jobs", "review", *args)
    assert r.code == 2 and message in r.stderr and "Traceback" not in r.stderr


def test_status_completed_is_accepted(run: Callable[..., Any]) -> None:
    assert review_json(run, *WINDOW, "-s", "COMPLETED") == review_json(run, *WINDOW)


def test_unmatched_field_is_said(run: Callable[..., Any]) -> None:
    r = run("jobs", "review", *WINDOW, "--field", "no_such_field", "-o", "json")
    assert r.code == 0 and json.loads(r.stdout)["fields"] == []
    assert "--field no_such_field" in r.stderr


def test_no_jobs_in_the_window(run: Callable[..., Any]) -> None:
    r = run("jobs", "review", "--since", "2030-01-01", "-o", "json")
    assert r.code == 0 and json.loads(r.stdout) == {
        "jobs": 0,
        "jobs_with_confidence": 0,
        "threshold": 0.8,
        "fields": [],
        "flagged": [],
    }
    assert "no COMPLETED jobs match" in r.stderr


# --- the terminal view --------------------------------------------------------------------


@pytest.mark.parametrize("width", [80, 160])
def test_terminal_view_fits_and_never_cuts_an_id(run: Callable[..., Any], width: int) -> None:
    full = review_json(run, *WINDOW)
    r = run("jobs", "review", *WINDOW, tty=True, env={"COLUMNS": str(width), "NO_COLOR": "1"})
    assert r.code == 0, r.stderr
    assert not ANSI.search(r.stdout)
    lines = r.stdout.splitlines()
    assert all(len(line) <= width for line in lines)
    assert "Fields by share of values below 0.8" in r.stdout
    assert "Lowest values (10 of" in r.stdout
    worst = min(
        (f for f in full["fields"] if f["min_confidence"] is not None),
        key=lambda f: f["min_confidence"],
    )
    assert f"{worst['min_confidence']:.3f} ▼" in r.stdout
    assert worst["worst_job_id"] in r.stdout
    ids = re.findall(r"ext-[0-9a-f-]+", r.stdout)
    assert ids and all(len(i) == len(worst["worst_job_id"]) for i in ids)
    scored = [f for f in full["fields"] if f["with_confidence"]]
    for f in scored[:5]:
        assert re.search(rf"^  {re.escape(f['field'])} +{f['values']:,} ", r.stdout, re.M)
    assert "cited “" in r.stdout


@pytest.mark.parametrize("width", [60, 80, 160])
def test_terminal_view_of_one_short_field_fits(run: Callable[..., Any], width: int) -> None:
    env = {"COLUMNS": str(width), "NO_COLOR": "1"}
    r = run("jobs", "review", *WINDOW, "--field", "tax", tty=True, env=env)
    assert r.code == 0
    lines = r.stdout.splitlines()
    assert all(len(line) <= width for line in lines)
    header = next(line for line in lines if line.lstrip().startswith("FIELD"))
    assert header.endswith("EMPTY")


def test_terminal_view_in_colour_keeps_the_marks(run: Callable[..., Any]) -> None:
    r = run("jobs", "review", *WINDOW, tty=True, env={"COLUMNS": "100"})
    assert ANSI.search(r.stdout) and "▼" in ANSI.sub("", r.stdout)


# --- servers of other shapes -------------------------------------------------------------


def scripted(items: list[dict[str, Any]], by_id: dict[str, dict[str, Any]]) -> Any:
    """A server listing `items` (one page) and answering GET of an ID from `by_id`."""
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        path = request.url.path
        if path == "/api/v2/extract":
            return httpx.Response(200, json={"items": items, "next_page_token": None})
        return httpx.Response(200, json=by_id[path.rsplit("/", 1)[1]])

    def setup(state: State) -> None:
        state._client = ApiClient(
            base_url="http://x.invalid", api_key="k", transport=httpx.MockTransport(handle)
        )

    return setup, seen


def test_seed_shape_and_list_items_without_a_result(lx: Callable[..., Any]) -> None:
    full = {
        "id": "ext-b",
        "status": "COMPLETED",
        "created_at": "2025-12-30T00:00:00Z",
        "extract_result": {"total": 5, "items": [{"qty": 1}, {"qty": None}]},
        "extract_metadata": {
            # the seed page's form: the field map right under field_metadata
            "field_metadata": {
                "total": {"confidence": 0.4, "citations": [{"page": 2, "matching_text": "5"}]},
                "items": [{"qty": {"extraction_confidence": 0.9}}, {"qty": "odd"}],
            }
        },
    }
    without_metadata = {k: v for k, v in full.items() if k != "extract_metadata"}
    listed = [
        {"id": "ext-b", "status": "COMPLETED", "created_at": "2025-12-30T00:00:00Z"},
        {"id": "ext-r", "status": "RUNNING", "created_at": "2025-12-30T00:00:00Z"},
        {**without_metadata, "id": "ext-c", "created_at": "2025-12-29T00:00:00Z"},
    ]
    setup, seen = scripted(listed, {"ext-b": full, "ext-c": {**full, "id": "ext-c"}})
    r = lx("jobs", "review", *WINDOW, "-o", "json", state_setup=setup)
    assert r.code == 0, r.stderr
    got = json.loads(r.stdout)
    assert (got["jobs"], got["jobs_with_confidence"]) == (2, 2)
    rows = {f["field"]: f for f in got["fields"]}
    assert rows["total"]["below"] == 2 and rows["total"]["min_confidence"] == 0.4
    assert rows["total"]["worst_job_id"] == "ext-b"
    assert rows["items.*.qty"]["with_confidence"] == 2 and rows["items.*.qty"]["empty"] == 2
    assert got["flagged"][1]["job_id"] == "ext-c"
    assert got["flagged"][:1] == [
        {
            "job_id": "ext-b",
            "row": None,
            "field": "total",
            "value": 5,
            "confidence": 0.4,
            "page": 2,
            "citation": "5",
        }
    ]
    listing, *fetched = seen
    assert ("status", "COMPLETED") in listing.url.params.multi_items()
    expands = listing.url.params.get_list("expand")
    assert set(expands) == {"configuration", "extract_metadata"}
    assert [f.url.path.rsplit("/", 1)[1] for f in fetched] == ["ext-b", "ext-c"]
    for f in fetched:
        assert set(f.url.params.get_list("expand")) == {"configuration", "extract_metadata"}


def test_no_confidence_anywhere_says_how_to_turn_it_on(lx: Callable[..., Any]) -> None:
    job_ = {
        "id": "ext-n",
        "status": "COMPLETED",
        "created_at": "2025-12-30T00:00:00Z",
        "extract_result": {"a": 1},
        "extract_metadata": {"field_metadata": {"document_metadata": {"a": {"citation": []}}}},
    }
    setup, _ = scripted([job_], {})
    r = lx("jobs", "review", *WINDOW, "--fail-if-any", "-o", "json", state_setup=setup)
    assert r.code == 0
    assert "none of the 1 jobs has confidence scores" in r.stderr
    assert "confidence_scores" in r.stderr and "lx jobs get ext-n" in r.stderr


def test_by_configuration_against_an_independent_count(run: Callable[..., Any]) -> None:
    jobs = raw_jobs(run, *WINDOW)
    groups: dict[str, list[dict[str, Any]]] = {}
    for j in jobs:
        groups.setdefault(j.get("configuration_id") or "inline", []).append(j)
    got = review_json(run, *WINDOW, "--by", "configuration")
    assert got["jobs"] == len(jobs)
    keys = [(f["configuration"], f["field"]) for f in got["fields"]]
    assert len(keys) == len(set(keys))
    want_keys = set()
    for name, members in groups.items():
        want = expected(members, 0.8)
        want_keys |= {(name, f) for f in want["fields"]}
        for row in (f for f in got["fields"] if f["configuration"] == name):
            w = want["fields"][row["field"]]
            assert row["values"] == w["values"]
            assert row["with_confidence"] == len(w["confs"])
            assert row["below"] == sum(c < 0.8 for c, _ in w["confs"])
    assert set(keys) == want_keys
    # configurations come worst first: their share of scored values below, falling
    order = list(dict.fromkeys(k for k, _ in keys))
    shares = []
    for name in order:
        rows = [f for f in got["fields"] if f["configuration"] == name]
        scored = sum(f["with_confidence"] for f in rows)
        shares.append(sum(f["below"] for f in rows) / scored if scored else -1)
    assert shares == sorted(shares, reverse=True)
    r = run("jobs", "review", *WINDOW, "--by", "configuration", "-o", "csv")
    assert r.stdout.startswith("configuration,field,values,")


@pytest.mark.parametrize("width", [80, 160])
def test_by_configuration_in_a_terminal_names_each(run: Callable[..., Any], width: int) -> None:
    got = review_json(run, *WINDOW, "--by", "configuration")
    r = run(
        "jobs", "review", *WINDOW, "--by", "configuration",
        tty=True, env={"COLUMNS": str(width), "NO_COLOR": "1"},
    )  # fmt: skip
    assert r.code == 0
    scored = {f["configuration"] for f in got["fields"] if f["with_confidence"]}
    for name in scored:  # the name whole, its figures after it or on the next line
        pattern = (
            rf"^  {re.escape(name)}( · [^\n]+)?(   |\n    )[\d,]+ jobs? · [\d,]+ of [\d,]+ scored"
        )
        assert re.search(pattern, r.stdout, re.M), name
    assert all(len(line) <= width for line in r.stdout.splitlines())


def test_the_accumulator_keeps_no_memory_per_job() -> None:
    import gc
    import tracemalloc

    def retained(n: int) -> int:
        r = Review(0.8, by_configuration=True)
        tracemalloc.start()
        for i in range(n):
            j = {
                "id": f"ext-{i:08d}",
                "created_at": f"2025-12-{1 + i % 28:02d}T00:00:00Z",
                "configuration_id": f"cfg-{i % 5}",
                "extract_result": {},
            }
            leaves = [
                leaf("total", f"{i}.00", (i % 97) / 100, page=1, citation=f"{i}.00"),
                leaf("items.0.price", i, 0.95),
                leaf("items.1.price", None, (i % 13) / 13),
                leaf("vendor", f"vendor {i}"),
            ]
            r.add(j, leaves, ["total", "items.*.price", "items.*.name", "due_date"])
        gc.collect()
        # what this file and the accumulator allocated and still hold (other threads of
        # the test run allocate elsewhere)
        held = tracemalloc.take_snapshot().filter_traces(
            [
                tracemalloc.Filter(True, "*/tests/test_review.py"),
                tracemalloc.Filter(True, "*/llamaextract_cli/jobs/*"),
            ]
        )
        tracemalloc.stop()
        assert r.jobs == n and len(r.flagged()) == 100
        return sum(stat.size for stat in held.statistics("filename"))

    small, big = retained(500), retained(5_000)
    assert big - small < 16 * 1024, (small, big)


def test_over_http_the_same_as_in_process(lx: Callable[..., Any], run: Callable[..., Any]) -> None:
    from llamaextract_cli.sandbox.server import SandboxServer

    app = SandboxApp(jobs=600, seed=11, now=NOW, clock=FakeClock(NOW_S), api_key="llx-review")
    with SandboxServer(app) as server:
        r = lx(
            "--base-url", server.url, "jobs", "review", *WINDOW, "--by", "configuration",
            "--fail-if-any", "-o", "json", env={"LLAMA_CLOUD_API_KEY": "llx-review"},
        )  # fmt: skip
    assert r.code == 1 and "below 0.8" in r.stderr
    assert json.loads(r.stdout) == review_json(run, *WINDOW, "--by", "configuration")
