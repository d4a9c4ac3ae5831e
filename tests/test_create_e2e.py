"""`lx jobs create` / `lx jobs rerun` end to end, with the official SDK as the oracle.

- the request lx sends is the request the SDK's `client.extract.create(...)` sends for the
  same arguments (path, query, JSON body), recorded on one MockTransport;
- over HTTP against `SandboxServer` and a real `lx sandbox serve`, the jobs lx creates are
  jobs the SDK reads back under strict validation;
- a create whose connection the server drops after making the job is reported UNKNOWN
  and not repeated: the server holds exactly one job for that input.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from llama_cloud import LlamaCloud

from llamaextract_cli.api.client import ApiClient
from llamaextract_cli.cli.context import State
from llamaextract_cli.jobs import pace
from llamaextract_cli.sandbox.app import SandboxApp
from llamaextract_cli.sandbox.clock import FakeClock
from llamaextract_cli.sandbox.faults import FaultConfig
from llamaextract_cli.sandbox.server import SandboxServer

NOW = "2026-01-01T00:00:00Z"
NOW_S = 1_767_225_600.0
KEY = "llx-e2e-0123456789abcdef"
SCHEMA = {"type": "object", "properties": {"vendor": {"type": "string"}}}


def sdk(base_url: str, http_client: httpx.Client | None = None) -> LlamaCloud:
    return LlamaCloud(
        api_key=KEY,
        base_url=base_url,
        _strict_response_validation=True,
        max_retries=0,
        http_client=http_client,
    )


@pytest.fixture(autouse=True)
def no_real_pacing(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr(pace, "SLEEP", slept.append)


# --- the SDK's request is lx's request ----------------------------------------------------------


def recorder() -> tuple[httpx.MockTransport, list[httpx.Request]]:
    seen: list[httpx.Request] = []
    job = {
        "id": "ext-00000000-0000-0000-0000-000000000001",
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z",
        "file_input": "dfl-1",
        "project_id": "prj-1",
        "status": "PENDING",
    }

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=job)

    return httpx.MockTransport(handle), seen


def same_request(sdk_request: httpx.Request, lx_request: httpx.Request) -> None:
    assert (lx_request.method, lx_request.url.path) == (sdk_request.method, sdk_request.url.path)
    assert sorted(lx_request.url.params.multi_items()) == sorted(
        sdk_request.url.params.multi_items()
    )
    assert json.loads(lx_request.content) == json.loads(sdk_request.content)


def lx_with(transport: httpx.BaseTransport) -> Callable[[State], None]:
    def setup(state: State) -> None:
        state._client = ApiClient(base_url="http://api.test", api_key=KEY, transport=transport)

    return setup


def test_an_inline_create_sends_what_the_sdk_sends(lx: Any, tmp_path: Path) -> None:
    transport, seen = recorder()
    client = sdk("http://api.test", httpx.Client(transport=transport))
    configuration = {
        "data_schema": SCHEMA,
        "tier": "agentic",
        "extraction_target": "per_page",
        "system_prompt": "Be brief.",
        "cite_sources": True,
        "confidence_scores": False,
    }
    client.extract.create(
        file_input="dfl-1",
        configuration=configuration,  # type: ignore[arg-type]
        project_id="prj-1",
        organization_id="org-1",
        webhook_configurations=[{"webhook_url": "https://hooks.example/x"}],
    )
    client.close()
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps(SCHEMA))
    r = lx(
        "jobs", "create", "--file-input", "dfl-1", "--schema", str(schema), "--tier", "agentic",
        "--target", "per_page", "--system-prompt", "Be brief.", "--cite", "--no-confidence",
        "--webhook", "https://hooks.example/x", "--project", "prj-1", "--org", "org-1", "--yes",
        state_setup=lx_with(transport),
    )  # fmt: skip
    assert r.code == 0, r.stderr
    sdk_request, lx_request = seen
    same_request(sdk_request, lx_request)


def test_a_saved_configuration_create_sends_what_the_sdk_sends(lx: Any) -> None:
    transport, seen = recorder()
    client = sdk("http://api.test", httpx.Client(transport=transport))
    client.extract.create(file_input="pjb-2", configuration_id="cfg-9", project_id="prj-1")
    client.close()
    r = lx(
        "jobs", "create", "-i", "pjb-2", "--config", "cfg-9", "--project", "prj-1", "--yes",
        state_setup=lx_with(transport),
    )  # fmt: skip
    assert r.code == 0, r.stderr
    same_request(*seen)


# --- over HTTP ----------------------------------------------------------------------------------


@pytest.fixture
def served() -> Iterator[tuple[SandboxApp, SandboxServer]]:
    app = SandboxApp(jobs=200, seed=7, now=NOW, clock=FakeClock(NOW_S))
    srv = SandboxServer(app).start()
    yield app, srv
    srv.stop()


def over_http(lx: Any, url: str, *args: str, **kw: Any) -> Any:
    env = {"LLAMA_CLOUD_API_KEY": KEY, **kw.pop("env", {})}
    return lx("--base-url", url, *args, env=env, **kw)


def test_rerun_over_http_makes_jobs_the_sdk_accepts(
    lx: Any, served: tuple[SandboxApp, SandboxServer]
) -> None:
    app, srv = served
    client = sdk(srv.url)
    originals = list(client.extract.list(status="FAILED", page_size=3, expand=["configuration"]))[
        :3
    ]
    r = over_http(lx, srv.url, "jobs", "rerun", *[j.id for j in originals], "--yes")
    assert r.code == 0, r.stderr
    got = [json.loads(line) for line in r.stdout.splitlines()]
    assert [g["original_id"] for g in got] == [j.id for j in originals]
    for original, record in zip(originals, got, strict=True):
        new = client.extract.get(record["id"], expand=["configuration"])  # strict validation
        assert new.status == "PENDING" and new.file_input == original.file_input
        assert new.configuration_id == original.configuration_id
        if original.configuration_id is None:
            assert new.configuration == original.configuration
    assert app.created_job_ids() == [g["id"] for g in got]
    client.close()


def test_a_create_dropped_after_the_server_made_it_is_unknown_not_repeated(lx: Any) -> None:
    """The server reads the body, makes the job, then closes the connection mid-answer: lx
    reports UNKNOWN, sends nothing again, and its hint finds the one job that was made."""
    # the data set anchored at the real time, so that the hint's --since 1h finds the job
    faults = FaultConfig(schedule=["ok", "ok", "ok", "drop"])  # 2 GETs, 2 creates
    app = SandboxApp(jobs=200, seed=7, faults=faults)
    probe = SandboxApp(jobs=200, seed=7, now=app.anchor_ms / 1000)
    query = [("status", "FAILED"), ("page_size", "2")]
    auth = {"authorization": f"Bearer {KEY}"}
    originals = probe.handle("GET", "/api/v2/extract", query, auth).json()["items"]
    with SandboxServer(app) as srv:
        r = over_http(lx, srv.url, "jobs", "rerun", *[j["id"] for j in originals], "--yes")
        assert r.code == 1
        got = [json.loads(line) for line in r.stdout.splitlines()]
        assert [g["status"] for g in got] == ["PENDING", "UNKNOWN"]
        assert got[1]["id"] is None and "not repeated" in got[1]["error"]
        made = app.created_job_ids()
        assert len(made) == 2 and made[0] == got[0]["id"]  # one job each: none duplicated
        second = originals[1]["file_input"]
        hint = f"lx jobs list --input {second} --since 1h"
        assert hint in r.stderr
        found = over_http(lx, srv.url, *hint.split()[1:], "-o", "jsonl")
    assert found.code == 0, found.stderr
    assert [json.loads(line)["id"] for line in found.stdout.splitlines()] == [made[1]]


class Served:
    """`python -m llamaextract_cli sandbox serve --port 0 ...` in a subprocess."""

    def __init__(self, *args: str) -> None:
        cmd = [sys.executable, "-m", "llamaextract_cli", "sandbox", "serve", "--port", "0", *args]
        self.proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        self.killer = threading.Timer(60, self.proc.kill)
        self.killer.start()
        assert self.proc.stderr is not None
        first = self.proc.stderr.readline()
        match = re.search(r"on (http://127\.0\.0\.1:\d+)$", first.rstrip("\n"))
        assert match, first
        self.url = match.group(1)

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.communicate(timeout=20)
        self.killer.cancel()
        return self.proc.returncode


@pytest.mark.slow
def test_create_then_rerun_against_lx_sandbox_serve(tmp_path: Path) -> None:
    """Two processes over a real socket (the waiting is tested on a fake clock)."""
    served = Served("--jobs", "100", "--seed", "7")
    env = {**os.environ, "LLAMA_CLOUD_API_KEY": KEY}

    def lx_process(*args: str) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "llamaextract_cli", "--base-url", served.url, *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env)

    try:
        schema = tmp_path / "schema.json"
        schema.write_text(json.dumps(SCHEMA))
        made = lx_process("jobs", "create", "-i", "dfl-e2e", "--schema", str(schema),
                          "--tier", "cost_effective", "--yes", "-o", "json")  # fmt: skip
        assert made.returncode == 0, made.stderr
        job = json.loads(made.stdout)
        again = lx_process("jobs", "rerun", job["id"], "--yes", "-o", "json")
        # the new job has not finished: refused, exit 1, nothing created
        assert again.returncode == 1 and "only finished jobs" in again.stderr
        assert json.loads(again.stdout)["status"] == "NOT_CREATED"
        client = sdk(served.url)
        final = client.extract.get(job["id"], expand=["configuration"])  # strict validation
        listed = list(client.extract.list(document_input_value="dfl-e2e", page_size=10))
        client.close()
        assert final.configuration is not None
        assert final.configuration.data_schema == SCHEMA
        assert final.configuration.tier == "cost_effective"
        assert [j.id for j in listed] == [job["id"]]
    finally:
        assert served.stop() == 0
