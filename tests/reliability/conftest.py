"""Reliability tests: the figures of a run go to LX_RELIABILITY_FIGURES, when set."""

from __future__ import annotations

import os

import pytest


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    path = os.environ.get("LX_RELIABILITY_FIGURES")
    if path:
        from relsupport import write_figures

        write_figures(path)
