"""Benchmark of the built-ins for scripts: `--jq` and `-o yaml` against `-o jsonl`, and
`--jq` against `-o jsonl | jq -rc` (the jq binary, when installed).

    python benchmarks/scripting_bench.py [--jobs 2000] [--runs 3]

Each figure is the median wall time of --runs runs of `lx` as a process, on the
in-process sandbox with a pinned clock (`now=`), every job of the data set
(`--all --expand configuration`). Printed as seconds and as a ratio to `-o jsonl`
measured in the same run, since the machine is shared: compare ratios, not seconds.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time


def timed(argv: list[str], pipe_to: list[str] | None = None) -> float:
    started = time.perf_counter()
    lx = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    if pipe_to is None:
        assert lx.stdout is not None
        for _ in lx.stdout:
            pass
        lx.wait()
    else:
        sink = subprocess.Popen(pipe_to, stdin=lx.stdout, stdout=subprocess.DEVNULL)
        assert lx.stdout is not None
        lx.stdout.close()
        sink.wait()
        lx.wait()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    url = f"sandbox://?jobs={args.jobs}&seed=7&now=2026-12-01T00:00:00Z"
    base = [sys.executable, "-m", "llamaextract_cli", "--base-url", url, "jobs", "list"]
    base += ["--all", "--expand", "configuration"]
    cases: list[tuple[str, list[str], list[str] | None]] = [
        ("-o jsonl", ["-o", "jsonl"], None),
        ("--jq .", ["--jq", "."], None),
        ("--jq .id", ["--jq", ".id"], None),
        ("-o json --jq length", ["-o", "json", "--jq", "length"], None),
        ("-o yaml", ["-o", "yaml"], None),
    ]
    jq = shutil.which("jq")
    if jq:
        cases.append(("-o jsonl | jq -rc .", ["-o", "jsonl"], [jq, "-rc", "."]))
        cases.append(("-o jsonl | jq -rc .id", ["-o", "jsonl"], [jq, "-rc", ".id"]))
    figures: dict[str, float] = {}
    for name, extra, pipe in cases:
        figures[name] = statistics.median(timed(base + extra, pipe) for _ in range(args.runs))
    reference = figures["-o jsonl"]
    print(f"{args.jobs} jobs, median of {args.runs} runs")
    for name, seconds in figures.items():
        print(f"  {name:<24} {seconds:7.2f} s  {seconds / reference:5.2f}x of -o jsonl")


if __name__ == "__main__":
    main()
