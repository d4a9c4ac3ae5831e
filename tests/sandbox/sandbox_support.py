"""Helpers of the sandbox tests: a fixed anchor and a thin caller of the app (`Api`)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from llamaextract_cli.sandbox.app import SandboxApp, SandboxResponse

NOW = "2026-01-01T00:00:00Z"
NOW_S = 1_767_225_600.0
KEY = "llx-test"
LIST = "/api/v2/extract"

Query = Iterable[tuple[str, str]]


class Api:
    """Calls `SandboxApp.handle` the way a client would, with a Bearer key."""

    def __init__(self, app: SandboxApp, key: str = KEY) -> None:
        self.app = app
        self.key = key

    def call(
        self, method: str, path: str, query: Query = (), headers: dict[str, str] | None = None
    ) -> SandboxResponse:
        """`headers=None`: just the Bearer key; otherwise exactly the headers given."""
        if headers is None:
            headers = {"authorization": f"Bearer {self.key}"}
        return self.app.handle(method, path, list(query), headers, b"")

    def ok(self, method: str, path: str, query: Query = ()) -> Any:
        resp = self.call(method, path, query)
        assert resp.status == 200, (resp.status, resp.body[:500])
        return json.loads(resp.body)

    def page(self, query: Query = ()) -> dict[str, Any]:
        return self.ok("GET", LIST, query)

    def get(self, job_id: str, query: Query = ()) -> dict[str, Any]:
        return self.ok("GET", f"{LIST}/{job_id}", query)

    def list_all(
        self, query: Query = (), page_size: int = 100, between: Callable[[], None] | None = None
    ) -> list[dict[str, Any]]:
        """Every job the listing returns, following next_page_token."""
        base = [*query, ("page_size", str(page_size))]
        items: list[dict[str, Any]] = []
        token = None
        for _ in range(100_000):
            page = self.page(base + ([("page_token", token)] if token else []))
            items += page["items"]
            token = page.get("next_page_token")
            if not token:
                return items
            if between is not None:
                between()
        raise AssertionError("the listing never ended")
