"""The performance comparisons of issue 6, side by side in one run.

    python benchmarks/run.py [--quick] [--runs N] [--only SECTIONS] [--json results.json]

Starts `lx sandbox serve` in separate processes (one per data set size, so the
server never competes with the measured client for a GIL), runs every
comparison with the commands of a group interleaved round by round (a slow
moment of the machine hits all of them alike), and prints the medians, the
ratios each target is about, and the peak RSS of every command. Nothing here
is a pass/fail test: the verdicts are figures to read (see benchmarks/README.md).

Each command runs as its own process, the way a user runs it: `lx` is the
console script next to this Python (not a pyenv shim), `python -m
llamaextract_cli` is reported beside it. Wall time is measured around the
process; CPU time comes from `os.wait4` (the kernel's accounting of that one
child), peak RSS from GNU time's %M; "server CPU" is what the sandbox process
spent during the run, read from /proc, which tells whether the server was the
bottleneck.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CLIENTS = HERE / "clients"
PY = sys.executable
NOW = "2026-11-01T00:00:00Z"  # the data set's anchor: every run serves the same jobs
# The data set's 30 days before NOW: stats and errors default to the last 7 days of now.
WINDOW = ("--since", "2026-10-01T00:00:00Z", "--until", NOW)
KEY = "llx-bench"
TABLE_WIDTH = "160"
MIB = 1024.0


# --------------------------------------------------------------------------- measuring


@dataclass
class Sample:
    wall: float  # seconds, process start to exit
    cpu: float  # seconds, user + system of the child
    rss_kib: int  # peak resident set size of the child
    first: float | None = None  # seconds to the first line on stdout
    server_cpu: float | None = None  # seconds the sandbox server spent meanwhile


@dataclass
class Case:
    key: str
    label: str
    cmd: list[str]
    first_line: bool = False  # read stdout through a pipe and time the first line
    env: dict[str, str] = field(default_factory=dict)
    warmup: int = 1  # untimed runs first (the first run also fills the server's cache)
    runs: int | None = None  # fewer runs than the group's (a slow reference in --quick)


@dataclass
class Stat:
    key: str
    label: str
    runs: int
    wall: float
    cpu: float
    rss_mib: float
    first: float | None
    server_cpu: float | None
    walls: list[float]


def _clock_ticks() -> int:
    return os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float | None:
    """utime + stime of a running process, in seconds (Linux /proc), else None."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            fields = f.read().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / _clock_ticks()


TIME = "/usr/bin/time"  # GNU time: the peak RSS of exactly the command (%M)


def run_once(case: Case, env: dict[str, str], server_pid: int | None = None) -> Sample:
    """Run one command; its output goes to /dev/null (or a pipe for time-to-first-line).

    The peak RSS comes from GNU time's %M: `os.wait4` of a child forked from this
    process would report at least this process's own size (Linux keeps the high-water
    mark of the image replaced by exec).
    """
    server_before = process_cpu(server_pid) if server_pid else None
    with tempfile.TemporaryFile() as err, tempfile.NamedTemporaryFile("r") as rss:
        cmd = case.cmd
        if os.access(TIME, os.X_OK):
            cmd = [TIME, "-q", "-f", "%M", "-o", rss.name, *cmd]
        started = time.perf_counter()
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if case.first_line else subprocess.DEVNULL,
            stderr=err,
            env={**env, **case.env},
            cwd=ROOT,
        )
        first = None
        if case.first_line:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            first = time.perf_counter() - started
            if not line:
                first = None
            while proc.stdout.read(1 << 16):
                pass
            proc.stdout.close()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            raise RuntimeError(
                f"{case.label}: exit {proc.returncode}: {' '.join(case.cmd)}\n"
                + err.read().decode(errors="replace")[-2000:]
            )
        peak = rss.read().strip().splitlines()
        rss_kib = int(peak[-1]) if peak and peak[-1].isdigit() else usage.ru_maxrss
    server_cpu = None
    if server_pid and server_before is not None:
        after = process_cpu(server_pid)
        server_cpu = None if after is None else after - server_before
    return Sample(
        wall=wall,
        cpu=usage.ru_utime + usage.ru_stime,
        rss_kib=rss_kib,
        first=first,
        server_cpu=server_cpu,
    )


def run_group(
    cases: Sequence[Case],
    runs: int,
    env: dict[str, str],
    server: Server | None = None,
    warmup: int | None = None,
) -> dict[str, Stat]:
    """Every case `runs` times, interleaved (round r starts at case r mod n), after warm-ups."""
    pid = server.pid if server else None
    for case in cases:
        for _ in range(case.warmup if warmup is None else warmup):
            run_once(case, env, pid)
    samples: dict[str, list[Sample]] = {c.key: [] for c in cases}
    for r in range(runs):
        order = list(cases[r % len(cases) :]) + list(cases[: r % len(cases)])
        for case in order:
            if case.runs is not None and len(samples[case.key]) >= case.runs:
                continue
            samples[case.key].append(run_once(case, env, pid))
            progress(".")
    progress("\n")
    return {c.key: summarize(c, samples[c.key]) for c in cases}


def _median_or_none(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def summarize(case: Case, samples: list[Sample]) -> Stat:
    return Stat(
        key=case.key,
        label=case.label,
        runs=len(samples),
        wall=statistics.median(s.wall for s in samples),
        cpu=statistics.median(s.cpu for s in samples),
        rss_mib=statistics.median(s.rss_kib for s in samples) / MIB,
        first=_median_or_none([s.first for s in samples]),
        server_cpu=_median_or_none([s.server_cpu for s in samples]),
        walls=[round(s.wall, 4) for s in samples],
    )


def progress(text: str) -> None:
    print(text, end="", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- the server


class Server:
    """`lx sandbox serve --port 0` in its own process; the URL is read from its stderr."""

    def __init__(self, jobs: int, latency_ms: float = 0.0) -> None:
        self.jobs = jobs
        self.latency_ms = latency_ms
        self.url = ""
        self._proc: subprocess.Popen[str] | None = None

    @property
    def pid(self) -> int:
        assert self._proc is not None
        return self._proc.pid

    def __enter__(self) -> Server:
        cmd = [
            PY,
            "-m",
            "llamaextract_cli",
            "sandbox",
            "serve",
            "--port",
            "0",
            "--jobs",
            str(self.jobs),
            "--live",
            "0",
            "--seed",
            "0",
            "--now",
            NOW,
        ]
        if self.latency_ms:
            cmd += ["--latency", f"{self.latency_ms:g}"]
        self._proc = subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=ROOT
        )
        assert self._proc.stderr is not None
        seen = []
        for line in self._proc.stderr:
            seen.append(line)
            found = re.search(r"on (http://\S+)", line)
            if found:
                self.url = found.group(1)
                break
        if not self.url:
            self._proc.wait(10)
            raise RuntimeError("the sandbox server did not start:\n" + "".join(seen))
        # Keep reading its stderr so that it can never block on a full pipe.
        stream = self._proc.stderr
        threading.Thread(target=lambda: stream.read(), daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


# --------------------------------------------------------------------------- the commands


def lx_script() -> str:
    """The `lx` console script installed beside this Python (what `pip install` puts on PATH)."""
    beside = Path(PY).parent / "lx"
    if beside.exists():
        return str(beside)
    found = shutil.which("lx")
    if not found:
        raise SystemExit("no `lx` console script: pip install -e . first")
    return found


def wrapper_of(lx: str, env: dict[str, str]) -> str | None:
    """An `lx` a shell would run instead of the console script (e.g. a pyenv shim), if any.

    A pyenv shim puts the real bin directory first on PATH for its children, so the
    shim itself is looked for in $PYENV_ROOT/shims as well as on PATH.
    """
    candidates = [shutil.which("lx", path=env.get("PATH"))]
    if env.get("PYENV_ROOT"):
        candidates.append(str(Path(env["PYENV_ROOT"]) / "shims" / "lx"))
    for found in candidates:
        if found and Path(found).exists() and Path(found).resolve() != Path(lx).resolve():
            return found
    return None


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for dist, name in [
        ("llamaextract-cli", "lx"),
        ("typer", "typer"),
        ("httpx", "httpx"),
        ("llama-cloud", "llama-cloud"),
        ("orjson", "orjson"),
        ("rich", "rich"),
    ]:
        try:
            out[name] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def machine() -> dict[str, str]:
    info = {
        "platform": platform.platform(),
        "cpus": str(os.cpu_count()),
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }
    with contextlib.suppress(OSError):
        info["load at start"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return info


def base_env(tmp: Path) -> dict[str, str]:
    """The environment of every measured command: no user settings, a fixed key and width."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("LLAMA_CLOUD_", "LLAMA_PARSE_", "LX_"))
        and k not in ("COLUMNS", "LINES", "NO_COLOR")
    }
    env.update(
        LX_CONFIG=str(tmp / "config.toml"),  # absent: built-in defaults
        LX_CACHE_DIR=str(tmp / "cache"),
        LLAMA_CLOUD_API_KEY=KEY,
        COLUMNS=TABLE_WIDTH,
    )
    return env


def lx_has(lx: str, env: dict[str, str], *args: str) -> bool:
    proc = subprocess.run(
        [lx, *args, "--help"], env=env, capture_output=True, text=True, cwd=ROOT, check=False
    )
    return proc.returncode == 0


def client(name: str, *args: str) -> list[str]:
    return [PY, str(CLIENTS / name), *args]


# --------------------------------------------------------------------------- the report


@dataclass
class Target:
    name: str
    measured: str
    limit: str
    met: bool
    detail: str = ""


class Report:
    def __init__(self) -> None:
        self.stats: dict[str, Stat] = {}
        self.sections: list[tuple[str, list[str]]] = []
        self.targets: list[Target] = []
        self.references: list[tuple[str, str]] = []  # ratios worth reading, not targets
        self.notes: list[str] = []

    def add(self, title: str, stats: dict[str, Stat]) -> None:
        self.stats.update(stats)
        self.sections.append((title, list(stats)))

    def __getitem__(self, key: str) -> Stat:
        return self.stats[key]

    def target(
        self,
        name: str,
        value: float,
        limit: float,
        *,
        fmt: str = "{:.2f}x",
        at_most: bool = True,
        detail: str = "",
    ) -> None:
        met = value <= limit if at_most else value >= limit
        sign = "<=" if at_most else ">="
        self.targets.append(
            Target(name, fmt.format(value), f"{sign} {fmt.format(limit)}", met, detail)
        )

    def reference(self, name: str, value: float, fmt: str = "{:.2f}x") -> None:
        self.references.append((name, fmt.format(value)))

    def render(self, head: dict[str, str]) -> str:
        lines = ["## Run", ""]
        lines += [f"- {k}: {v}" for k, v in head.items()]
        lines += [
            "",
            "## Measurements (medians)",
            "",
            "| command | runs | wall ms | first row ms | CPU ms | server CPU ms | peak RSS MiB |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for title, keys in self.sections:
            lines.append(f"| **{title}** | | | | | | |")
            for k in keys:
                s = self.stats[k]
                lines.append(
                    f"| {s.label} | {s.runs} | {s.wall * 1000:.0f} | {_ms(s.first)} | "
                    f"{s.cpu * 1000:.0f} | {_ms(s.server_cpu)} | {s.rss_mib:.1f} |"
                )
        lines += [
            "",
            "## Targets",
            "",
            "| target | measured | target | met |",
            "|---|---:|---:|---|",
        ]
        for t in self.targets:
            verdict = "met" if t.met else "**missed**"
            name = f"{t.name} ({t.detail})" if t.detail else t.name
            lines.append(f"| {name} | {t.measured} | {t.limit} | {verdict} |")
        if self.references:
            lines += [
                "",
                "## Reference figures (no target)",
                "",
                "| figure | value |",
                "|---|---:|",
            ]
            lines += [f"| {name} | {value} |" for name, value in self.references]
        if self.notes:
            lines += ["", "## Notes", ""] + [f"- {n}" for n in self.notes]
        return "\n".join(lines) + "\n"


def _ms(value: float | None) -> str:
    return "" if value is None else f"{value * 1000:.0f}"


# --------------------------------------------------------------------------- the comparisons


@dataclass
class Plan:
    runs: int
    startup_runs: int
    big: int  # jobs for throughput, time to first row, memory at scale
    small: int  # jobs for the memory baseline and the latency run
    table: int  # jobs for the table comparison
    sdk_modes: tuple[str, ...]
    reference_runs: int | None = None  # runs of the (slow) rich Table reference


def plan_for(args: argparse.Namespace) -> Plan:
    if args.quick:
        plan = Plan(
            runs=5,
            startup_runs=10,
            big=10_000,
            small=2_000,
            table=10_000,
            sdk_modes=("dumps",),
            reference_runs=1,
        )
    else:
        plan = Plan(
            runs=5,
            startup_runs=20,
            big=50_000,
            small=2_000,
            table=10_000,
            sdk_modes=("dumps", "to_json"),
        )
    if args.runs:
        plan.runs = max(args.runs, 1)
        plan.startup_runs = max(plan.startup_runs, plan.runs)
    return plan


def startup(report: Report, plan: Plan, env: dict[str, str], lx: str) -> None:
    progress("start-up ")
    mod = [PY, "-m", "llamaextract_cli"]
    cases = [
        Case("py-pass", "python -I -c pass", [PY, "-I", "-c", "pass"]),
        Case("lx-version", "lx --version", [lx, "--version"]),
        Case("m-version", "python -m llamaextract_cli --version", [*mod, "--version"]),
        Case("py-typer", 'python -I -c "import typer"', [PY, "-I", "-c", "import typer"]),
        Case("lx-help", "lx --help", [lx, "--help"]),
        Case("lx-list-help", "lx jobs list --help", [lx, "jobs", "list", "--help"]),
        Case("m-help", "python -m llamaextract_cli --help", [*mod, "--help"]),
        Case(
            "m-list-help",
            "python -m llamaextract_cli jobs list --help",
            [*mod, "jobs", "list", "--help"],
        ),
    ]
    on_path = wrapper_of(lx, env)
    if on_path:
        cases.append(Case("path-version", f"lx --version via {on_path}", [on_path, "--version"]))
    stats = run_group(cases, plan.startup_runs, env, warmup=2)
    report.add("Start-up", stats)
    p, t = stats["py-pass"].wall, stats["py-typer"].wall
    report.target("`lx --version` / `python -I -c pass`", stats["lx-version"].wall / p, 3)
    report.target(
        "`python -m llamaextract_cli --version` / `python -I -c pass`",
        stats["m-version"].wall / p,
        3,
    )
    report.target("`lx --help` / `python -I -c 'import typer'`", stats["lx-help"].wall / t, 2.5)
    report.target(
        "`lx jobs list --help` / `python -I -c 'import typer'`",
        stats["lx-list-help"].wall / t,
        2.5,
    )
    report.target(
        "`python -m llamaextract_cli jobs list --help` / `import typer`",
        stats["m-list-help"].wall / t,
        2.5,
    )
    if "path-version" in stats:
        extra = (stats["path-version"].wall - stats["lx-version"].wall) * 1000
        report.notes.append(
            f"`lx` in a shell here is {on_path}, a wrapper that adds {extra:.0f} ms to every "
            "call (as it does to `python`); the figures use the console script itself."
        )


def first_row(report: Report, plan: Plan, env: dict[str, str], lx: str, srv: Server) -> None:
    progress("time to first row ")
    url = srv.url
    cases = [
        Case(
            "bare-first",
            "bare httpx: one request, print the item",
            client("bare_first.py", url),
            True,
        ),
        Case(
            "lx-first",
            "lx jobs list -L 1 -o jsonl",
            [lx, "--base-url", url, "jobs", "list", "-L", "1", "-o", "jsonl"],
            True,
        ),
        Case(
            "m-first",
            "python -m llamaextract_cli jobs list -L 1 -o jsonl",
            [
                PY,
                "-m",
                "llamaextract_cli",
                "--base-url",
                url,
                "jobs",
                "list",
                "-L",
                "1",
                "-o",
                "jsonl",
            ],
            True,
        ),
        Case(
            "bare-first-trimmed",
            "bare httpx, trimmed like lx (no trio/anyio/httpx CLI, no CA bundle)",
            client("bare_first.py", url, "--trimmed"),
            True,
        ),
        Case(
            "sdk-first",
            "SDK: first item of client.extract.list",
            client("sdk_list.py", url, "--limit", "1"),
            True,
        ),
    ]
    stats = run_group(cases, max(plan.runs, 9), env, srv)
    report.add(f"Time to first row ({srv.jobs:,} jobs served)", stats)
    bare = stats["bare-first"].first or stats["bare-first"].wall
    report.target(
        "time to first row: `lx jobs list -L 1` / bare httpx",
        (stats["lx-first"].first or 0) / bare,
        1.5,
    )
    report.target(
        "time to first row: `python -m llamaextract_cli` / bare httpx",
        (stats["m-first"].first or 0) / bare,
        1.5,
    )
    trimmed = stats["bare-first-trimmed"].first or stats["bare-first-trimmed"].wall
    report.reference(
        "time to first row: `lx jobs list -L 1` / bare httpx trimmed like lx",
        (stats["lx-first"].first or 0) / trimmed,
    )
    report.reference(
        "time to first row: SDK / `lx jobs list -L 1`",
        (stats["sdk-first"].first or 0) / (stats["lx-first"].first or 1),
    )


def throughput(report: Report, plan: Plan, env: dict[str, str], lx: str, srv: Server) -> None:
    progress(f"throughput ({srv.jobs:,} jobs) ")
    url = srv.url
    listing = [lx, "--base-url", url, "jobs", "list", "--all"]
    cases = [
        Case("lx-jsonl", "lx jobs list --all -o jsonl", [*listing, "-o", "jsonl"]),
        Case("lx-csv", "lx jobs list --all -o csv", [*listing, "-o", "csv"]),
        Case(
            "bare-orjson",
            "bare httpx loop, orjson",
            client("bare_list.py", url, "--decoder", "orjson"),
        ),
        Case(
            "bare-json", "bare httpx loop, json", client("bare_list.py", url, "--decoder", "json")
        ),
    ]
    for mode in plan.sdk_modes:
        what = (
            'json.dumps(job.model_dump(mode="json"))'
            if mode == "dumps"
            else "job.to_json(indent=None)"
        )
        cases.append(
            Case(
                f"sdk-{mode}",
                f"SDK extract.list, {what}",
                client("sdk_list.py", url, "--mode", mode),
                warmup=0,  # the lx runs before it have filled the server's cache
            )
        )
    stats = run_group(cases, plan.runs, env, srv)
    report.add(f"Throughput, {srv.jobs:,} jobs to /dev/null", stats)
    lxj = stats["lx-jsonl"].wall
    for mode in plan.sdk_modes:
        report.target(
            f"throughput: SDK ({mode}) / lx jsonl",
            stats[f"sdk-{mode}"].wall / lxj,
            6,
            at_most=False,
            detail=f"{srv.jobs / stats[f'sdk-{mode}'].wall:,.0f} vs {srv.jobs / lxj:,.0f} jobs/s",
        )
    for key, what in (("bare-orjson", "orjson"), ("bare-json", "json")):
        report.target(
            f"throughput: lx jsonl / bare httpx loop ({what})",
            lxj / stats[key].wall,
            1.3,
            detail=f"{srv.jobs / stats[key].wall:,.0f} jobs/s bare",
        )
    report.target("throughput: lx csv / lx jsonl", stats["lx-csv"].wall / lxj, 1.5)


def export(report: Report, plan: Plan, env: dict[str, str], lx: str, srv: Server) -> None:
    """`jobs export -o csv` against `jobs list -o csv` over the same (COMPLETED) jobs."""
    progress(f"export ({srv.jobs:,} jobs) ")
    url = srv.url
    completed = ["--all", "--status", "COMPLETED"]
    cases = [
        Case("x-list-csv", "lx jobs list --all -s COMPLETED -o csv",
             [lx, "--base-url", url, "jobs", "list", *completed, "-o", "csv"]),
        Case("x-export-csv", "lx jobs export --all -o csv (header learnt: spooled)",
             [lx, "--base-url", url, "jobs", "export", "--all", "-o", "csv"]),
        Case("x-export-jsonl", "lx jobs export --all -o jsonl",
             [lx, "--base-url", url, "jobs", "export", "--all", "-o", "jsonl"]),
        Case("x-export-meta", "lx jobs export --all --metadata -o csv",
             [lx, "--base-url", url, "jobs", "export", "--all", "--metadata", "-o", "csv"]),
    ]  # fmt: skip
    stats = run_group(cases, plan.runs, env, srv)
    report.add(f"Export, {srv.jobs:,} jobs to /dev/null", stats)
    report.target(
        "export: lx jobs export -o csv / lx jobs list -o csv",
        stats["x-export-csv"].wall / stats["x-list-csv"].wall,
        2,
    )


def tables(
    report: Report, plan: Plan, env: dict[str, str], lx: str, srv: Server, tmp: Path
) -> None:
    progress(f"tables ({srv.jobs:,} jobs) ")
    url = srv.url
    dump = tmp / "jobs.jsonl"
    with dump.open("wb") as f:
        subprocess.run(
            [lx, "--base-url", url, "jobs", "list", "--all", "-o", "jsonl"],
            stdout=f,
            env=env,
            check=True,
            cwd=ROOT,
        )
    listing = [lx, "--base-url", url, "jobs", "list", "--all"]
    cases = [
        Case(
            "table",
            f"lx jobs list --all -o table (COLUMNS={TABLE_WIDTH})",
            [*listing, "-o", "table"],
        ),
        Case("table-csv", "lx jobs list --all -o csv", [*listing, "-o", "csv"]),
        Case(
            "rich-table",
            f"reference: one rich Table of the {srv.jobs:,} jobs (from a file)",
            client("rich_table.py", str(dump), "--width", TABLE_WIDTH),
            warmup=0,
            runs=plan.reference_runs,
        ),
    ]
    stats = run_group(cases, plan.runs, env, srv)
    report.add(f"Tables, {srv.jobs:,} jobs to /dev/null", stats)
    report.target("table / csv", stats["table"].wall / stats["table-csv"].wall, 3)
    report.reference(
        f"one rich Table of {srv.jobs:,} rows / `lx jobs list --all -o table`",
        stats["rich-table"].wall / stats["table"].wall,
    )


def memory(
    report: Report,
    plan: Plan,
    env: dict[str, str],
    lx: str,
    small: Server,
    big: Server,
    commands: Sequence[tuple[str, str, list[str]]],
) -> None:
    for srv in (small, big):
        progress(f"memory ({srv.jobs:,} jobs) ")
        cases = [
            Case(f"mem-{name}-{srv.jobs}", label, [lx, "--base-url", srv.url, *args])
            for name, label, args in commands
        ]
        report.add(f"Memory, {srv.jobs:,} jobs", run_group(cases, plan.runs, env, srv))
    for name, label, _ in commands:
        grow = report[f"mem-{name}-{big.jobs}"].rss_mib - report[f"mem-{name}-{small.jobs}"].rss_mib
        report.target(
            f"peak RSS growth, `{label}`, {small.jobs:,} -> {big.jobs:,} jobs",
            grow,
            10,
            fmt="{:+.1f} MiB",
        )


def latency(
    report: Report, plan: Plan, env: dict[str, str], lx: str, fast: Server, slow: Server
) -> None:
    progress(f"latency ({slow.jobs:,} jobs, {slow.latency_ms:g} ms a request) ")
    args = ["jobs", "list", "--all", "-o", "jsonl"]
    # How many requests the listing makes (--debug logs one "> GET" line each).
    debug = subprocess.run(
        [lx, "--debug", "--base-url", fast.url, *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=True,
        cwd=ROOT,
    )
    pages = sum(1 for line in debug.stderr.splitlines() if line.startswith("> GET"))
    cases = [
        Case("lat-0", f"lx {' '.join(args)}, no latency", [lx, "--base-url", fast.url, *args]),
        Case(
            "lat-100",
            f"lx {' '.join(args)}, {slow.latency_ms:g} ms a request",
            [lx, "--base-url", slow.url, *args],
        ),
    ]
    stats = run_group(cases, plan.runs, env)
    report.add(f"Latency hiding, {slow.jobs:,} jobs in {pages} pages", stats)
    floor = stats["lat-0"].wall + pages * slow.latency_ms / 1000
    report.target(
        f"latency: `--all` over {pages} pages at {slow.latency_ms:g} ms / ({pages} x "
        f"{slow.latency_ms:g} ms + the same run without latency)",
        stats["lat-100"].wall / floor,
        1.10,
        detail=f"{stats['lat-100'].wall * 1000:.0f} ms vs {floor * 1000:.0f} ms",
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller data sets (about 2 minutes)")
    parser.add_argument("--runs", type=int, default=0, help="runs per command (default 5)")
    parser.add_argument("--json", type=Path, help="also write every figure to this JSON file")
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated sections: startup,first,throughput,export,tables,memory,latency",
    )
    args = parser.parse_args(argv)
    plan = plan_for(args)
    only = {s.strip() for s in args.only.split(",") if s.strip()}

    def wanted(section: str) -> bool:
        return not only or section in only

    # Bytecode for every module, as `pip install` leaves it (this environment may set
    # PYTHONDONTWRITEBYTECODE, which would make every run compile the package again).
    subprocess.run(
        [PY, "-m", "compileall", "-q", str(ROOT / "llamaextract_cli")],
        check=False,
        stdout=subprocess.DEVNULL,
    )
    lx = lx_script()
    head = {**versions(), **machine(), "lx command": lx, "mode": "quick" if args.quick else "full"}
    report = Report()
    if args.quick:
        report.notes.append(
            f"--quick: throughput, time to first row and memory use {plan.big:,} jobs (the "
            "issue's targets are stated at 50,000, where start-up weighs less) and the rich "
            "Table reference runs once; run without --quick for the recorded figures."
        )
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="lx-bench-") as tmpdir:
        tmp = Path(tmpdir)
        env = base_env(tmp)
        mem_commands: list[tuple[str, str, list[str]]] = [
            ("jsonl", "lx jobs list --all -o jsonl", ["jobs", "list", "--all", "-o", "jsonl"])
        ]
        for name in ("stats", "errors", "review"):
            if lx_has(lx, env, "jobs", name):
                mem_commands.append(
                    (
                        name,
                        f"lx jobs {name} -o json (the data set's 31 days)",
                        ["jobs", name, *WINDOW, "-o", "json"],
                    )
                )
            else:
                report.notes.append(f"`lx jobs {name}` does not exist in this build: not measured")
        if lx_has(lx, env, "jobs", "export"):
            for name, extra in (
                ("csv", ["-o", "csv"]),
                ("metadata", ["--metadata", "-o", "jsonl"]),
            ):
                mem_commands.append(
                    (
                        f"export-{name}",
                        f"lx jobs export --all {' '.join(extra)}",
                        ["jobs", "export", "--all", *extra],
                    )
                )
        if wanted("startup"):
            startup(report, plan, env, lx)
        if wanted("first") or wanted("throughput") or wanted("memory") or wanted("export"):
            with Server(plan.big) as big:
                if wanted("first"):
                    first_row(report, plan, env, lx, big)
                if wanted("throughput"):
                    throughput(report, plan, env, lx, big)
                if wanted("export") and lx_has(lx, env, "jobs", "export"):
                    export(report, plan, env, lx, big)
                if wanted("memory"):
                    with Server(plan.small) as small:
                        memory(report, plan, env, lx, small, big, mem_commands)
        if wanted("tables"):
            with Server(plan.table) as srv:
                tables(report, plan, env, lx, srv, tmp)
        if wanted("latency"):
            with Server(plan.small) as fast, Server(plan.small, latency_ms=100) as slow:
                latency(report, plan, env, lx, fast, slow)
    with contextlib.suppress(OSError):
        head["load at end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    head["duration"] = f"{time.perf_counter() - started:.0f} s"
    text = report.render(head)
    print(text)
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "head": head,
                    "stats": {k: asdict(v) for k, v in report.stats.items()},
                    "targets": [asdict(t) for t in report.targets],
                    "notes": report.notes,
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
