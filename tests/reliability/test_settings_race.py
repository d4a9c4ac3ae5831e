"""Two `lx config set` at once leave a valid settings file holding one of the outcomes,
never a torn or empty one, and lose neither change when they touch different keys.

tests/test_settings.py races the settings API (`settings.update`); these race the command
line itself: processes that each run `lx config set` many times (through main.run, the
same code as `lx`), pairs of real `lx config set` processes, and a reader that parses the
file the whole time.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from relsupport import REPO, count, lx_argv, lx_env

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

pytestmark = pytest.mark.slow

N = 60

_DRIVER = """
import sys
from llamaextract_cli.cli.main import run
key, tag, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
for i in range(n):
    if key == "api_key":
        sys.stdin = __import__("io").StringIO(f"llx-{tag}-{i:04d}-0123456789abcdef\\n")
        code = run(["auth", "login", "--with-token", "--no-verify"])
    else:
        code = run(["config", "set", key, f"{tag}-{i}"])
    assert code == 0, code
"""

_READER = """
import os, sys
try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib
path, stop = sys.argv[1], sys.argv[2]
reads = 0
while not os.path.exists(stop):
    try:
        data = open(path, "rb").read()
    except FileNotFoundError:
        continue
    doc = tomllib.loads(data.decode())  # raises on a torn file
    assert data.strip() and "profiles" in doc, "an empty or headless file"
    reads += 1
print(reads)
"""


def _race(tmp_path: Path, writers: list[tuple[str, str]]) -> tuple[dict, int]:
    env = lx_env(tmp_path, LX_PROFILE="work")
    env.pop("LLAMA_CLOUD_API_KEY")
    config = Path(env["LX_CONFIG"])
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[profiles.work]\nformat = "json"\n')
    config.chmod(0o600)
    stop = tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-c", _READER, str(config), str(stop)],
        stdout=subprocess.PIPE,
        text=True,
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _DRIVER, key, tag, str(N)],
            env=env,
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for key, tag in writers
    ]
    try:
        codes = [p.wait(timeout=120) for p in procs]
    finally:
        stop.touch()
        out, _ = reader.communicate(timeout=60)
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait(10)
    assert codes == [0] * len(writers)
    assert reader.returncode == 0, "the reader saw a torn or empty file"
    count("settings races", "config set / auth login runs raced", N * len(writers))
    count("settings races", "reads of the file while racing", int(out))
    return tomllib.loads(config.read_text()), int(out)


def test_the_same_key_ends_with_one_of_the_two_values(tmp_path: Path) -> None:
    doc, reads = _race(tmp_path, [("project_id", "a"), ("project_id", "b")])
    assert reads > 0
    assert doc["profiles"]["work"]["project_id"] in {f"a-{N - 1}", f"b-{N - 1}"}
    assert doc["profiles"]["work"]["format"] == "json"  # what neither touched is intact


def test_different_keys_both_survive(tmp_path: Path) -> None:
    doc, _ = _race(tmp_path, [("project_id", "p"), ("organization_id", "o"), ("api_key", "k")])
    work = doc["profiles"]["work"]
    assert work["project_id"] == f"p-{N - 1}"
    assert work["organization_id"] == f"o-{N - 1}"
    assert work["api_key"] == f"llx-k-{N - 1:04d}-0123456789abcdef"
    assert sorted(p.name for p in Path(tmp_path / "config").iterdir()) == [
        "config.toml",
        "config.toml.lock",
    ]  # no temporary file left behind


def test_real_lx_config_set_processes_racing(tmp_path: Path) -> None:
    """Pairs of real `lx config set` processes started together."""
    env = lx_env(tmp_path, LX_PROFILE="work")
    config = Path(env["LX_CONFIG"])
    for round_ in range(4):
        pair = [
            subprocess.Popen(
                lx_argv("config", "set", "project_id", f"{who}-{round_}"),
                env=env,
                cwd=REPO,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            for who in ("x", "y")
        ]
        results = [(p.wait(timeout=60), p.stderr.read() if p.stderr else "") for p in pair]
        for p in pair:
            if p.stderr:
                p.stderr.close()
        assert [code for code, _ in results] == [0, 0], results
        value = tomllib.loads(config.read_text())["profiles"]["work"]["project_id"]
        assert value in {f"x-{round_}", f"y-{round_}"}
        count("settings races", "real lx config set pairs")
