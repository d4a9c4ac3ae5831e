"""The official SDK judges job creation: `client.extract.create(...)` with
`_strict_response_validation=True`, over a real socket, in-process, and against a real
`lx sandbox serve`, must get jobs the SDK's models accept, and errors it maps."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import llama_cloud
import pytest
from llama_cloud import LlamaCloud
from sandbox_support import NOW, NOW_S

from llamaextract_cli.sandbox.app import SandboxApp
from llamaextract_cli.sandbox.clock import FakeClock
from llamaextract_cli.sandbox.faults import FaultConfig
from llamaextract_cli.sandbox.server import SandboxServer
from llamaextract_cli.sandbox.transport import SandboxTransport

FILE = "dfl-5a0c7d2e-93f1-4b6a-8e2d-1c4b7f9e0a33"
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "vendor": {"type": "string"},
        "total": {"type": "number"},
        "items": {
            "type": "array",
            "items": {"type": "object", "properties": {"sku": {"type": "string"}}},
        },
    },
}


def sdk(base_url: str, http_client: httpx.Client | None = None, retries: int = 0) -> LlamaCloud:
    return LlamaCloud(
        api_key="llx-test",
        base_url=base_url,
        _strict_response_validation=True,
        max_retries=retries,
        http_client=http_client,
    )


class World:
    def __init__(self, carrier: str, **kwargs: Any) -> None:
        self.clock = FakeClock(NOW_S)
        self.app = SandboxApp(jobs=200, seed=7, now=NOW, clock=self.clock, **kwargs)
        self.srv: SandboxServer | None = None
        if carrier == "socket":
            self.srv = SandboxServer(self.app).start()
            self.client = sdk(self.srv.url)
        else:
            transport = SandboxTransport(self.app, sleep=self.clock.advance)
            self.client = sdk("http://sandbox.invalid", httpx.Client(transport=transport))

    def close(self) -> None:
        self.client.close()
        if self.srv is not None:
            self.srv.stop()


@pytest.fixture(params=["socket", "in-process"])
def world(request: pytest.FixtureRequest) -> Iterator[World]:
    w = World(request.param)
    yield w
    w.close()


def test_create_inline_and_follow_the_job(world: World) -> None:
    client = world.client
    config = {
        "data_schema": SCHEMA,
        "tier": "agentic",
        "extraction_target": "per_table_row",
        "cite_sources": True,
        "confidence_scores": True,
        "system_prompt": "Amounts in USD.",
    }
    job = client.extract.create(file_input=FILE, configuration=config)  # type: ignore[arg-type]
    assert isinstance(job, llama_cloud.types.ExtractV2Job)
    assert job.status == "PENDING" and job.file_input == FILE and job.configuration_id is None
    got = client.extract.get(job.id, expand=["configuration"])
    assert got.configuration is not None
    assert got.configuration.to_dict() == {**config, "version": "latest"}
    world.clock.advance(2.6)
    assert client.extract.get(job.id).status == "RUNNING"
    world.clock.advance(8.0)
    done = client.extract.get(job.id, expand=["configuration", "extract_metadata", "usage"])
    assert done.status in ("COMPLETED", "FAILED")
    assert done.metadata is not None and done.metadata.usage is not None
    assert done.usage is not None and done.usage.credits is not None
    if done.status == "COMPLETED":
        assert isinstance(done.extract_result, list)
        assert done.extract_metadata is not None
        assert done.extract_metadata.field_metadata is not None
    else:
        assert done.error_message
    listed = list(client.extract.list(page_size=50, expand=["configuration", "extract_metadata"]))
    assert listed[0].id == job.id and len(listed) == 205


def test_create_with_a_saved_configuration(world: World) -> None:
    client = world.client
    cfg_id = world.app.data.configs[4].id
    assert cfg_id
    job = client.extract.create(
        file_input="pjb-7d1e2c3b-4a5f-4e6d-9c8b-0a1f2e3d4c5b",
        configuration_id=cfg_id,
        project_id=world.app.data.project_ids[1],
        webhook_configurations=[
            {"webhook_url": "https://example.com/hook", "webhook_events": ["extract.success"]}
        ],
    )
    assert job.configuration_id == cfg_id and job.project_id == world.app.data.project_ids[1]
    assert client.extract.list(configuration_id=cfg_id, page_size=5).items[0].id == job.id
    world.clock.advance(10)
    done = client.extract.get(job.id, expand=["configuration", "extract_metadata"])
    assert done.configuration is not None and done.configuration.tier == "agentic"
    assert done.status in ("COMPLETED", "FAILED")
    client.extract.delete(job.id)
    with pytest.raises(llama_cloud.NotFoundError):
        client.extract.get(job.id)


def test_errors_map_to_the_sdks_exceptions(world: World) -> None:
    client = world.client
    with pytest.raises(llama_cloud.UnprocessableEntityError) as bad:
        client.extract.create(file_input=FILE, configuration={"data_schema": SCHEMA, "tier": "x"})  # type: ignore[typeddict-item]
    assert bad.value.body["detail"][0]["loc"] == ["body", "configuration", "tier"]  # type: ignore[index]
    with pytest.raises(llama_cloud.UnprocessableEntityError):
        client.extract.create(file_input=FILE)  # neither configuration nor configuration_id
    with pytest.raises(llama_cloud.NotFoundError):
        client.extract.create(file_input=FILE, configuration_id="cfg-unknown")
    assert world.app.created_job_ids() == []


def test_the_sdk_can_cancel_what_it_created(world: World) -> None:
    job = world.client.extract.create(file_input=FILE, configuration={"data_schema": SCHEMA})
    cancelled = world.client.extract.cancel(job.id)
    assert cancelled.status == "CANCELLED" and cancelled.id == job.id
    with pytest.raises(llama_cloud.BadRequestError):
        world.client.extract.cancel(job.id)


@pytest.mark.parametrize("carrier", ["socket", "in-process"])
def test_the_sdk_retries_a_dropped_post_and_makes_a_duplicate(carrier: str) -> None:
    """What a client must know: the SDK sends no idempotency key, and a dropped answer to
    a POST is retried like any connection error, so the service ends with two jobs."""
    w = World(carrier, faults=FaultConfig(schedule=["drop"]))
    try:
        retrying = sdk(w.client.base_url.__str__(), retries=2) if w.srv else None
        client = retrying or sdk(
            "http://sandbox.invalid",
            httpx.Client(transport=SandboxTransport(w.app, sleep=lambda s: None)),
            retries=2,
        )
        job = client.extract.create(file_input=FILE, configuration={"data_schema": SCHEMA})
        ids = w.app.created_job_ids()
        assert len(ids) == 2 and job.id == ids[1]
        client.close()
    finally:
        w.close()


def test_against_lx_sandbox_serve() -> None:
    from test_sandbox_cli import Served

    served = Served("--jobs", "50", "--seed", "3", "--live", "1")  # 3 lines
    try:
        client = sdk(served.url)
        job = client.extract.create(file_input=FILE, configuration={"data_schema": SCHEMA})
        assert job.status == "PENDING"
        again = client.extract.get(job.id, expand=["configuration", "usage"])
        assert again.configuration is not None and again.configuration.data_schema == SCHEMA
        assert [j.id for j in client.extract.list(page_size=1).items] == [job.id]
        with pytest.raises(llama_cloud.UnprocessableEntityError):
            client.extract.create(file_input="", configuration={"data_schema": SCHEMA})
        client.close()
    finally:
        code, _, err = served.stop(__import__("signal").SIGTERM)
    assert code == 0, err
