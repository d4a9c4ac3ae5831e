"""The official SDK is the judge: strict validation of every page, exactly the jobs selected.

`llama_cloud.LlamaCloud(..., _strict_response_validation=True)` pages through the sandbox,
over a real socket and through the in-process transport, and must get exactly the jobs an
independent filter over the full listing selects, in the same order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import llama_cloud
import pytest
from llama_cloud import LlamaCloud
from llama_cloud.types.beta.extracted_data import (
    ExtractedFieldMetadata,
    parse_extracted_field_metadata,
)
from sandbox_support import NOW, NOW_S

from llamaextract_cli.sandbox.app import SandboxApp
from llamaextract_cli.sandbox.clock import FakeClock
from llamaextract_cli.sandbox.server import SandboxServer
from llamaextract_cli.sandbox.transport import SandboxTransport

STATUSES = ("PENDING", "THROTTLED", "RUNNING", "COMPLETED", "FAILED", "CANCELLED")
Job = Any  # llama_cloud.types.ExtractV2Job


def make_app(**kwargs: Any) -> SandboxApp:
    return SandboxApp(now=NOW, clock=FakeClock(NOW_S), **{"jobs": 600, "seed": 7, **kwargs})


def sdk(
    base_url: str, http_client: httpx.Client | None = None, key: str = "llx-test"
) -> LlamaCloud:
    return LlamaCloud(
        api_key=key,
        base_url=base_url,
        _strict_response_validation=True,
        max_retries=0,
        http_client=http_client,
    )


@pytest.fixture(scope="module", params=["socket", "in-process"])
def client(request: pytest.FixtureRequest) -> Iterator[LlamaCloud]:
    app = make_app()
    if request.param == "socket":
        with SandboxServer(app) as srv:
            c = sdk(srv.url)
            yield c
            c.close()
    else:
        c = sdk("http://sandbox.invalid", httpx.Client(transport=SandboxTransport(app)))
        yield c
        c.close()


@pytest.fixture(scope="module")
def everything(client: LlamaCloud) -> list[Job]:
    jobs = list(client.extract.list(page_size=100, expand=["configuration"]))
    assert len(jobs) == 604
    return jobs


def ids(jobs: Any) -> list[str]:
    return [j.id for j in jobs]


def expect(everything: list[Job], pred: Callable[[Job], bool]) -> list[str]:
    want = [j.id for j in everything if pred(j)]
    assert want, "the filter must select something to prove anything"
    return want


@pytest.mark.parametrize("status", STATUSES)
def test_every_status_filter(client: LlamaCloud, everything: list[Job], status: str) -> None:
    got = ids(client.extract.list(status=status, page_size=7))
    assert got == expect(everything, lambda j: j.status == status)


def test_default_paging_and_order(client: LlamaCloud, everything: list[Job]) -> None:
    got = ids(client.extract.list())  # the server's default page size
    assert got == ids(everything)
    keys = [(j.created_at, j.id) for j in everything]
    assert keys == sorted(keys, reverse=True)
    first = client.extract.list(page_size=50)
    assert len(first.items) == 50 and first.next_page_token
    assert first.to_dict()["total_size"] == 604


def test_date_filters(client: LlamaCloud, everything: list[Job]) -> None:
    after = datetime(2025, 12, 12, 6, 30, tzinfo=timezone.utc)
    before = datetime(2025, 12, 24, tzinfo=timezone.utc)
    got = ids(client.extract.list(created_at_on_or_after=after, page_size=100))
    assert got == expect(everything, lambda j: j.created_at >= after)
    got = ids(client.extract.list(created_at_on_or_before="2025-12-24T00:00:00Z", page_size=9))
    assert got == expect(everything, lambda j: j.created_at <= before)
    got = ids(client.extract.list(created_at_on_or_after=after, created_at_on_or_before=before))
    assert got == expect(everything, lambda j: after <= j.created_at <= before)
    # inclusive at the exact timestamp of a job, in another time zone
    job = everything[300]
    at = job.created_at.astimezone(timezone(timedelta(hours=-5)))
    assert job.id in ids(client.extract.list(created_at_on_or_after=at, created_at_on_or_before=at))


def test_configuration_filters(client: LlamaCloud, everything: list[Job]) -> None:
    configs = Counter(j.configuration_id for j in everything if j.configuration_id)
    assert len(configs) >= 6
    for cfg, _ in configs.most_common(4):
        got = ids(client.extract.list(configuration_id=cfg, page_size=10))
        assert got == expect(everything, lambda j, c=cfg: j.configuration_id == c)


def test_input_filters(client: LlamaCloud, everything: list[Job]) -> None:
    value, n = Counter(j.file_input for j in everything).most_common(1)[0]
    assert n >= 2
    want = expect(everything, lambda j: j.file_input == value)
    assert ids(client.extract.list(file_input=value)) == want
    assert ids(client.extract.list(document_input_value=value)) == want
    for kind in ("file_id", "parse_job_id"):
        got = ids(client.extract.list(document_input_type=kind, page_size=100))
        is_file = kind == "file_id"
        assert got == expect(everything, lambda j, f=is_file: j.file_input.startswith("dfl-") == f)


def test_id_filters(client: LlamaCloud, everything: list[Job]) -> None:
    chosen = [everything[i].id for i in (590, 0, 17, 333)]
    got = ids(client.extract.list(job_ids=chosen, page_size=2))
    assert got == [everything[i].id for i in (0, 17, 333, 590)]
    status = everything[17].status
    got = ids(client.extract.list(job_ids=chosen, status=status))
    assert got == expect(everything, lambda j: j.id in chosen and j.status == status)


def test_scope_filters(client: LlamaCloud, everything: list[Job]) -> None:
    for project in {j.project_id for j in everything}:
        got = ids(client.extract.list(project_id=project, page_size=100))
        assert got == expect(everything, lambda j, p=project: j.project_id == p)


def test_expanded_pages_validate(client: LlamaCloud, everything: list[Job]) -> None:
    full = list(client.extract.list(expand=["configuration", "extract_metadata"], page_size=100))
    assert ids(full) == ids(everything)
    completed = [j for j in full if j.status == "COMPLETED"]
    assert all(j.extract_metadata is not None and j.extract_result is not None for j in completed)
    assert all(j.configuration is not None and j.configuration.data_schema for j in full)
    assert all(j.usage is not None for j in full)
    assert {j.configuration.tier for j in full} == {"cost_effective", "agentic", "agentic_plus",
                                                    "turbo"}  # fmt: skip
    plain = client.extract.list(page_size=100).items
    assert all(j.configuration is None and j.extract_metadata is None for j in plain)


def test_combined_filters(client: LlamaCloud, everything: list[Job]) -> None:
    after = datetime(2025, 12, 5, tzinfo=timezone.utc)
    got = ids(
        client.extract.list(
            status="FAILED",
            created_at_on_or_after=after,
            document_input_type="file_id",
            page_size=3,
        )
    )
    want = expect(
        everything,
        lambda j: (
            j.status == "FAILED" and j.created_at >= after and j.file_input.startswith("dfl-")
        ),
    )
    assert got == want


def test_get(client: LlamaCloud, everything: list[Job]) -> None:
    one_of_each = {j.status: j for j in reversed(everything)}
    assert len(one_of_each) == 6
    for job in [*one_of_each.values(), *everything[::60]]:
        got = client.extract.get(job.id, expand=["configuration", "extract_metadata", "usage"])
        assert got.id == job.id and got.status == job.status
        assert got.configuration == job.configuration
    with pytest.raises(llama_cloud.NotFoundError):
        client.extract.get("ext-00000000-0000-4000-8000-000000000000")


# ---------------------------------------------------------------- field metadata

TARGETS = ("per_doc", "per_page", "per_table_row")


def sdk_leaves(parsed: Any) -> int:
    """Leaf entries of the SDK's own parse; anything else left in it is a failure."""
    if isinstance(parsed, ExtractedFieldMetadata):
        return 1
    if isinstance(parsed, dict):
        return sum(sdk_leaves(v) for v in parsed.values())
    if isinstance(parsed, list):
        return sum(sdk_leaves(v) for v in parsed)
    raise AssertionError(f"the SDK left a non-entry in the map: {parsed!r}")


def field_maps(job: Job, seed_shape: bool = False) -> list[dict[str, Any]]:
    """The per-field maps of a completed job, checked against its result and target."""
    fm = job.extract_metadata.field_metadata
    target = job.configuration.extraction_target
    result = job.extract_result
    known = {"document_metadata", "page_metadata", "row_metadata"}
    if target == "per_doc":
        if seed_shape:  # the older answer: the field map right under field_metadata
            assert fm.document_metadata is None and fm.page_metadata is None
            assert list(fm.model_extra or {}) == list(result)
            return [fm.to_dict()]
        assert fm.page_metadata is None and fm.row_metadata is None
        assert list(fm.document_metadata) == list(result)
        return [fm.document_metadata]
    assert not (fm.model_extra or {}).keys() & set(result[0] if result else {})
    items = fm.page_metadata if target == "per_page" else fm.row_metadata
    assert fm.document_metadata is None and len(known - set(fm.to_dict())) == 2
    assert items is not None and len(items) == len(result)
    return items


def check_field_metadata(jobs: list[Job], seed_shape: bool = False) -> None:
    leaves: Counter[str] = Counter()
    for job in jobs:
        if job.status != "COMPLETED":
            continue
        assert job.extract_metadata is not None and job.extract_result is not None
        cfg = job.configuration
        fm = job.extract_metadata.field_metadata
        if not (cfg.cite_sources or cfg.confidence_scores):
            assert fm is None
            continue
        for raw in field_maps(job, seed_shape):
            if seed_shape:  # SDK 2.19 knows the key as `citation`
                raw = rename_citations(raw)
            leaves[cfg.extraction_target] += sdk_leaves(parse_extracted_field_metadata(raw))
    assert set(leaves) == set(TARGETS) and min(leaves.values()) > 100


def rename_citations(value: Any) -> Any:
    if isinstance(value, dict):
        return {("citation" if k == "citations" else k): rename_citations(v)
                for k, v in value.items()}  # fmt: skip
    if isinstance(value, list):
        return [rename_citations(v) for v in value]
    return value


def test_field_metadata_validates_and_the_sdk_parses_it(client: LlamaCloud) -> None:
    full = list(client.extract.list(expand=["configuration", "extract_metadata"], page_size=100))
    assert {j.configuration.extraction_target for j in full} == set(TARGETS)
    check_field_metadata(full)
    # get answers the same metadata as the list, for a job of every target
    for target in TARGETS:
        listed = next(
            j
            for j in full
            if j.status == "COMPLETED"
            and j.configuration.extraction_target == target
            and j.extract_metadata.field_metadata is not None
        )
        got = client.extract.get(listed.id, expand=["configuration", "extract_metadata"])
        assert got.extract_metadata == listed.extract_metadata
        assert got.extract_result == listed.extract_result
        field_maps(got)


class InputAsFileInput(httpx.BaseTransport):
    """Adds `file_input` (the one key SDK 2.19 requires that the seed shape lacks), so that
    the SDK can validate everything else of a seed-shape answer strictly."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        resp = self.inner.handle_request(request)
        resp.read()
        body = resp.json()
        for job in body.get("items", [body]):
            assert "file_input" not in job
            job["file_input"] = job["document_input_value"]
        return httpx.Response(resp.status_code, json=body, request=request)


@pytest.mark.parametrize("carrier", ["socket", "in-process"])
def test_seed_shape_field_metadata_validates_and_the_sdk_parses_it(carrier: str) -> None:
    app = make_app(api_shape="seed")
    srv = SandboxServer(app).start() if carrier == "socket" else None
    try:
        if srv is not None:
            inner: httpx.BaseTransport = httpx.HTTPTransport()
            url = srv.url
        else:
            inner, url = SandboxTransport(app), "http://sandbox.invalid"
        client = sdk(url, httpx.Client(transport=InputAsFileInput(inner)))
        full = list(
            client.extract.list(expand=["configuration", "extract_metadata"], page_size=100)
        )
        assert len(full) == 604
        assert {j.configuration.extraction_target for j in full} == set(TARGETS)
        check_field_metadata(full, seed_shape=True)
        done = next(j for j in full if j.status == "COMPLETED")
        got = client.extract.get(done.id, expand=["configuration", "extract_metadata"])
        assert got.extract_metadata == done.extract_metadata
        client.close()
    finally:
        if srv is not None:
            srv.stop()


# ---------------------------------------------------------------- mutations (own apps)


@pytest.mark.parametrize("carrier", ["socket", "in-process"])
def test_cancel_and_delete(carrier: str) -> None:
    app = make_app(jobs=100)
    srv = SandboxServer(app).start() if carrier == "socket" else None
    try:
        if srv is not None:
            client = sdk(srv.url)
        else:
            client = sdk("http://sandbox.invalid", httpx.Client(transport=SandboxTransport(app)))
        running = next(iter(client.extract.list(status="RUNNING")))
        cancelled = client.extract.cancel(running.id)
        assert cancelled.status == "CANCELLED" and cancelled.id == running.id
        with pytest.raises(llama_cloud.BadRequestError):
            client.extract.cancel(running.id)
        pending = next(iter(client.extract.list(status="PENDING")))
        with pytest.raises(llama_cloud.BadRequestError):
            client.extract.delete(pending.id)
        assert client.extract.delete(pending.id, force=True) == {}
        assert client.extract.delete(running.id) == {}
        for job_id in (running.id, pending.id):
            with pytest.raises(llama_cloud.NotFoundError):
                client.extract.get(job_id)
        assert len(list(client.extract.list(page_size=100))) == 102
        client.close()
    finally:
        if srv is not None:
            srv.stop()


def test_authentication_errors() -> None:
    app = make_app(jobs=10, api_key="llx-right")
    transport = SandboxTransport(app)
    with pytest.raises(llama_cloud.AuthenticationError):
        list(sdk("http://sandbox.invalid", httpx.Client(transport=transport), "llx-wrong")
             .extract.list())  # fmt: skip
    good = sdk("http://sandbox.invalid", httpx.Client(transport=transport), "llx-right")
    assert len(list(good.extract.list())) == 14


def test_the_seed_shape_is_not_the_current_one() -> None:
    """The SDK validates the current shape; the seed page's shape lacks `file_input`."""
    app = make_app(jobs=10, api_shape="seed")
    client = sdk("http://sandbox.invalid", httpx.Client(transport=SandboxTransport(app)))
    with pytest.raises(llama_cloud.APIResponseValidationError):
        list(client.extract.list())


def test_the_sdk_repeats_array_keys_and_the_sandbox_reads_them() -> None:
    app = make_app(jobs=50)
    seen: list[httpx.URL] = []

    class Recording(SandboxTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            seen.append(request.url)
            return super().handle_request(request)

    client = sdk("http://sandbox.invalid", httpx.Client(transport=Recording(app)))
    everything = list(client.extract.list(page_size=100))
    chosen = [everything[5].id, everything[1].id]
    got = list(client.extract.list(job_ids=chosen, expand=["configuration", "extract_metadata"]))
    query = seen[-1].params
    assert query.get_list("job_ids") == chosen
    assert query.get_list("expand") == ["configuration", "extract_metadata"]
    assert [j.id for j in got] == [everything[1].id, everything[5].id]
    assert all(j.configuration is not None for j in got)
