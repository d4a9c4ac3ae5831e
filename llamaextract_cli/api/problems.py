"""Turn an HTTP error answer into one readable line and the right exception.

FastAPI bodies (`{"detail": "..."}` or 422 lists of `{loc, msg}`), HTML pages from
proxies and empty bodies are all handled; nothing here raises on odd input.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from http import HTTPStatus

from llamaextract_cli.errors import ApiError, AuthError, LxError, NotFoundError, UsageError

_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def reason(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def _one_line(text: str, limit: int = 200) -> str:
    text = _SPACE.sub(" ", text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe_body(body: bytes, content_type: str = "") -> str:
    """The server's explanation, as one line ('' when it gave none)."""
    if not body.strip():
        return ""
    text = body.decode("utf-8", "replace")
    if "html" in content_type.lower() or text.lstrip().lower().startswith(("<!doctype", "<html")):
        title = re.search(r"<title>(.*?)</title>", text, re.I | re.S)
        shown = title.group(1) if title else _TAG.sub(" ", text)
        return _one_line(f"an HTML page: {shown}", 120)
    try:
        data = json.loads(text)
    except ValueError:
        return _one_line(text, 120)
    detail = data.get("detail", data) if isinstance(data, dict) else data
    if isinstance(detail, list):
        parts = []
        for item in detail[:5]:
            if isinstance(item, dict):
                loc = ".".join(str(x) for x in item.get("loc", []) if x != "query")
                msg = item.get("msg", "")
                parts.append(f"{loc}: {msg}" if loc else str(msg))
            else:
                parts.append(str(item))
        return _one_line("; ".join(parts))
    if isinstance(detail, str):
        return _one_line(detail)
    return _one_line(json.dumps(detail))


# Where a server names the request, for a support ticket (the first one present wins).
REQUEST_ID_HEADERS = ("x-request-id", "request-id", "x-amzn-requestid", "x-correlation-id")


def request_id(headers: Mapping[str, str] | None) -> str | None:
    for name in REQUEST_ID_HEADERS:
        value = (headers or {}).get(name)
        if value and value.strip():
            return value.strip()[:200]
    return None


def annotate(
    error: LxError, status: int | None, headers: Mapping[str, str] | None, now: float
) -> LxError:
    """Give `error` what the answer said: HTTP status, request ID, Retry-After."""
    from llamaextract_cli.api.retry import asked_seconds

    if status is not None:
        error.http_status = status
    if headers is not None:
        error.request_id = request_id(headers)
        error.retry_after = asked_seconds(headers, now)
    return error


def error_for(
    status: int,
    body: bytes,
    content_type: str,
    *,
    what: str = "the API",
    attempts: int = 1,
    headers: Mapping[str, str] | None = None,
    now: float | None = None,
) -> LxError:
    """The error for an HTTP error answer, annotated with what its headers say."""
    import time

    error = _error_for(status, body, content_type, what=what, attempts=attempts)
    return annotate(error, status, headers, time.time() if now is None else now)


def _error_for(
    status: int,
    body: bytes,
    content_type: str,
    *,
    what: str,
    attempts: int,
) -> LxError:
    detail = describe_body(body, content_type)
    said = f": {detail}" if detail else ""
    if status in (401, 403):
        return AuthError(
            f"{what} refused the API key ({reason(status)}){said}",
            hint="run 'lx auth login', check LLAMA_CLOUD_API_KEY, or try --profile sandbox",
        )
    if status == 404:
        return NotFoundError(f"not found ({reason(status)}){said}")
    if status == 422:
        return UsageError(f"{what} rejected the request ({reason(status)}){said}")
    tries = f" after {attempts} attempts" if attempts > 1 else ""
    err = ApiError(f"{what} answered {reason(status)}{tries}{said}", status_code=status)
    if status == 429:
        err.hint = "rate limited: wait a little, or lower --page-size / the number of IDs"
    elif status >= 500:
        err.hint = "the service failed; try again later, --debug shows each attempt"
    return err
