"""The HTTP client: one httpx.Client per run, Bearer auth, timeouts, retries.

It knows HTTP and the API's paths, nothing of terminals: it returns decoded
JSON and raises `errors.LxError` subclasses.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx

from llamaextract_cli import __version__
from llamaextract_cli.api import retry
from llamaextract_cli.api.problems import annotate, error_for, reason
from llamaextract_cli.api.problems import reason as _reason
from llamaextract_cli.errors import (
    ApiError,
    LxError,
    NetworkError,
    NotFoundError,
    OutcomeUnknown,
    ProtocolError,
)

Params = Sequence[tuple[str, str]]

try:  # orjson decodes pages several times faster than json
    from orjson import JSONDecodeError as _JSONError
    from orjson import loads as _loads
except ImportError:  # pragma: no cover
    from json import JSONDecodeError as _JSONError  # type: ignore[assignment]
    from json import loads as _loads  # type: ignore[assignment]


class ApiClient:
    def __init__(
        self,
        *,
        base_url: str,
        api_key: str | None,
        timeout: float = 60.0,
        transport: httpx.BaseTransport | None = None,
        policy: retry.RetryPolicy | None = None,
        log: Callable[[str], None] | None = None,
        on_retry: Callable[[retry.RetryNotice], None] | None = None,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] = time.time,
        rand: Callable[[], float] = random.random,
        max_connections: int = 20,
    ) -> None:
        headers = {"User-Agent": f"lx/{__version__}", "Accept": "application/json"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self.base_url = base_url.rstrip("/")
        self.policy = policy or retry.RetryPolicy()
        self._log = log
        self.on_retry = on_retry  # told of each wait before it starts (the face may print it)
        self._sleep = sleep or _sleep
        self._clock = clock
        self._rand = rand
        self.throttled = 0  # 429 answers seen, retried or not (pollers back off on them)
        self._local = threading.local()  # per thread: the --debug prefix (a time slice)
        self.last_headers: httpx.Headers | None = None  # of the last answer (`lx doctor`)
        self._http = httpx.Client(
            base_url=self.base_url,
            headers=headers,
            timeout=httpx.Timeout(timeout, connect=min(5.0, timeout)),
            transport=transport,
            follow_redirects=False,
            verify=True if transport is not None else _verify_for(self.base_url),
            # Time slices send up to --concurrency requests at once over one client: keep
            # that many connections alive (httpx keeps 20 by default, opens at most 100).
            limits=httpx.Limits(
                max_connections=max(max_connections, 20) + 4,
                max_keepalive_connections=max(max_connections, 20),
            ),
        )

    def close(self) -> None:
        self._http.close()

    def log_as(self, prefix: str) -> None:
        """Prefix this thread's --debug lines (a worker names the time slice it fetches)."""
        self._local.prefix = prefix

    def log(self, line: str) -> None:
        if self._log:
            prefix = getattr(self._local, "prefix", "")
            self._log(f"{prefix}{line}" if prefix else line)

    # -- the one place requests are made -------------------------------------------------

    def request_json(
        self,
        method: str,
        path: str,
        params: Params = (),
        on_throttle: Callable[[], None] | None = None,
        *,
        json_body: Any = None,
        repeatable: bool = True,
    ) -> Any:
        """Send with retries; return the decoded JSON body of a 2xx answer.

        `on_throttle` is called on every 429 answer, before the retry waits.
        `repeatable=False` (a create) narrows the retries to the failures where the
        server certainly did not act (see `api.retry`); a failure after the request was
        sent raises `OutcomeUnknown` at once, without a second attempt.
        """
        attempts = 0
        waited = 0.0
        while True:
            attempts += 1
            failure, headers = self._attempt(method, path, params, attempts, json_body, repeatable)
            if not isinstance(failure, _Retryable):
                return failure
            if failure.status == 429:
                self.throttled += 1
                if on_throttle is not None:
                    on_throttle()
            retries_done = attempts - 1
            if retries_done >= self.policy.max_retries:
                raise failure.final(attempts)
            wait = retry.next_wait(retries_done, headers, self._clock(), self._rand)
            if waited + wait > self.policy.max_total:
                raise failure.final(attempts, budget=self.policy.max_total)
            if self._log:
                self.log(f"  retrying in {wait:.2f}s ({failure.error.message})")
            if self.on_retry is not None:
                notice = retry.RetryNotice(wait, attempts, self.policy.max_retries, failure.reason)
                self.on_retry(notice)
            self._sleep(wait)
            waited += wait

    def _attempt(
        self,
        method: str,
        path: str,
        params: Params,
        attempt: int,
        json_body: Any = None,
        repeatable: bool = True,
    ) -> tuple[Any, httpx.Headers | None]:
        started = time.perf_counter()
        request = self._http.build_request(method, path, params=list(params), json=json_body)
        if self._log:
            self.log(f"> {method} {request.url}" + (f" (attempt {attempt})" if attempt > 1 else ""))
        try:
            response = self._http.send(request)
        except (httpx.TransportError, OSError) as e:
            if self._log:
                self.log(f"< {type(e).__name__}: {_why(e)}")
            if not repeatable and retry.sent_before(e):
                raise _unknown(method, e, attempt) from None
            if isinstance(e, httpx.TimeoutException):
                error = NetworkError(f"request timed out ({type(e).__name__})")
                return _Retryable(error, reason="timed out"), None
            error = NetworkError(f"could not reach {self._host()}: {_why(e)}")
            return _Retryable(error, reason=_short_why(e)), None
        elapsed = (time.perf_counter() - started) * 1000
        self.last_headers = response.headers
        body = response.content
        if self._log:
            self.log(f"< {reason(response.status_code)} ({elapsed:.0f} ms, {len(body)} bytes)")
        status = response.status_code
        ctype = response.headers.get("content-type", "")
        if 200 <= status < 300:
            if not body.strip() and repeatable:
                return {}, None
            try:
                return _loads(body), None
            except (_JSONError, ValueError):
                what = f"the server answered {reason(status)} with a body that is not JSON"
                if not repeatable:  # it acted (2xx), but what it made cannot be read
                    raise OutcomeUnknown(
                        f"{what}: it accepted the request, but what it made is not known, "
                        "so it was not repeated"
                    ) from None
                err = ProtocolError(f"{what} ({len(body)} bytes; truncated or from a proxy?)")
                annotate(err, status, response.headers, self._clock())
                verdict = retry.should_retry_header(response.headers)
                if method == "GET" and verdict is not False:
                    return _Retryable(err, reason="an answer that is not JSON"), response.headers
                raise err from None
        error = error_for(
            status, body, ctype, attempts=attempt, headers=response.headers, now=self._clock()
        )
        if self.policy.status_is_retryable(status, response.headers, repeatable=repeatable):
            return _Retryable(error, status, body, ctype), response.headers
        if not repeatable and status >= 500:  # it may have acted before failing
            raise OutcomeUnknown(
                f"{error.message}; it may have acted before failing, so it was not repeated",
                status_code=status,
            )
        raise error

    def _host(self) -> str:
        return httpx.URL(self.base_url).host or self.base_url

    # -- the API's operations ------------------------------------------------------------

    def list_page(
        self, params: Params, on_throttle: Callable[[], None] | None = None
    ) -> dict[str, Any]:
        try:
            page = self.request_json("GET", "/api/v2/extract", params, on_throttle)
        except NotFoundError as e:
            # No job ID is involved: a 404 here means the URL is not the API (exit 1).
            err = ApiError(
                f"{self.base_url}/api/v2/extract: {e.message}",
                status_code=404,
                hint="is the base URL right? see 'lx config get base_url' or --base-url",
            )
            err.request_id, err.retry_after = e.request_id, e.retry_after
            raise err from None
        if not isinstance(page, dict) or not isinstance(page.get("items", []), list):
            raise ProtocolError("the server's list answer has no 'items' array")
        return page

    def get_job(self, job_id: str, params: Params = ()) -> dict[str, Any]:
        job = self.request_json("GET", f"/api/v2/extract/{_seg(job_id)}", params)
        if not isinstance(job, dict):
            raise ProtocolError("the server's job answer is not an object")
        return job

    def cancel_job(self, job_id: str, params: Params = ()) -> dict[str, Any]:
        job = self.request_json("POST", f"/api/v2/extract/{_seg(job_id)}/cancel", params)
        return job if isinstance(job, dict) else {}

    def delete_job(self, job_id: str, params: Params = ()) -> Any:
        return self.request_json("DELETE", f"/api/v2/extract/{_seg(job_id)}", params)

    def create_job(self, body: dict[str, Any], params: Params = ()) -> dict[str, Any]:
        """POST /api/v2/extract: the new job (PENDING).

        Never repeated where the server may have acted (`repeatable=False`): a timeout,
        a connection dropped after the request was sent, a 2xx answer that is not a job
        or a plain 5xx raise `OutcomeUnknown`.
        """
        job = self.request_json("POST", "/api/v2/extract", params, json_body=body, repeatable=False)
        if not isinstance(job, dict) or not isinstance(job.get("id"), str) or not job["id"]:
            raise OutcomeUnknown(
                "the server accepted the create, but its answer carries no job ID, "
                "so it was not repeated"
            )
        return job


class _Retryable:
    """A failed attempt that may be retried; `final` is the error to raise when not."""

    def __init__(
        self,
        error: LxError,
        status: int | None = None,
        body: bytes = b"",
        ctype: str = "",
        *,
        reason: str | None = None,
    ) -> None:
        self.error = error
        self.status = status
        self.body = body
        self.ctype = ctype
        self.reason = reason or (_reason(status) if status is not None else error.message)

    def final(self, attempts: int, budget: float | None = None) -> LxError:
        if self.status is not None:
            err = error_for(self.status, self.body, self.ctype, attempts=attempts)
            # the last answer's request ID and Retry-After, as of when it came
            err.request_id, err.retry_after = self.error.request_id, self.error.retry_after
        else:
            err = self.error
            if attempts > 1 and isinstance(err, ApiError):
                old = err
                err = type(err)(f"{err.message} (after {attempts} attempts)")
                err.http_status = old.http_status
                err.request_id, err.retry_after = old.request_id, old.retry_after
        if budget is not None:
            err.hint = f"gave up: retries would exceed {budget:.0f}s of waiting"
        return err


def _verify_for(base_url: str) -> Any:
    """What to verify TLS with: the CA bundle (True) for https, a context without CAs for http.

    Loading the CA bundle costs 15-60 ms of every start-up, and a client on a plain
    http:// base URL never makes a TLS handshake (it follows no redirects). The context
    still demands verification, so a handshake, were one ever attempted, would fail
    rather than trust anything.
    """
    if not base_url.lower().startswith("http://"):
        return True
    import ssl

    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


def _unknown(method: str, e: BaseException, attempt: int) -> OutcomeUnknown:
    """A request that failed after it was sent: the server may have acted on it."""
    if isinstance(e, httpx.TimeoutException):
        what = f"no answer in time ({type(e).__name__})"
    else:
        what = "the connection closed before the answer"
    tries = f" (attempt {attempt})" if attempt > 1 else ""
    return OutcomeUnknown(f"{what}{tries}; the server may have acted on it, so it was not repeated")


def _sleep(seconds: float) -> None:
    time.sleep(seconds)  # looked up at each call, so a test may patch time.sleep


_SHORT_WHY = (
    ("refused", "connection refused"),
    ("name or service not known", "host not found"),
    ("nodename nor servname", "host not found"),
    ("name resolution", "host not found"),
    ("getaddrinfo", "host not found"),
    ("no address associated", "host not found"),
    ("reset", "connection reset"),
    ("unreachable", "network unreachable"),
    ("certificate", "TLS certificate problem"),
    ("ssl", "TLS failure"),
    ("disconnect", "connection dropped"),
    ("incomplete", "connection dropped"),
)


def _short_why(e: BaseException) -> str:
    """A few words for a transport failure: `connection refused`, `host not found`."""
    text = f"{type(e).__name__} {e}".lower()
    return next((words for key, words in _SHORT_WHY if key in text), "connection failed")


def _why(e: BaseException) -> str:
    text = str(e) or type(e).__name__
    return text.splitlines()[0][:160]


def _seg(job_id: str) -> str:
    from urllib.parse import quote

    return quote(job_id, safe="")
