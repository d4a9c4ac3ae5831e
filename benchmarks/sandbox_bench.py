"""Benchmark of the sandbox: pages per second over HTTP, and the cost of a 100,000-job data set.

    python benchmarks/sandbox_bench.py [--jobs 50000] [--pages 3000] [--runs 5] [--expand X]

Serves a SandboxServer on 127.0.0.1:0 and pages through it with one httpx keep-alive client
(page_size 100; `--expand` asks every page with it), restarting from the first page whenever
the listing ends, until --pages pages are read; the median of --runs runs is reported. A
first pass over every job, with the server's cache of serialized jobs still empty, is
reported apart as the cold figure. Then measures generating a 100,000-job data set: wall
time, tracemalloc peak and retained, and the process RSS delta.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx

from llamaextract_cli.sandbox.app import SandboxApp
from llamaextract_cli.sandbox.data import Dataset
from llamaextract_cli.sandbox.server import SandboxServer

NOW = "2026-01-01T00:00:00Z"


def rss_bytes() -> int:
    """Current resident set size (Linux /proc; falls back to the peak from resource)."""
    try:
        with open("/proc/self/statm") as f:
            import os

            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def next_token(body: bytes) -> str | None:
    """The page's next_page_token, read from the end of the body (the server puts it after
    the items) so that the client's JSON parsing does not dominate what is measured."""
    at = body.rfind(b'"next_page_token":"', max(0, len(body) - 4096))
    if at < 0:
        return None
    start = at + len(b'"next_page_token":"')
    return body[start : body.index(b'"', start)].decode()


def page_run(
    url: str, pages: int, page_size: int, expand: tuple[str, ...] = ()
) -> tuple[float, int]:
    """(seconds, bytes) to read `pages` pages with one keep-alive client."""
    headers = {"Authorization": "Bearer llx-bench"}
    with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
        token: str | None = None
        total = 0
        t0 = time.perf_counter()
        for _ in range(pages):
            params: list[tuple[str, str | int]] = [("page_size", page_size)]
            params += [("expand", x) for x in expand]
            if token:
                params.append(("page_token", token))
            resp = client.get("/api/v2/extract", params=params)
            resp.raise_for_status()
            total += len(resp.content)
            token = next_token(resp.content)
        return time.perf_counter() - t0, total


def bench_pages(
    jobs: int, pages: int, runs: int, page_size: int, expand: tuple[str, ...] = ()
) -> list[tuple[str, str]]:
    app = SandboxApp(jobs=jobs, seed=0, now=NOW)
    cold_pages = -(-(jobs + 4) // page_size)  # one pass over everything, empty cache
    with SandboxServer(app) as srv:
        cold, _ = page_run(srv.url, cold_pages, page_size, expand)
        results = [page_run(srv.url, pages, page_size, expand) for _ in range(runs)]
    median = statistics.median(t for t, _ in results)
    size = results[0][1] / pages
    return [
        ("jobs served, page_size", f"{jobs + 4:,}, {page_size}"),
        ("expand", ",".join(expand) or "-"),
        (f"pages/s, warm (median of {runs} runs of {pages})", f"{pages / median:,.0f}"),
        ("jobs/s, warm", f"{pages * page_size / median:,.0f}"),
        ("MB/s, warm", f"{results[0][1] / 1e6 / median:,.1f}"),
        (f"pages/s, cold (first pass, {cold_pages} pages)", f"{cold_pages / cold:,.0f}"),
        ("mean page size", f"{size / 1024:,.1f} KiB"),
    ]


def bench_dataset(jobs: int) -> list[tuple[str, str]]:
    gc.collect()
    rss0 = rss_bytes()
    t0 = time.perf_counter()
    data = Dataset(seed=0, jobs=jobs, anchor_ms=1_767_225_600_000)
    elapsed = time.perf_counter() - t0
    rss1 = rss_bytes()
    del data
    gc.collect()
    tracemalloc.start()
    data = Dataset(seed=0, jobs=jobs, anchor_ms=1_767_225_600_000)
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert data.n == jobs + 4
    return [
        (f"generate {jobs:,} jobs", f"{elapsed:.2f} s"),
        ("tracemalloc retained", f"{current / 1e6:.1f} MB ({current / jobs:.0f} B/job)"),
        ("tracemalloc peak", f"{peak / 1e6:.1f} MB"),
        ("RSS delta", f"{(rss1 - rss0) / 1e6:.1f} MB"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=50_000, help="jobs served (default 50,000)")
    parser.add_argument("--pages", type=int, default=3000, help="pages per run (default 3000)")
    parser.add_argument("--runs", type=int, default=5, help="runs (default 5)")
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--dataset-jobs", type=int, default=100_000)
    parser.add_argument(
        "--expand",
        action="append",
        default=[],
        choices=("configuration", "extract_metadata"),
        help="ask every page with this expand (repeatable)",
    )
    args = parser.parse_args()
    rows = [("python", sys.version.split()[0])]
    try:
        import orjson  # noqa: F401

        rows.append(("JSON encoder", "orjson"))
    except ImportError:
        rows.append(("JSON encoder", "json (stdlib)"))
    rows += bench_dataset(args.dataset_jobs)
    rows += bench_pages(args.jobs, args.pages, args.runs, args.page_size, tuple(args.expand))
    width = max(len(k) for k, _ in rows)
    print(f"{'sandbox benchmark':<{width}}  value")
    print(f"{'-' * width}  {'-' * 20}")
    for key, value in rows:
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    main()
