"""Packaging like a published tool: an SPDX license with its file in the wheel and the
sdist, classifiers for every supported Python, project URLs, a README that reads on PyPI
(no relative links), and a CI that runs exactly the README's test command."""

from __future__ import annotations

import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
README = (ROOT / "README.md").read_text()
TEST_COMMAND = "python -m pip install -e '.[test]' && python -m pytest -q"


def test_license_is_an_spdx_expression_with_its_file() -> None:
    assert PROJECT["license"] == "MIT"
    assert PROJECT["license-files"] == ["LICENSE"]
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]["requires"]
    (setuptools,) = [r for r in requires if r.startswith("setuptools")]
    assert int(re.search(r">=(\d+)", setuptools).group(1)) >= 77  # PEP 639 support


def test_classifiers_name_every_supported_python() -> None:
    classifiers = PROJECT["classifiers"]
    low = tuple(int(x) for x in PROJECT["requires-python"].removeprefix(">=").split("."))
    assert low == (3, 10)
    for minor in range(10, 14):
        assert f"Programming Language :: Python :: 3.{minor}" in classifiers
    assert "Environment :: Console" in classifiers
    assert any(c.startswith("Topic :: ") for c in classifiers)
    # PEP 639: the license expression replaces the license classifier (setuptools refuses both)
    assert not any(c.startswith("License :: ") for c in classifiers)


def test_project_urls_are_absolute() -> None:
    urls = PROJECT["urls"]
    assert {"Homepage", "Repository", "Issues", "Changelog"} <= set(urls)
    assert all(u.startswith("https://") for u in urls.values())


def test_readme_reads_on_pypi() -> None:
    """Links work on PyPI (absolute or anchors) and the first block installs from PyPI."""
    links = re.findall(r"\]\(([^)]+)\)", README)
    assert links
    relative = [u for u in links if not u.startswith(("https://", "#"))]
    assert relative == []
    anchors = {u[1:] for u in links if u.startswith("#")}
    headings = {
        re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-")
        for h in re.findall(r"^#+ (.+)$", README, re.M)
    }
    assert anchors <= headings, anchors - headings
    first = re.search(r"```sh\n(.*?)```", README, re.S).group(1)
    assert "pip install ." not in first and "-e '.[test]'" not in first
    assert "install llamaextract-cli" in first


def test_ci_runs_exactly_the_readme_command_on_the_oldest_and_newest_python() -> None:
    assert TEST_COMMAND in README
    ci = (ROOT / ".ci" / "run").read_text()
    assert TEST_COMMAND in ci
    assert re.search(r"LX_CI_PYTHONS:-3\.10 3\.13\}", ci)


@pytest.mark.slow
def test_the_wheel_and_sdist_carry_the_license(tmp_path: Path) -> None:
    # (probed from tmp_path: a checkout's build/ directory would pass for the package)
    probe = [sys.executable, "-c", "import build.__main__"]
    if subprocess.run(probe, cwd=tmp_path, capture_output=True).returncode == 0:
        command = [sys.executable, "-m", "build", "--outdir", str(tmp_path), str(ROOT)]
    else:  # no `build`: pip builds the wheel (the sdist then is not checked)
        command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(tmp_path)]
        command.append(str(ROOT))
    built = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = tmp_path.glob("*.whl")
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        metadata = z.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert "License-Expression: MIT" in metadata
    assert "Classifier: Programming Language :: Python :: 3.13" in metadata
    for sdist in tmp_path.glob("*.tar.gz"):
        with tarfile.open(sdist) as t:
            assert any(n.endswith("/LICENSE") for n in t.getnames())
