"""ApiClient over httpx.MockTransport: retries, typed errors, headers, redaction."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from llamaextract_cli.api.client import ApiClient
from llamaextract_cli.api.retry import RetryPolicy
from llamaextract_cli.errors import (
    ApiError,
    AuthError,
    ExitStatus,
    NetworkError,
    NotFoundError,
    ProtocolError,
    UsageError,
)

KEY = "llx-TESTKEY-0123456789abcdefSECRET"
PAGE = {"items": [{"id": "ext-1", "status": "COMPLETED"}]}

Handler = Callable[[httpx.Request], httpx.Response]


def scripted(*answers: httpx.Response | Exception) -> tuple[Handler, list[httpx.Request]]:
    seen: list[httpx.Request] = []
    queue = list(answers)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    return handler, seen


def make(handler: Handler, **kw: object) -> tuple[ApiClient, list[float]]:
    waits: list[float] = []
    client = ApiClient(
        base_url="https://api.example.test",
        api_key=KEY,
        transport=httpx.MockTransport(handler),
        sleep=waits.append,
        rand=lambda: 0.0,
        clock=lambda: 1_700_000_000.0,
        **kw,  # type: ignore[arg-type]
    )
    return client, waits


def ok(body: object = PAGE, **headers: str) -> httpx.Response:
    return httpx.Response(200, json=body, headers=headers)


def test_sends_bearer_key_user_agent_and_repeated_array_keys() -> None:
    handler, seen = scripted(ok())
    client, _ = make(handler)
    client.list_page([("status", "FAILED"), ("job_ids", "a"), ("job_ids", "b")])
    req = seen[0]
    assert req.headers["authorization"] == f"Bearer {KEY}"
    assert req.headers["user-agent"].startswith("lx/")
    assert req.url.path == "/api/v2/extract"
    assert req.url.params.get_list("job_ids") == ["a", "b"]


def test_retries_5xx_then_succeeds_with_sdk_backoff() -> None:
    handler, seen = scripted(httpx.Response(503), httpx.Response(502), ok())
    client, waits = make(handler)
    assert client.list_page([])["items"][0]["id"] == "ext-1"
    assert len(seen) == 3
    assert waits == [0.5, 1.0]


@pytest.mark.parametrize(
    ("headers", "wait"),
    [
        ({"retry-after": "2"}, 2.0),
        ({"retry-after-ms": "1500"}, 1.5),
        ({"retry-after": "Tue, 14 Nov 2023 22:13:23 GMT"}, 3.0),
    ],
)
def test_429_waits_what_the_server_asks(headers: dict[str, str], wait: float) -> None:
    handler, _ = scripted(httpx.Response(429, headers=headers), ok())
    client, waits = make(handler)
    client.list_page([])
    assert waits == [wait]


def test_x_should_retry_false_stops_at_once() -> None:
    handler, seen = scripted(httpx.Response(503, headers={"x-should-retry": "false"}))
    client, _ = make(handler)
    with pytest.raises(ApiError) as e:
        client.list_page([])
    assert len(seen) == 1
    assert "503 Service Unavailable" in e.value.message


def test_gives_up_after_max_retries_with_exit_1() -> None:
    handler, seen = scripted(httpx.Response(500, json={"detail": "boom"}))
    client, waits = make(handler)
    with pytest.raises(ApiError) as e:
        client.list_page([])
    assert len(seen) == 6  # 1 + 5 retries, as the SDK
    assert e.value.exit_status == ExitStatus.ERROR
    assert "after 6 attempts" in e.value.message and "boom" in e.value.message


def test_total_wait_budget_is_bounded() -> None:
    handler, seen = scripted(httpx.Response(429, headers={"retry-after": "50"}))
    client, waits = make(handler, policy=RetryPolicy(max_retries=10, max_total=120))
    with pytest.raises(ApiError) as e:
        client.list_page([])
    assert sum(waits) <= 120
    assert "120s" in (e.value.hint or "")


def test_connection_errors_and_timeouts_are_retried() -> None:
    handler, seen = scripted(httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), ok())
    client, _ = make(handler)
    client.list_page([])
    assert len(seen) == 3


def test_network_failure_after_retries_is_a_network_error() -> None:
    handler, _ = scripted(httpx.ConnectError("Connection refused"))
    client, _ = make(handler)
    with pytest.raises(NetworkError) as e:
        client.list_page([])
    assert "api.example.test" in e.value.message and "6 attempts" in e.value.message


def test_malformed_json_on_get_is_retried_then_reported() -> None:
    handler, seen = scripted(httpx.Response(200, content=b'{"items": [{"id'))
    client, _ = make(handler)
    with pytest.raises(ProtocolError) as e:
        client.list_page([])
    assert len(seen) == 6
    assert "not JSON" in e.value.message


@pytest.mark.parametrize(
    ("status", "body", "exc", "text"),
    [
        (401, {"detail": "Invalid API key"}, AuthError, "(401 Unauthorized): Invalid API key"),
        (403, {"detail": "Forbidden"}, AuthError, "403 Forbidden"),
        (404, {"detail": "Job not found"}, NotFoundError, "Job not found"),
        (
            422,
            {"detail": [{"loc": ["query", "page_size"], "msg": "Input should be <= 100"}]},
            UsageError,
            "page_size: Input should be <= 100",
        ),
        (400, {"detail": "page_token does not match this query"}, ApiError, "400 Bad Request"),
    ],
)
def test_error_statuses_map_to_typed_errors(
    status: int, body: object, exc: type[Exception], text: str
) -> None:
    handler, seen = scripted(httpx.Response(status, json=body))
    client, _ = make(handler)
    with pytest.raises(exc) as e:
        client.get_job("ext-1")
    assert len(seen) == 1
    assert text in str(e.value)


def test_html_error_page_is_summarised_in_one_line() -> None:
    page = "<html><head><title>502 Bad Gateway</title></head><body><h1>nginx</h1></body></html>"
    handler, _ = scripted(
        httpx.Response(502, content=page.encode(), headers={"content-type": "text/html"})
    )
    client, _ = make(handler)
    with pytest.raises(ApiError) as e:
        client.get_job("ext-1")
    assert "\n" not in e.value.message
    assert "HTML page: 502 Bad Gateway" in e.value.message


def test_debug_log_never_contains_the_key() -> None:
    lines: list[str] = []
    handler, _ = scripted(httpx.Response(500), ok())
    client, _ = make(handler, log=lines.append)
    client.list_page([("status", "FAILED")])
    text = "\n".join(lines)
    assert "> GET https://api.example.test/api/v2/extract?status=FAILED" in text
    assert "< 500 Internal Server Error" in text and "retrying in 0.50s" in text
    assert KEY not in text


def test_job_ids_are_escaped_into_the_path() -> None:
    handler, seen = scripted(ok({"id": "a/b"}))
    client, _ = make(handler)
    client.get_job("a/b?x")
    assert seen[0].url.raw_path == b"/api/v2/extract/a%2Fb%3Fx"
    assert json.loads(seen[0].content or b"null") is None


def test_a_404_on_the_list_is_a_wrong_url_not_an_unknown_job() -> None:
    handler, _ = scripted(httpx.Response(404, json={"detail": "Not Found"}))
    client, _ = make(handler)
    with pytest.raises(ApiError) as e:
        client.list_page([])
    assert not isinstance(e.value, NotFoundError)
    assert e.value.exit_status == ExitStatus.ERROR
    assert "base URL" in (e.value.hint or "")
