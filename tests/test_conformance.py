"""CLI.md and API.md against a server lx has never seen: a small stdlib HTTP server that
records each request's query and answers in the odd ways API.md allows (or a broken
proxy would): tokens "" / null / absent, unknown fields and statuses, both input
fields, FastAPI error bodies, HTML and empty bodies, a list without `items`.

Each case checks stdout, stderr (one `lx: ` line on failure, no traceback), the exit
status of the CLI.md table and the query parameters sent. Retries never sleep: the
client is built with a no-op sleep (`lxtest.wire`).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from lxtest import Result, Runner, wire

Answer = tuple[int, Any, dict[str, str]]  # status, body (JSON value, or bytes), headers
Handler = Callable[[str, str, list[tuple[str, str]]], Answer]


class OddServer:
    """127.0.0.1:0; `handler(method, path, query)` decides each answer; queries are kept."""

    def __init__(self) -> None:
        self.handler: Handler = lambda m, p, q: (200, {"items": []}, {})
        self.requests: list[tuple[str, str, list[tuple[str, str]]]] = []
        server = self

        class _H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _answer(self, method: str) -> None:
                url = urlsplit(self.path)
                query = parse_qsl(url.query, keep_blank_values=True)
                server.requests.append((method, url.path, query))
                length = int(self.headers.get("content-length") or 0)
                if length:
                    self.rfile.read(length)
                status, body, headers = server.handler(method, url.path, query)
                if not isinstance(body, bytes):
                    body = json.dumps(body).encode()
                    headers = {"content-type": "application/json", **headers}
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                self._answer("GET")

            def do_POST(self) -> None:
                self._answer("POST")

            def do_DELETE(self) -> None:
                self._answer("DELETE")

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _H)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self) -> OddServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)

    def list_queries(self) -> list[list[tuple[str, str]]]:
        return [q for m, p, q in self.requests if p == "/api/v2/extract"]


@pytest.fixture
def odd() -> Iterator[OddServer]:
    with OddServer() as server:
        yield server


@pytest.fixture
def run_odd(lx: Runner, odd: OddServer) -> Callable[..., Result]:
    setup, _ = wire(None, record=False, url=odd.url)

    def invoke(*args: str, **kw: Any) -> Result:
        return lx("--base-url", odd.url, *args, state_setup=setup, **kw)

    return invoke


def job(n: int, status: str = "COMPLETED", **extra: Any) -> dict[str, Any]:
    return {
        "id": f"ext-{n}",
        "created_at": f"2026-11-29T10:00:{59 - n:02d}Z",
        "project_id": "prj-1",
        "status": status,
        "updated_at": "2026-11-29T10:05:00Z",
        "document_input_value": f"dfl-{n}",
        **extra,
    }


def one_error_line(r: Result) -> str:
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("lx: ") and "Traceback" not in r.stderr
    assert "internal error" not in lines[0], lines[0]
    return lines[0]


def jsonl_ids(text: str) -> list[str]:
    return [json.loads(line)["id"] for line in text.splitlines()]


# --- pages ------------------------------------------------------------------------------


@pytest.mark.parametrize("last", ["", None, "absent"], ids=["empty", "null", "absent"])
def test_no_next_page_token_ends_the_listing(
    odd: OddServer, run_odd: Callable[..., Result], last: object
) -> None:
    def handler(m: str, p: str, q: list[tuple[str, str]]) -> Answer:
        if ("page_token", "t2") in q:
            page: dict[str, Any] = {"items": [job(3)]}
            if last != "absent":
                page["next_page_token"] = last
            return 200, page, {}
        return 200, {"items": [job(1), job(2)], "next_page_token": "t2"}, {}

    odd.handler = handler
    r = run_odd("jobs", "list", "--all", "-o", "jsonl")
    assert (r.code, r.stderr) == (0, "")
    assert jsonl_ids(r.stdout) == ["ext-1", "ext-2", "ext-3"]
    assert len(odd.list_queries()) == 2


def test_unknown_fields_status_and_both_input_fields_pass_through(
    odd: OddServer, run_odd: Callable[..., Result]
) -> None:
    jobs = [
        job(1, newer={"a": [1, 2]}),
        {**job(2), "document_input_value": None, "file_input": "dfl-new"},
        job(3, status="QUEUED"),
    ]
    odd.handler = lambda m, p, q: (200, {"items": jobs, "has_more": False, "x": 1}, {})
    r = run_odd("jobs", "list", "--all", "-o", "jsonl")
    assert (r.code, r.stderr) == (0, "")
    assert [json.loads(line) for line in r.stdout.splitlines()] == jobs
    r = run_odd("jobs", "list", "--all", "-o", "csv", "-f", "id,status,input")
    assert r.stdout == "id,status,input\next-1,COMPLETED,dfl-1\next-2,COMPLETED,dfl-new\n" + (
        "ext-3,QUEUED,dfl-3\n"
    )
    r = run_odd("jobs", "list", "--all", "-o", "table")
    assert r.code == 0 and "QUEUED" in r.stdout and "dfl-new" in r.stdout


@pytest.mark.parametrize(
    "body",
    [{}, {"next_page_token": None, "total_size": 0}, b""],
    ids=["empty-object", "no-items", "empty-body"],
)
@pytest.mark.parametrize("fmt", ["jsonl", "json"])
def test_a_list_answer_without_items_is_an_error_not_an_empty_list(
    odd: OddServer, run_odd: Callable[..., Result], body: object, fmt: str
) -> None:
    odd.handler = lambda m, p, q: (200, body, {})
    r = run_odd("jobs", "list", "-o", fmt)
    assert r.code == 1
    assert "items" in one_error_line(r)
    assert r.stdout == ""  # not `[]`: no reader may take this for zero jobs


@pytest.mark.parametrize("cmd", [["list"], ["stats", "--since", "3d"], ["errors", "--since", "3d"]])
def test_an_item_that_is_not_a_job_is_a_protocol_error(
    odd: OddServer, run_odd: Callable[..., Result], cmd: list[str]
) -> None:
    odd.handler = lambda m, p, q: (200, {"items": [job(1), "x", None]}, {})
    r = run_odd("jobs", *cmd, "-o", "json")
    assert r.code == 1
    assert "not a job object" in one_error_line(r)


def test_total_size_missing_is_fine(odd: OddServer, run_odd: Callable[..., Result]) -> None:
    odd.handler = lambda m, p, q: (200, {"items": [job(1)]}, {})
    r = run_odd("jobs", "list", "-o", "json")
    assert (r.code, r.stderr) == (0, "")
    assert [j["id"] for j in json.loads(r.stdout)] == ["ext-1"]


# --- errors -----------------------------------------------------------------------------

HTML_502 = (
    b"<html><head><title>502 Bad Gateway</title></head><body><center>"
    b"<h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>"
)


@pytest.mark.parametrize(
    ("status", "body", "headers", "code", "said"),
    [
        (401, {"detail": "Invalid API key"}, {}, 3, "Invalid API key"),
        (403, {"detail": "Forbidden"}, {}, 3, "403"),
        (
            422,
            {"detail": [{"loc": ["query", "status"], "msg": "bad status", "type": "enum"}]},
            {},
            2,
            "status: bad status",
        ),
        (502, HTML_502, {"content-type": "text/html"}, 1, "502 Bad Gateway"),
        (500, b"", {}, 1, "500 Internal Server Error"),
        (400, {"detail": "Bad thing"}, {}, 1, "Bad thing"),
    ],
    ids=["401", "403", "422", "html-502", "empty-500", "400"],
)
def test_error_answers_to_a_listing(
    odd: OddServer,
    run_odd: Callable[..., Result],
    status: int,
    body: object,
    headers: dict[str, str],
    code: int,
    said: str,
) -> None:
    odd.handler = lambda m, p, q: (status, body, headers)
    r = run_odd("jobs", "list", "-o", "jsonl")
    assert r.code == code
    assert said in one_error_line(r)
    assert r.stdout == ""


# --- query parameters -------------------------------------------------------------------


def test_query_parameters_as_the_sdk_sends_them(
    odd: OddServer, run_odd: Callable[..., Result]
) -> None:
    r = run_odd(
        "jobs", "list", "-s", "failed", "-s", "Cancelled",
        "--since", "2026-01-01T10:00:00+02:00", "--until", "2026-01-31",
        "--id", "a", "--id", "b,c", "--expand", "configuration,extract_metadata",
        "-c", "cfg-1", "--input", "dfl-1", "--input-type", "file_id",
        "--project", "prj", "--org", "org", "-o", "jsonl",
    )  # fmt: skip
    assert (r.code, r.stdout, r.stderr) == (0, "", "")
    queries = odd.list_queries()
    assert sorted(dict(q)["status"] for q in queries) == ["CANCELLED", "FAILED"]
    for q in queries:
        assert [v for k, v in q if k == "status"] == [dict(q)["status"]]  # one per request
        assert [v for k, v in q if k == "job_ids"] == ["a", "b", "c"]
        assert [v for k, v in q if k == "expand"] == ["configuration", "extract_metadata"]
        d = dict(q)
        assert d["created_at_on_or_after"] == "2026-01-01T08:00:00Z"
        assert d["created_at_on_or_before"] == "2026-01-31T23:59:59.999999Z"
        assert d["configuration_id"] == "cfg-1"
        assert (d["document_input_value"], d["document_input_type"]) == ("dfl-1", "file_id")
        assert (d["project_id"], d["organization_id"]) == ("prj", "org")


# --- triage -----------------------------------------------------------------------------


def test_errors_groups_failed_jobs_only_even_if_the_server_ignores_status(
    odd: OddServer, run_odd: Callable[..., Result]
) -> None:
    jobs = [
        job(1, "COMPLETED"),
        job(2, "FAILED", error_message="Document dfl-2 exceeds max pages (120)"),
        job(3, "RUNNING"),
        job(4, "FAILED", error_message="Document dfl-9 exceeds max pages (300)"),
        job(5, "QUEUED"),
    ]
    odd.handler = lambda m, p, q: (200, {"items": jobs}, {})
    r = run_odd("jobs", "errors", "--since", "3d", "-o", "json")
    assert (r.code, r.stderr) == (0, "")
    groups = json.loads(r.stdout)
    assert [(g["pattern"], g["count"], g["job_ids"]) for g in groups] == [
        ("Document <id> exceeds max pages (<n>)", 2, ["ext-2", "ext-4"])
    ]
    assert all(("status", "FAILED") in q for q in odd.list_queries())
    r = run_odd("jobs", "errors", "--since", "3d", "--fail-if-any", "-o", "json")
    assert r.code == 1
    odd.handler = lambda m, p, q: (200, {"items": [job(1), job(3, "RUNNING")]}, {})
    r = run_odd("jobs", "errors", "--since", "3d", "--fail-if-any", "-o", "json")
    assert (r.code, json.loads(r.stdout)) == (0, [])


# --- one job at a time ------------------------------------------------------------------

NEWER = {
    "id": "ext-new",
    "created_at": "2026-11-29T10:00:00.123456Z",
    "updated_at": "2026-11-29T10:01:00Z",
    "project_id": "prj-1",
    "status": "COMPLETED",
    "file_input": "dfl-1",
    "configuration": {"version": "2", "tier": "agentic_plus", "extraction_target": "per_page"},
    "usage": {"credits": 12.5, "extract_credits": 10, "parse_credits": 2.5, "later": 1},
    "extract_result": [{"page": 1, "x": "a,b"}, {"page": 2, "x": "c"}],
    "surprise": [1],
}


def _by_id(jobs: dict[str, dict[str, Any]]) -> Handler:
    def handler(m: str, p: str, q: list[tuple[str, str]]) -> Answer:
        job_id = p.rsplit("/", 1)[-1]
        if job_id in jobs:
            return 200, jobs[job_id], {}
        return 404, {"detail": "Job not found"}, {}

    return handler


def test_get_and_result_of_a_job_in_the_newer_shape(
    odd: OddServer, run_odd: Callable[..., Result]
) -> None:
    turbo = {**NEWER, "id": "ext-t", "configuration": {"tier": "turbo"}, "extract_result": {}}
    odd.handler = _by_id({"ext-new": NEWER, "ext-t": turbo})
    r = run_odd("jobs", "get", "ext-new", "-o", "json")
    assert (r.code, r.stderr, json.loads(r.stdout)) == (0, "", NEWER)
    r = run_odd("jobs", "get", "ext-new", "ext-t", "-o", "json")
    assert (r.code, json.loads(r.stdout)) == (0, [NEWER, turbo])
    r = run_odd("jobs", "get", "-", "-o", "json", stdin="ext-t\n")
    assert (r.code, json.loads(r.stdout)) == (0, turbo)
    r = run_odd("jobs", "result", "ext-new", "-o", "csv")
    assert (r.code, r.stdout) == (0, 'page,x\n1,"a,b"\n2,c\n')


def test_unknown_ids_exit_4_naming_them_and_the_found_ones_are_printed(
    odd: OddServer, run_odd: Callable[..., Result]
) -> None:
    odd.handler = _by_id({"ext-new": NEWER})
    r = run_odd("jobs", "get", "ext-nope", "-o", "json")
    assert (r.code, r.stdout) == (4, "")
    assert "ext-nope" in one_error_line(r)
    r = run_odd("jobs", "get", "ext-new", "ext-nope", "-o", "json")
    assert r.code == 4 and json.loads(r.stdout) == [NEWER]
    assert "ext-nope" in one_error_line(r)
    for cmd in (["result"], ["wait"], ["cancel", "--yes"], ["delete", "--yes"]):
        r = run_odd("jobs", cmd[0], "ext-nope", *cmd[1:])
        assert r.code == 4, (cmd, r.stderr)
        assert "ext-nope" in r.stderr.splitlines()[-1]


# --- timestamps as other servers write them ---------------------------------------------


@pytest.mark.parametrize(
    ("text", "micro", "offset_h"),
    [
        ("2026-11-29T10:00:00Z", 0, 0),
        ("2026-11-29T10:00:00.1Z", 100_000, 0),
        ("2026-11-29T10:00:00.12Z", 120_000, 0),
        ("2026-11-29T10:00:00.1234Z", 123_400, 0),
        ("2026-11-29T10:00:00.123456789Z", 123_456, 0),  # Go's RFC 3339 with nanoseconds
        ("2026-11-29T10:00:00.12345+02:00", 123_450, 2),
        ("2026-11-29T10:00:00.5", 500_000, 0),  # naive: UTC
    ],
)
def test_api_times_with_any_fraction_are_read_on_every_python(
    text: str, micro: int, offset_h: int
) -> None:
    # Python 3.10's fromisoformat takes neither a Z nor fractions other than 3 or 6 digits.
    from datetime import timedelta

    from llamaextract_cli.timeparse import parse_api_time

    when = parse_api_time(text)
    assert when is not None
    assert (when.second, when.microsecond) == (0, micro)
    assert when.utcoffset() == timedelta(hours=offset_h)


def test_several_statuses_merge_by_time_whatever_the_fraction_digits(
    odd: OddServer, run_odd: Callable[..., Result]
) -> None:
    pages = {
        "FAILED": [job(1, "FAILED", created_at="2026-11-29T10:00:00.3Z")],
        "COMPLETED": [
            job(2, created_at="2026-11-29T10:00:00.25Z"),
            job(3, created_at="2026-11-29T10:00:00.1234567Z"),
        ],
    }
    odd.handler = lambda m, p, q: (200, {"items": pages[dict(q)["status"]]}, {})
    r = run_odd("jobs", "list", "-s", "completed", "-s", "failed", "-o", "jsonl")
    assert (r.code, r.stderr) == (0, "")
    assert jsonl_ids(r.stdout) == ["ext-1", "ext-2", "ext-3"]
