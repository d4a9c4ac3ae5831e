"""Benchmark of `lx jobs rerun`: how fast the paced creates go, at each --rate and latency.

    python benchmarks/create_bench.py [--jobs 25] [--runs 3] [--latency 0,100]

For each server latency, serves `lx sandbox serve --port 0 --jobs 2000 --seed 0` in its own
process, then runs `lx --base-url URL jobs rerun --status FAILED --max N --yes --rate R`
(every original a fresh create: the sandbox never refuses a rerun) as its own process for
R in 1, 5, 10, 15, interleaved round after round, and prints the median wall time, the
creates per second it reached, and the time spent outside the pace (wall minus N / R).
Creates go one at a time, so with a latency L the rate is at most 1 / L.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time

RATES = (1.0, 5.0, 10.0, 15.0)


def serve(latency_ms: int) -> tuple[subprocess.Popen[str], str]:
    lx = [sys.executable, "-m", "llamaextract_cli"]
    proc = subprocess.Popen(
        [*lx, "sandbox", "serve", "--port", "0", "--jobs", "2000", "--seed", "0",
         "--now", "2026-11-01T00:00:00Z", "--latency", str(latency_ms)],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    assert proc.stderr is not None
    first = proc.stderr.readline()
    match = re.search(r"on (http://127\.0\.0\.1:\d+)", first)
    if not match:
        proc.kill()
        raise SystemExit(f"the sandbox did not start: {first}")
    return proc, match.group(1)


def window(url: str, jobs: int) -> str:
    """The --until that makes `--status FAILED` select exactly `jobs` failures (oldest)."""
    import httpx

    query = {"status": "FAILED", "page_size": 100}
    items: list[dict[str, str]] = []
    token = None
    with httpx.Client(base_url=url, headers={"authorization": "Bearer llx-bench"}) as c:
        while True:
            page = c.get(
                "/api/v2/extract", params={**query, **({"page_token": token} if token else {})}
            ).json()
            items += page["items"]
            token = page.get("next_page_token")
            if not token:
                break
    oldest = sorted(items, key=lambda j: j["created_at"])[:jobs]
    return oldest[-1]["created_at"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=25)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--latency", default="0,100", help="server latencies in ms")
    args = parser.parse_args()
    print(f"lx jobs rerun of {args.jobs} originals, median of {args.runs} runs")
    print(f"{'latency':>8} {'rate':>6} {'wall s':>8} {'creates/s':>10} {'beyond pace s':>14}")
    for latency in (int(x) for x in args.latency.split(",")):
        proc, url = serve(latency)
        try:
            until = window(url, args.jobs)
            walls: dict[float, list[float]] = {r: [] for r in RATES}
            for round_ in range(args.runs):
                order = RATES[round_ % len(RATES) :] + RATES[: round_ % len(RATES)]
                for rate in order:
                    walls[rate].append(rerun_until(url, args.jobs, rate, until))
            for rate in RATES:
                wall = statistics.median(walls[rate])
                paced = (args.jobs - 1) / rate
                print(
                    f"{latency:>6}ms {rate:>6g} {wall:>8.2f} {args.jobs / wall:>10.2f} "
                    f"{wall - paced:>14.2f}"
                )
        finally:
            proc.terminate()
            proc.wait(10)


def rerun_until(url: str, jobs: int, rate: float, until: str) -> float:
    exe = [sys.executable, "-m", "llamaextract_cli"]
    cmd = [*exe, "--base-url", url, "jobs", "rerun", "--status", "FAILED", "--until", until,
           "--max", str(jobs), "--yes", "--rate", str(rate), "-o", "jsonl"]  # fmt: skip
    env = {**os.environ, "LLAMA_CLOUD_API_KEY": "llx-bench"}
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"rerun failed ({proc.returncode}): {proc.stderr.strip()[-300:]}")
    if len(proc.stdout.splitlines()) != jobs:
        raise SystemExit(f"expected {jobs} records: {proc.stderr.strip()[-300:]}")
    return wall


if __name__ == "__main__":
    main()
