"""One job: get, cancel, delete and their state rules; routing; authentication."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sandbox_support import LIST, Api

from llamaextract_cli.sandbox.app import SandboxApp

NON_TERMINAL = ("PENDING", "THROTTLED", "RUNNING")
TERMINAL = ("COMPLETED", "FAILED", "CANCELLED")


def first(api: Api, status: str) -> dict[str, Any]:
    """The newest historical job with this status (live jobs excluded)."""
    live = set(api.app.live_job_ids())
    jobs = api.page([("status", status), ("page_size", "100")])["items"]
    return next(j for j in jobs if j["id"] not in live)


# ---------------------------------------------------------------- get


def test_get_returns_the_full_job(api: Api) -> None:
    listed = first(api, "COMPLETED")
    job = api.get(listed["id"])
    assert job["extract_result"] == listed["extract_result"]
    assert "configuration" not in job and "extract_metadata" not in job and "usage" not in job
    full = api.get(
        listed["id"],
        [("expand", "configuration"), ("expand", "extract_metadata"), ("expand", "usage")],
    )
    assert {"configuration", "extract_metadata", "usage"} <= set(full)
    assert full["usage"] == listed["usage"]
    assert {k: v for k, v in full.items() if k not in ("configuration", "extract_metadata")} == (
        listed
    )


def test_get_bad_expand_is_422(api: Api) -> None:
    job = first(api, "COMPLETED")
    resp = api.call("GET", f"{LIST}/{job['id']}", [("expand", "everything")])
    assert resp.status == 422
    assert resp.json()["detail"][0]["loc"] == ["query", "expand", 0]
    assert "'usage'" in resp.json()["detail"][0]["msg"]


def test_get_respects_project_and_organization_scope(api: Api, app: SandboxApp) -> None:
    job = first(api, "FAILED")
    assert api.get(job["id"], [("project_id", job["project_id"])])["id"] == job["id"]
    other = next(p for p in app.data.project_ids if p != job["project_id"])
    for query in ([("project_id", other)], [("organization_id", "org-else")]):
        resp = api.call("GET", f"{LIST}/{job['id']}", query)
        assert (resp.status, resp.json()) == (404, {"detail": "Job not found"})
    org = app.data.organization_id
    assert api.get(job["id"], [("organization_id", org)])["id"] == job["id"]


@pytest.mark.parametrize("method,suffix", [("GET", ""), ("DELETE", ""), ("POST", "/cancel")])
def test_unknown_job_is_404(api: Api, method: str, suffix: str) -> None:
    resp = api.call(method, f"{LIST}/ext-00000000-0000-4000-8000-000000000000{suffix}")
    assert (resp.status, resp.json()) == (404, {"detail": "Job not found"})


# ---------------------------------------------------------------- cancel


@pytest.mark.parametrize("status", NON_TERMINAL)
def test_cancel_a_running_job(api: Api, clock: Any, status: str) -> None:
    job = first(api, status)
    clock.advance(42.0)
    resp = api.call("POST", f"{LIST}/{job['id']}/cancel")
    assert resp.status == 200
    cancelled = resp.json()
    assert cancelled["status"] == "CANCELLED" and cancelled["id"] == job["id"]
    assert cancelled["updated_at"] == "2026-01-01T00:00:42.000Z"
    assert cancelled["updated_at"] > job["updated_at"]
    assert api.get(job["id"])["status"] == "CANCELLED"
    listed = api.list_all([("status", "CANCELLED")])
    assert job["id"] in [j["id"] for j in listed]
    assert job["id"] not in [j["id"] for j in api.list_all([("status", status)])]


@pytest.mark.parametrize("status", TERMINAL)
def test_cancel_a_finished_job_is_refused(api: Api, status: str) -> None:
    job = first(api, status)
    resp = api.call("POST", f"{LIST}/{job['id']}/cancel")
    assert resp.status == 400
    assert resp.json() == {
        "detail": f"Job {job['id']} is {status}; "
        "only PENDING, THROTTLED or RUNNING jobs can be cancelled"
    }
    assert api.get(job["id"]) == {k: v for k, v in job.items() if k != "usage"}


# ---------------------------------------------------------------- delete


@pytest.mark.parametrize("status", TERMINAL)
def test_delete_a_finished_job(api: Api, status: str) -> None:
    job = first(api, status)
    total = api.page()["total_size"]
    resp = api.call("DELETE", f"{LIST}/{job['id']}")
    assert (resp.status, resp.json()) == (200, {})
    assert api.call("GET", f"{LIST}/{job['id']}").status == 404
    assert api.call("DELETE", f"{LIST}/{job['id']}").status == 404
    assert api.page()["total_size"] == total - 1
    assert job["id"] not in [j["id"] for j in api.list_all()]


@pytest.mark.parametrize("status", NON_TERMINAL)
def test_delete_a_running_job_needs_force(api: Api, status: str) -> None:
    job = first(api, status)
    path = f"{LIST}/{job['id']}"
    for query in ([], [("force", "false")], [("force", "0")]):
        resp = api.call("DELETE", path, query)
        assert resp.status == 400
        detail = resp.json()["detail"]
        assert job["id"] in detail and status in detail and "force=true" in detail
    assert api.get(job["id"])["status"] == status
    assert api.call("DELETE", path, [("force", "true")]).status == 200
    assert api.call("GET", path).status == 404


def test_delete_force_must_be_a_boolean(api: Api) -> None:
    job = first(api, "RUNNING")
    resp = api.call("DELETE", f"{LIST}/{job['id']}", [("force", "maybe")])
    assert resp.status == 422
    assert resp.json()["detail"][0]["loc"] == ["query", "force"]


def test_a_deleted_job_keeps_paging_consistent(api: Api) -> None:
    first_page = api.page([("page_size", "10")])
    doomed = first_page["items"][-1]["id"]  # the cursor's own job
    api.call("DELETE", f"{LIST}/{doomed}", [("force", "true")])
    rest = api.list_all([], page_size=10)
    second = api.page([("page_size", "10"), ("page_token", first_page["next_page_token"])])
    assert second["items"][0]["id"] == rest[9]["id"]


# ---------------------------------------------------------------- routing


@pytest.mark.parametrize(
    "path", ["/", "/api/v2/jobs", "/api/v2/extractx", f"{LIST}/a/b", f"{LIST}/a/cancel/x"]
)
def test_unknown_paths_are_404(api: Api, path: str) -> None:
    resp = api.call("GET", path)
    assert (resp.status, resp.json()) == (404, {"detail": "Not Found"})


@pytest.mark.parametrize(
    "method,path,allow",
    [
        ("PUT", LIST, "GET, POST"),
        ("DELETE", LIST, "GET, POST"),
        ("PUT", f"{LIST}/ext-1", "GET, DELETE"),
        ("GET", f"{LIST}/ext-1/cancel", "POST"),
    ],
)
def test_wrong_method_is_405(api: Api, method: str, path: str, allow: str) -> None:
    resp = api.call(method, path)
    assert (resp.status, resp.json()) == (405, {"detail": "Method Not Allowed"})
    assert ("allow", allow) in resp.headers


# ---------------------------------------------------------------- auth


@pytest.mark.parametrize(
    "headers",
    [{}, {"authorization": ""}, {"authorization": "Bearer "}, {"authorization": "Basic abc"}],
)
def test_no_bearer_key_is_401(api: Api, headers: dict[str, str]) -> None:
    for path in (LIST, f"{LIST}/ext-1", f"{LIST}/ext-1/cancel"):
        method = "POST" if path.endswith("cancel") else "GET"
        resp = api.call(method, path, headers=headers)
        assert (resp.status, resp.json()) == (401, {"detail": "Not authenticated"})


def test_any_key_unless_one_is_configured(make_app: Callable[..., SandboxApp]) -> None:
    open_app = Api(make_app(jobs=5))
    assert open_app.call("GET", LIST, headers={"Authorization": "bearer whatever"}).status == 200
    locked = Api(make_app(jobs=5, api_key="llx-right"))
    resp = locked.call("GET", LIST, headers={"authorization": "Bearer llx-wrong"})
    assert (resp.status, resp.json()) == (401, {"detail": "Invalid API key"})
    assert locked.call("GET", LIST, headers={"authorization": "Bearer llx-right"}).status == 200
    resp = locked.call("GET", LIST, headers={})
    assert resp.json() == {"detail": "Not authenticated"}
