"""GET /api/v2/extract: filters, order, paging, tokens and 422s, against an independent filter."""

from __future__ import annotations

import base64
import json
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sandbox_support import LIST, Api

from llamaextract_cli.sandbox.app import SandboxApp

Job = dict[str, Any]
STATUSES = ("PENDING", "THROTTLED", "RUNNING", "COMPLETED", "FAILED", "CANCELLED")
INT_MSG = "Input should be a valid integer, unable to parse string as an integer"
STATUS_MSG = (
    "Input should be 'PENDING', 'THROTTLED', 'RUNNING', 'COMPLETED', 'FAILED' or 'CANCELLED'"
)


def ids(jobs: list[Job]) -> list[str]:
    return [j["id"] for j in jobs]


def ref(all_jobs: list[Job], pred: Callable[[Job], bool]) -> list[str]:
    return [j["id"] for j in all_jobs if pred(j)]


def dt(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def iso(d: datetime) -> str:
    return d.astimezone(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


# ---------------------------------------------------------------- order and pages


def test_newest_first_with_a_stable_tie_break(big_all: list[Job]) -> None:
    keys = [(dt(j["created_at"]), j["id"]) for j in big_all]
    assert keys == sorted(keys, reverse=True)
    ties = Counter(j["created_at"] for j in big_all)
    assert max(ties.values()) >= 4  # the live jobs at least: the tie-break is exercised
    assert len(big_all) == 1004 and len(set(ids(big_all))) == 1004


def test_default_page_total_size_and_last_page(big: Api) -> None:
    page = big.page()
    assert list(page) == ["items", "next_page_token", "total_size"]
    assert len(page["items"]) == 50 and page["total_size"] == 1004
    last = big.page([("job_ids", page["items"][0]["id"])])
    assert "next_page_token" not in last and last["total_size"] == 1
    empty = big.page([("configuration_id", "cfg-nope")])
    assert empty == {"items": [], "total_size": 0}


FILTERS: list[tuple[str, list[tuple[str, str]], Callable[[Job], bool]]] = [
    ("none", [], lambda j: True),
    ("status", [("status", "COMPLETED")], lambda j: j["status"] == "COMPLETED"),
    (
        "dates",
        [
            ("created_at_on_or_after", "2025-12-10T00:00:00Z"),
            ("created_at_on_or_before", "2025-12-20T12:00:00Z"),
        ],
        lambda j: dt("2025-12-10T00:00:00Z") <= dt(j["created_at"]) <= dt("2025-12-20T12:00:00Z"),
    ),
    ("type", [("document_input_type", "parse_job_id")], lambda j: "-" in j["file_input"][:9]),
]


@pytest.mark.parametrize("page_size", [1, 7, 50, 100])
@pytest.mark.parametrize("name,query,pred", FILTERS, ids=[f[0] for f in FILTERS])
def test_every_job_exactly_once_across_pages(
    big: Api,
    big_all: list[Job],
    page_size: int,
    name: str,
    query: list[tuple[str, str]],
    pred: Callable[[Job], bool],
) -> None:
    if name == "type":
        pred = lambda j: not j["file_input"].startswith("dfl-")  # noqa: E731
    got = ids(big.list_all(query, page_size=page_size))
    assert got == ref(big_all, pred)
    assert len(set(got)) == len(got) > 0


def test_page_size_may_change_between_pages(big: Api, big_all: list[Job]) -> None:
    first = big.page([("page_size", "30")])
    second = big.page([("page_size", "100"), ("page_token", first["next_page_token"])])
    assert ids(first["items"] + second["items"]) == ids(big_all)[:130]


# ---------------------------------------------------------------- filters


@pytest.mark.parametrize("status", STATUSES)
def test_status_filter(big: Api, big_all: list[Job], status: str) -> None:
    want = ref(big_all, lambda j: j["status"] == status)
    assert want
    page = big.page([("status", status), ("page_size", "100")])
    assert page["total_size"] == len(want)
    assert ids(big.list_all([("status", status)])) == want


def test_configuration_filter(big: Api, big_all: list[Job]) -> None:
    counts = Counter(j.get("configuration_id") for j in big_all)
    for cfg, n in counts.items():
        if cfg is None:
            continue
        got = big.list_all([("configuration_id", cfg), ("expand", "configuration")])
        assert ids(got) == ref(big_all, lambda j, c=cfg: j.get("configuration_id") == c)
        assert len(got) == n
        assert len({json.dumps(j["configuration"], sort_keys=True) for j in got}) == 1


@pytest.mark.parametrize("name", ["document_input_value", "file_input"])
def test_input_value_filter_and_its_newer_name(big: Api, big_all: list[Job], name: str) -> None:
    value, n = Counter(j["file_input"] for j in big_all).most_common(1)[0]
    assert n >= 2
    got = ids(big.list_all([(name, value)]))
    assert got == ref(big_all, lambda j: j["file_input"] == value)
    both = [("document_input_value", value), ("file_input", value)]
    assert ids(big.list_all(both)) == got
    assert big.page([("document_input_value", value), ("file_input", "other")])["items"] == []


@pytest.mark.parametrize("kind", ["file_id", "parse_job_id"])
def test_input_type_filter(big: Api, big_all: list[Job], kind: str) -> None:
    got = ids(big.list_all([("document_input_type", kind)]))
    assert got == ref(big_all, lambda j: j["file_input"].startswith("dfl-") == (kind == "file_id"))


def test_job_ids_repeated_key(big: Api, big_all: list[Job]) -> None:
    chosen = [big_all[500]["id"], big_all[3]["id"], "ext-unknown", big_all[900]["id"]]
    got = ids(big.list_all([("job_ids", i) for i in chosen]))
    assert got == [big_all[3]["id"], big_all[500]["id"], big_all[900]["id"]]  # list order
    status = big_all[500]["status"]
    narrowed = big.list_all([*(("job_ids", i) for i in chosen), ("status", status)])
    assert big_all[500]["id"] in ids(narrowed)
    assert all(j["status"] == status for j in narrowed)
    assert big.page([("job_ids", "a,b")])["items"] == []  # one key per ID, no commas


def test_project_and_organization_scope(big: Api, big_app: SandboxApp, big_all: list[Job]) -> None:
    projects = big_app.data.project_ids
    parts = [ids(big.list_all([("project_id", p)])) for p in projects]
    for p, got in zip(projects, parts, strict=True):
        assert got == ref(big_all, lambda j, p=p: j["project_id"] == p)
    assert sorted(parts[0] + parts[1]) == sorted(ids(big_all))
    assert big.page([("project_id", "prj-other")])["items"] == []
    org = big_app.data.organization_id
    assert ids(big.list_all([("organization_id", org)])) == ids(big_all)
    assert big.page([("organization_id", "org-other")])["items"] == []


def test_filters_combine(big: Api, big_all: list[Job], big_app: SandboxApp) -> None:
    project = big_app.data.project_ids[0]
    query = [
        ("status", "FAILED"),
        ("project_id", project),
        ("created_at_on_or_after", "2025-12-15T00:00:00Z"),
        ("document_input_type", "file_id"),
    ]
    want = ref(
        big_all,
        lambda j: (
            j["status"] == "FAILED"
            and j["project_id"] == project
            and dt(j["created_at"]) >= dt("2025-12-15T00:00:00Z")
            and j["file_input"].startswith("dfl-")
        ),
    )
    assert want and ids(big.list_all(query, page_size=3)) == want


def test_date_bounds_are_inclusive_at_exact_timestamps(big: Api, big_all: list[Job]) -> None:
    job = big_all[400]
    t = dt(job["created_at"])
    ms = timedelta(milliseconds=1)

    def listed(**bounds: datetime | str) -> list[str]:
        query = [
            (f"created_at_on_or_{k}", v if isinstance(v, str) else iso(v))
            for k, v in bounds.items()
        ]
        return ids(big.list_all(query))

    assert job["id"] in listed(after=t)
    assert job["id"] in listed(before=t)
    assert job["id"] in listed(after=t, before=t)
    assert job["id"] not in listed(after=t + ms)
    assert job["id"] not in listed(before=t - ms)
    assert job["id"] not in listed(after=t + timedelta(microseconds=1))
    # the same instant, other spellings
    plus2 = t.astimezone(timezone(timedelta(hours=2))).isoformat(timespec="milliseconds")
    assert job["id"] in listed(after=plus2, before=plus2)
    naive = t.replace(tzinfo=None).isoformat(timespec="milliseconds")
    assert job["id"] in listed(after=naive, before=naive)


def test_date_only_bounds_mean_midnight_utc(big: Api, big_all: list[Job]) -> None:
    got = ids(big.list_all([("created_at_on_or_before", "2025-12-20")]))
    assert got == ref(big_all, lambda j: dt(j["created_at"]) <= dt("2025-12-20T00:00:00Z"))
    assert got


def test_expand(big: Api) -> None:
    def keys(query: list[tuple[str, str]]) -> set[str]:
        return set().union(*(j.keys() for j in big.page([*query, ("page_size", "100")])["items"]))

    plain = keys([])
    assert "configuration" not in plain and "extract_metadata" not in plain
    assert {"configuration_id", "extract_result", "usage", "metadata"} <= plain
    assert "configuration" in keys([("expand", "configuration")])
    assert "extract_metadata" not in keys([("expand", "configuration")])
    both = keys([("expand", "configuration"), ("expand", "extract_metadata")])
    assert {"configuration", "extract_metadata"} <= both


# ---------------------------------------------------------------- tokens


def test_page_token_is_opaque_and_tied_to_the_query(big: Api) -> None:
    failed = big.page([("status", "FAILED"), ("page_size", "5")])
    token = failed["next_page_token"]
    assert token.replace("-", "").replace("_", "").isalnum()
    # same filters, other expand or page size: fine
    again = big.page([("status", "FAILED"), ("page_token", token), ("expand", "configuration")])
    assert again["items"][0]["id"] not in ids(failed["items"])
    for other in (
        [("status", "COMPLETED")],
        [],
        [("status", "FAILED"), ("document_input_type", "file_id")],
        [("status", "FAILED"), ("job_ids", "ext-x")],
    ):
        resp = big.call("GET", LIST, [*other, ("page_token", token)])
        assert resp.status == 400
        assert resp.json() == {"detail": "page_token does not match this query"}


@pytest.mark.parametrize(
    "token",
    [
        "not a token",
        "%%%",
        base64.urlsafe_b64encode(b"[1,2,3]").decode(),
        base64.urlsafe_b64encode(b'{"c":1}').decode(),
        base64.urlsafe_b64encode(b'[1,"abc","x","y"]').decode(),
    ],
)
def test_undecodable_token_is_422(big: Api, token: str) -> None:
    resp = big.call("GET", LIST, [("page_token", token)])
    assert resp.status == 422
    (err,) = resp.json()["detail"]
    assert err["loc"] == ["query", "page_token"] and err["input"] == token
    assert err["type"] == "value_error" and err["msg"]


# ---------------------------------------------------------------- validation


def test_bad_status_is_a_fastapi_422(big: Api) -> None:
    resp = big.call("GET", LIST, [("status", "BOGUS")])
    assert resp.status == 422
    assert resp.json() == {
        "detail": [
            {
                "type": "enum",
                "loc": ["query", "status"],
                "msg": STATUS_MSG,
                "input": "BOGUS",
                "ctx": {"expected": STATUS_MSG.removeprefix("Input should be ")},
            }
        ]
    }
    assert big.call("GET", LIST, [("status", "failed")]).status == 422  # case matters


@pytest.mark.parametrize("value", ["yesterday", "2025-13-01", "2025-02-30T00:00:00Z", "", "1700"])
@pytest.mark.parametrize("name", ["created_at_on_or_after", "created_at_on_or_before"])
def test_bad_timestamps_are_422(big: Api, name: str, value: str) -> None:
    resp = big.call("GET", LIST, [(name, value)])
    assert resp.status == 422
    (err,) = resp.json()["detail"]
    assert err["loc"] == ["query", name] and err["input"] == value
    assert err["msg"].startswith("Input should be a valid datetime")


@pytest.mark.parametrize(
    "value,kind,msg",
    [
        ("0", "greater_than_equal", "Input should be greater than or equal to 1"),
        ("-3", "greater_than_equal", "Input should be greater than or equal to 1"),
        ("101", "less_than_equal", "Input should be less than or equal to 100"),
        ("ten", "int_parsing", INT_MSG),
        ("2.5", "int_parsing", INT_MSG),
    ],
)  # fmt: skip
def test_page_size_bounds(big: Api, value: str, kind: str, msg: str) -> None:
    resp = big.call("GET", LIST, [("page_size", value)])
    assert resp.status == 422
    (err,) = resp.json()["detail"]
    assert (err["type"], err["loc"], err["msg"], err["input"]) == (
        kind,
        ["query", "page_size"],
        msg,
        value,
    )
    assert len(big.page([("page_size", "100")])["items"]) == 100
    assert len(big.page([("page_size", "1")])["items"]) == 1


def test_max_page_size_is_configurable(make_app: Callable[..., SandboxApp]) -> None:
    api = Api(make_app(jobs=700, seed=1, max_page_size=500))
    assert len(api.page([("page_size", "500")])["items"]) == 500
    resp = api.call("GET", LIST, [("page_size", "501")])
    assert resp.json()["detail"][0]["msg"] == "Input should be less than or equal to 500"


def test_bad_expand_and_input_type_and_several_errors_at_once(big: Api) -> None:
    resp = big.call(
        "GET",
        LIST,
        [
            ("expand", "configuration"),
            ("expand", "usage"),
            ("document_input_type", "url"),
            ("status", "DONE"),
            ("page_size", "0"),
        ],
    )
    assert resp.status == 422
    detail = resp.json()["detail"]
    locs = [tuple(e["loc"]) for e in detail]
    assert set(locs) == {
        ("query", "expand", 1),
        ("query", "document_input_type"),
        ("query", "status"),
        ("query", "page_size"),
    }
    by_loc = {tuple(e["loc"]): e for e in detail}
    assert by_loc["query", "expand", 1]["msg"] == (
        "Input should be 'configuration' or 'extract_metadata'"
    )
    assert by_loc["query", "document_input_type"]["msg"] == (
        "Input should be 'file_id' or 'parse_job_id'"
    )


def test_unknown_query_parameters_are_ignored(big: Api, big_all: list[Job]) -> None:
    assert ids(big.page([("color", "blue"), ("page_size", "5")])["items"]) == ids(big_all)[:5]
