"""Live jobs advance on the app's clock: PENDING -> RUNNING -> COMPLETED or FAILED."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sandbox_support import LIST, NOW, Api

from llamaextract_cli.sandbox.app import SandboxApp
from llamaextract_cli.sandbox.clock import FakeClock


def states(api: Api) -> dict[str, tuple[str, str]]:
    return {i: (api.get(i)["status"], api.get(i)["updated_at"]) for i in api.app.live_job_ids()}


def test_live_jobs_are_the_newest_and_advance(api: Api, clock: FakeClock) -> None:
    live = api.app.live_job_ids()
    assert len(live) == 4
    newest = api.page([("page_size", "4")])["items"]
    assert sorted(j["id"] for j in newest) == sorted(live)
    assert all(j["created_at"] == "2026-01-01T00:00:00.000Z" for j in newest)

    at_start = states(api)
    assert {s for s, _ in at_start.values()} == {"PENDING"}
    assert {u for _, u in at_start.values()} == {"2026-01-01T00:00:00.000Z"}

    clock.advance(2.5)
    running = states(api)
    assert {s for s, _ in running.values()} == {"RUNNING"}
    for i in live:
        assert "2026-01-01T00:00:01" <= running[i][1] < "2026-01-01T00:00:02.5"

    clock.advance(8.0)  # 10.5 s after start: all done
    done = states(api)
    assert {s for s, _ in done.values()} == {"COMPLETED", "FAILED"}
    for i in live:
        assert "2026-01-01T00:00:06" <= done[i][1] <= "2026-01-01T00:00:10"
        assert done[i][1] > running[i][1]
        job = api.get(i)
        if job["status"] == "COMPLETED":
            assert "extract_result" in job and job["metadata"]["usage"]["num_pages_extracted"]
        else:
            assert job["error_message"] and "extract_result" not in job
    clock.advance(3600)
    assert states(api) == done


def test_transitions_are_deterministic(make_app: Callable[..., SandboxApp]) -> None:
    def run() -> list[Any]:
        clock = FakeClock(0.0)
        api = Api(make_app(jobs=10, seed=4, clock=clock))
        seen = []
        for _ in range(24):
            seen.append(states(api))
            clock.advance(0.5)
        return seen

    assert run() == run()


def test_live_jobs_are_optional(make_app: Callable[..., SandboxApp]) -> None:
    app = make_app(jobs=10, live=0)
    assert app.live_job_ids() == []
    assert Api(app).page()["total_size"] == 10
    many = make_app(jobs=0, live=9)
    assert len(many.live_job_ids()) == 9


def test_status_filter_follows_the_clock(api: Api, clock: FakeClock) -> None:
    live = set(api.app.live_job_ids())

    def listed(status: str) -> set[str]:
        return {j["id"] for j in api.list_all([("status", status)])} & live

    assert listed("PENDING") == live
    clock.advance(3.0)
    assert listed("RUNNING") == live and not listed("PENDING")
    clock.advance(8.0)
    assert listed("COMPLETED") | listed("FAILED") == live


def test_paging_while_jobs_change_gives_each_job_once(api: Api, clock: FakeClock) -> None:
    everything = {j["id"] for j in api.list_all()}
    seen = [j["id"] for j in api.list_all([], page_size=1, between=lambda: clock.advance(0.05))]
    assert len(seen) == len(set(seen)) == len(everything)
    assert set(seen) == everything


def test_a_cancelled_live_job_stays_cancelled(api: Api, clock: FakeClock) -> None:
    job_id = api.app.live_job_ids()[0]
    clock.advance(3.0)
    resp = api.call("POST", f"{LIST}/{job_id}/cancel")
    assert resp.json()["status"] == "CANCELLED"
    assert resp.json()["updated_at"] == "2026-01-01T00:00:03.000Z"
    clock.advance(30.0)
    assert api.get(job_id)["status"] == "CANCELLED"


def test_live_jobs_start_when_the_app_starts_not_at_the_anchor() -> None:
    clock = FakeClock(2_000_000_000.0)  # long after the anchor
    app = SandboxApp(jobs=5, now=NOW, clock=clock)
    api = Api(app)
    assert {s for s, _ in states(api).values()} == {"PENDING"}
    clock.advance(11)
    assert {s for s, _ in states(api).values()} <= {"COMPLETED", "FAILED"}
