"""Every `lx` example of the README runs against the built-in sandbox and still works.

Each example line of a ```sh / ```console block is run by bash with `lx` bound to this
checkout and `LX_PROFILE=sandbox`; placeholders (`ext-…`, `"$JOB"`, `cfg-…`) become real
IDs of the sandbox's data set, and `127.0.0.1:8787` the address of a `lx sandbox serve`
the test starts. An example may exit 0, or 1 where it tests for failures
(`--fail-if-any`, `|| exit 1`); never a usage error, a traceback or an internal error, and
never an empty answer (`null`, blank rows) where it shows data. Lines that need a real
account, a profile the reader creates, or run forever are listed in SKIP, each with why.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SKIP = (
    "auth login",  # needs a real key
    "sandbox serve",  # runs until stopped (tested in tests/sandbox/)
    "completion install",  # writes into $HOME (tested in test_completion.py)
    "--profile eu",  # a profile the reader creates first
    "default_profile eu",
    "jobs cancel ext-123",  # asks on a terminal: without one it refuses by design
    "jobs watch --since 1h",  # a live view that runs until Ctrl-C
    "list --watch --status RUNNING",
    "--since 1h --fail-fast",  # the data set's RUNNING jobs never end (test_jobs_wait.py)
)


def examples() -> list[str]:
    text = (ROOT / "README.md").read_text()
    found = []
    for _, body in re.findall(r"```(sh|console)\n(.*?)```", text, re.S):
        for raw in body.splitlines():
            line = raw.strip().removeprefix("$ ")
            if "lx " not in line or line.startswith("#"):
                continue
            if not re.match(r"(\w+=\S+ )*lx ", line) and not re.search(r"(\||&&) lx ", line):
                continue
            found.append(line)
    return found


def runnable(line: str) -> bool:
    return not any(s in line for s in SKIP)


def sandbox_ids() -> dict[str, str]:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "llamaextract_cli",
            "--profile",
            "sandbox",
            "jobs",
            "list",
            "--all",
            "--expand",
            "configuration",
            "-o",
            "jsonl",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    jobs = [json.loads(line) for line in out.splitlines()]
    done = [j for j in jobs if j["status"] == "COMPLETED"]
    # `jobs result ext-123 | jq .total`: a per_doc job whose result has a total (an invoice
    # or a receipt; which kind is newest depends on the hour the data set is anchored at)
    per_doc = next(
        j
        for j in done
        if j["configuration"].get("extraction_target") == "per_doc"
        and isinstance(j.get("extract_result"), dict)
        and j["extract_result"].get("total") is not None
    )
    # `jobs result ext-456 -f name,qty,price`: a per_table_row job of the line-items schema
    rows = next(
        j
        for j in done
        if j["configuration"].get("extraction_target") == "per_table_row"
        and "qty" in json.dumps(j["configuration"].get("data_schema", {}))
    )
    config = next(j["configuration_id"] for j in jobs if j.get("configuration_id"))
    return {"doc": per_doc["id"], "rows": rows["id"], "other": done[1]["id"], "cfg": config}


def substitute(line: str, ids: dict[str, str]) -> str:
    line = re.sub(r"^.*pip install \S+ && ", "", line)
    line = line.replace("127.0.0.1:8787", ids["server"])
    line = line.replace("ext-456", ids["rows"]).replace("ext-2", ids["other"])
    for placeholder in ("ext-…", "ext-123", "ext-1"):
        line = line.replace(placeholder, ids["doc"])
    return line.replace("cfg-…", ids["cfg"]).replace("cfg-123", ids["cfg"])


PRELUDE = """
lx() {{ "{py}" -m llamaextract_cli "$@"; }}
alert() {{ :; }}
notify() {{ :; }}
export LX_PROFILE=sandbox JOB={job}
"""


def run(line: str, ids: dict[str, str], cwd: Path) -> tuple[str, subprocess.CompletedProcess[str]]:
    script = PRELUDE.format(py=sys.executable, job=ids["doc"]) + line + "\n"
    proc = subprocess.run(
        ["bash", "-c", script],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return line, proc


def test_the_readme_has_sandbox_examples() -> None:
    lines = examples()
    assert any("--profile sandbox jobs list --status FAILED" in line for line in lines)
    assert len([line for line in lines if runnable(line)]) >= 30


def empty_answer(line: str, stdout: str) -> bool:
    """The example printed data, but nothing in it: `null`s, or rows of empty cells."""
    lines = [x for x in stdout.splitlines() if x.strip()]
    if not lines or ">" in line.split("lx ", 1)[1]:
        return False
    if all(x.strip() == "null" for x in lines):
        return True
    rows = lines[1:] if re.search(r"-o (csv|tsv)", line) else []
    return bool(rows) and all(not x.replace(",", "").replace("\t", "").strip() for x in rows)


@pytest.mark.skipif(shutil.which("jq") is None, reason="the README's pipelines use jq")
def test_every_readme_example_runs_against_the_sandbox(tmp_path: Path) -> None:
    from llamaextract_cli.sandbox.app import SandboxApp
    from llamaextract_cli.sandbox.server import SandboxServer

    server = SandboxServer(SandboxApp(jobs=600, seed=7, live=0), port=0)
    server.start()
    try:
        ids = {**sandbox_ids(), "server": server.url.split("://", 1)[1].rstrip("/")}
        lines = [substitute(line, ids) for line in examples() if runnable(line)]
        with ThreadPoolExecutor(max_workers=2) as pool:
            results = list(pool.map(lambda line: run(line, ids, tmp_path), lines))
    finally:
        server.stop()
    bad = []
    for line, proc in results:
        allowed = {0, 1} if ("fail-if-any" in line or "|| exit 1" in line) else {0}
        if (
            proc.returncode not in allowed
            or "Traceback" in proc.stderr
            or "internal error" in proc.stderr
        ):
            bad.append(f"{line}\n  exit {proc.returncode}: {proc.stderr.strip()[:300]}")
        elif empty_answer(line, proc.stdout):
            bad.append(f"{line}\n  printed no data: {proc.stdout[:200]!r}")
    assert not bad, "\n".join(bad)
    assert any(ids["server"] in line for line, _ in results)


def test_the_first_command_lists_failed_sandbox_jobs() -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "llamaextract_cli",
            "--profile",
            "sandbox",
            "jobs",
            "list",
            "--status",
            "FAILED",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0 and proc.stderr == ""
    statuses = {json.loads(line)["status"] for line in proc.stdout.splitlines()}
    assert statuses == {"FAILED"}
