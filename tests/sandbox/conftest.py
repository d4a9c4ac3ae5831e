"""Fixtures of the sandbox tests: a fake clock at a fixed anchor and apps to call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sandbox_support import NOW, NOW_S, Api

from llamaextract_cli.sandbox.app import SandboxApp
from llamaextract_cli.sandbox.clock import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW_S)


@pytest.fixture
def make_app(clock: FakeClock) -> Callable[..., SandboxApp]:
    def make(**kwargs: Any) -> SandboxApp:
        kwargs.setdefault("now", NOW)
        kwargs.setdefault("clock", clock)
        return SandboxApp(**kwargs)

    return make


@pytest.fixture
def app(make_app: Callable[..., SandboxApp]) -> SandboxApp:
    return make_app(jobs=300, seed=7)


@pytest.fixture
def api(app: SandboxApp) -> Api:
    return Api(app)


@pytest.fixture(scope="module")
def big_app() -> SandboxApp:
    """1,000 jobs on a frozen clock, shared by the read-only tests of a module."""
    return SandboxApp(jobs=1000, seed=3, now=NOW, clock=FakeClock(NOW_S))


@pytest.fixture(scope="module")
def big(big_app: SandboxApp) -> Api:
    return Api(big_app)


@pytest.fixture(scope="module")
def big_all(big: Api) -> list[dict[str, Any]]:
    """Every job of big_app with configuration expanded (the reference for filters)."""
    return big.list_all([("expand", "configuration")])
