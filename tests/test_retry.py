"""The retry rules against the official SDK's: statuses, Retry-After forms, x-should-retry."""

from __future__ import annotations

from datetime import datetime, timezone
from email.utils import format_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llamaextract_cli.api import retry

NOW = 1_700_000_000.0


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (408, True),
        (409, True),
        (429, True),
        (500, True),
        (502, True),
        (503, True),
        (504, True),
        (400, False),
        (401, False),
        (403, False),
        (404, False),
        (422, False),
    ],
)
def test_retryable_statuses_match_the_sdk(status: int, expected: bool) -> None:
    assert retry.RetryPolicy().status_is_retryable(status, {}) is expected


def test_x_should_retry_overrides_the_status() -> None:
    policy = retry.RetryPolicy()
    assert policy.status_is_retryable(503, {"x-should-retry": "false"}) is False
    assert policy.status_is_retryable(400, {"x-should-retry": "true"}) is True
    assert policy.status_is_retryable(503, {"x-should-retry": "maybe"}) is True


def test_retry_after_ms_wins_over_retry_after() -> None:
    assert retry.server_wait({"retry-after-ms": "250", "retry-after": "9"}, NOW) == 0.25


def test_retry_after_seconds_and_http_date() -> None:
    assert retry.server_wait({"retry-after": "3"}, NOW) == 3.0
    when = datetime.fromtimestamp(NOW + 7, tz=timezone.utc)
    assert retry.server_wait({"retry-after": format_datetime(when, usegmt=True)}, NOW) == 7.0


def test_unusable_retry_after_falls_back_to_backoff() -> None:
    for value in ("soon", "-1", "61", "3600", ""):
        assert retry.server_wait({"retry-after": value}, NOW) is None
    assert retry.next_wait(0, {"retry-after": "nonsense"}, NOW, rand=lambda: 0.0) == 0.5


def test_backoff_doubles_up_to_eight_seconds_with_jitter() -> None:
    assert [retry.backoff(n, rand=lambda: 0.0) for n in range(6)] == [0.5, 1, 2, 4, 8, 8]
    assert retry.backoff(1, rand=lambda: 1.0) == 0.75


@given(st.integers(min_value=0, max_value=60), st.floats(min_value=0, max_value=1))
def test_backoff_is_always_within_bounds(n: int, r: float) -> None:
    wait = retry.backoff(n, rand=lambda: r)
    assert 0.375 <= wait <= 8.0
