"""Benchmark of TAB completion: the static scripts of completions/ vs typer's dynamic completion.

    python benchmarks/completion_bench.py [--runs 7] [--loop 200]

For each request (the words typed so far, the last one being completed):

- static, in the shell: `completions/lx.bash` is sourced once, then its completion
  function answers the request --loop times in the same bash process; the time per
  call is what a user waits for after pressing TAB in an open shell. zsh
  (`_lx_candidates`) and fish (`complete -C`) are measured the same way when
  installed.
- static, whole process: `bash -c 'source lx.bash; <one request>'` from start to exit,
  the pessimistic figure (bash start-up and parsing the script included).
- typer dynamic: what typer's own completion does on every TAB: start Python with
  `_LX_COMPLETE=complete_bash COMP_WORDS=... COMP_CWORD=...` and let click walk the
  same command tree. Our app sets add_completion=False, so typer never registers its
  completion classes and `python -m llamaextract_cli` answers "Shell bash not
  supported"; the benchmark registers them (typer's `completion_init()`) and runs
  the root command of our app with prog name `lx`, which is exactly what
  add_completion=True would have given.

Each figure is the median of --runs runs. The job-ID cache holds 500 IDs (the
most the cache keeps), so `jobs get <TAB>` reads the largest file it can meet.
Target (performance issue): under 10 ms per request, at least 10x faster than typer.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = {shell: ROOT / "completions" / f"lx.{shell}" for shell in ("bash", "zsh", "fish")}

REQUESTS: list[tuple[str, list[str], str]] = [
    # (label, words with the word being completed last, what answers it)
    ("lx <TAB>", ["lx", ""], "commands"),
    ("lx jobs list --st<TAB>", ["lx", "jobs", "list", "--st"], "flags"),
    ("lx jobs list --status <TAB>", ["lx", "jobs", "list", "--status", ""], "fixed values"),
    ("lx jobs list --fields id,st<TAB>", ["lx", "jobs", "list", "--fields", "id,st"], "field list"),
    ("lx --profile <TAB>", ["lx", "--profile", ""], "profiles file"),
    ("lx jobs get <TAB>", ["lx", "jobs", "get", ""], "500 job IDs file"),
]

TYPER_DYNAMIC = (
    "from typer._completion_classes import completion_init; completion_init(); "
    "from llamaextract_cli.cli.app import get_root_command; get_root_command().main(prog_name='lx')"
)


def _bash_words(words: list[str]) -> str:
    return "COMP_WORDS=(" + " ".join(shlex.quote(w) for w in words) + ")"


def static_bash_loop(words: list[str], loop: int, env: dict[str, str]) -> float:
    """ms per completion call, the script sourced once in one bash process."""
    script = (
        f"source {shlex.quote(str(SCRIPTS['bash']))}; {_bash_words(words)}; "
        f"COMP_CWORD={len(words) - 1}; COMP_LINE={shlex.quote(' '.join(words))}; "
        "COMP_POINT=${#COMP_LINE}; _lx; n=${#COMPREPLY[@]}; "
        "t0=$EPOCHREALTIME; "
        f"for ((k = 0; k < {loop}; k++)); do _lx; done; "
        't1=$EPOCHREALTIME; echo "$t0 $t1 $n"'
    )
    out = _run(["bash", "--norc", "--noprofile", "-c", script], env).split()
    t0, t1, n = float(out[0].replace(",", ".")), float(out[1].replace(",", ".")), int(out[2])
    if n == 0:
        raise SystemExit(f"bash gave no candidates for {words}")
    return (t1 - t0) * 1000 / loop


def static_zsh_loop(words: list[str], loop: int, env: dict[str, str]) -> float:
    words_z = " ".join(shlex.quote(w) for w in words)
    script = (
        f"zmodload zsh/datetime; source {shlex.quote(str(SCRIPTS['zsh']))}; "
        f"words=({words_z}); CURRENT={len(words)}; "
        "t0=$EPOCHREALTIME; "
        f"for ((k = 0; k < {loop}; k++)); do _lx_candidates; done; "
        "t1=$EPOCHREALTIME; print $t0 $t1 ${#reply}"
    )
    out = _run(["zsh", "-f", "-c", script], env).split()
    if int(out[2]) == 0:
        raise SystemExit(f"zsh gave no candidates for {words}")
    return (float(out[1]) - float(out[0])) * 1000 / loop


def static_fish_loop(words: list[str], loop: int, env: dict[str, str]) -> float:
    line = " ".join(words)
    script = (
        f"source {shlex.quote(str(SCRIPTS['fish']))}; "
        f"set -l n (count (complete -C {shlex.quote(line)})); "
        "set -l t0 (date +%s%N); "
        f"for k in (seq {loop}); complete -C {shlex.quote(line)} >/dev/null; end; "
        "set -l t1 (date +%s%N); echo $t0 $t1 $n"
    )
    out = _run(["fish", "--no-config", "-c", script], env).split()
    if int(out[2]) == 0:
        raise SystemExit(f"fish gave no candidates for {words}")
    return (int(out[1]) - int(out[0])) / 1e6 / loop


def static_bash_process(words: list[str], env: dict[str, str]) -> float:
    """ms for a whole `bash -c 'source lx.bash; complete once'`."""
    script = (
        f"source {shlex.quote(str(SCRIPTS['bash']))}; {_bash_words(words)}; "
        f"COMP_CWORD={len(words) - 1}; _lx; echo ${{#COMPREPLY[@]}}"
    )
    t0 = time.perf_counter()
    out = _run(["bash", "--norc", "--noprofile", "-c", script], env)
    elapsed = (time.perf_counter() - t0) * 1000
    if out.strip() == "0":
        raise SystemExit(f"bash gave no candidates for {words}")
    return elapsed


def typer_dynamic(words: list[str], env: dict[str, str]) -> float:
    """ms for typer's dynamic completion of the same request (one Python process)."""
    e = {
        **env,
        "_LX_COMPLETE": "complete_bash",
        "COMP_WORDS": " ".join(words),
        "COMP_CWORD": str(len(words) - 1),
    }
    t0 = time.perf_counter()
    _run([sys.executable, "-c", TYPER_DYNAMIC], e)
    return (time.perf_counter() - t0) * 1000


def _run(argv: list[str], env: dict[str, str]) -> str:
    p = subprocess.run(argv, env=env, capture_output=True, text=True, check=False, cwd=ROOT)
    if p.returncode != 0:
        raise SystemExit(f"{argv[0]} failed: {p.stderr.strip()[:500]}")
    return p.stdout


def median(fn: object, runs: int) -> float:
    return statistics.median(fn() for _ in range(runs))  # type: ignore[operator]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs per figure (median)")
    parser.add_argument("--loop", type=int, default=200, help="calls per in-shell timing")
    args = parser.parse_args()
    if args.runs < 5:
        parser.error("--runs must be at least 5")

    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp)
        (cache / "profiles").write_text("default\neu\nstaging\nsandbox\n")
        (cache / "job_ids").write_text(
            "".join(f"ext-{i:08x}-0000-4000-8000-{i:012x}\n" for i in range(500))
        )
        env = {**os.environ, "LX_CACHE_DIR": str(cache), "PYTHONPATH": str(ROOT)}
        env.pop("_LX_COMPLETE", None)
        shells = [s for s in ("zsh", "fish") if shutil.which(s)]

        header = f"{'request':36} {'bash':>7} " + "".join(f"{s:>7} " for s in shells)
        header += f"{'bash -c':>8} {'typer':>8} {'ratio':>7} {'ratio*':>7}"
        print(f"TAB completion, ms per request (median of {args.runs} runs)")
        print(header)
        print("-" * len(header))
        ratios: list[float] = []
        worst_static = 0.0
        for label, words, _what in REQUESTS:
            bash_ms = median(lambda w=words: static_bash_loop(w, args.loop, env), args.runs)
            others = []
            for shell in shells:
                fn = static_zsh_loop if shell == "zsh" else static_fish_loop
                loop = args.loop if shell == "zsh" else max(20, args.loop // 4)
                others.append(median(lambda w=words, f=fn, n=loop: f(w, n, env), args.runs))
            proc_ms = median(lambda w=words: static_bash_process(w, env), args.runs)
            typer_ms = median(lambda w=words: typer_dynamic(w, env), args.runs)
            ratio, ratio_proc = typer_ms / bash_ms, typer_ms / proc_ms
            ratios.append(ratio_proc)
            worst_static = max(worst_static, bash_ms, *others)
            print(
                f"{label:36} {bash_ms:7.2f} "
                + "".join(f"{v:7.2f} " for v in others)
                + f"{proc_ms:8.1f} {typer_ms:8.1f} {ratio:6.0f}x {ratio_proc:6.1f}x"
            )
        print()
        print("bash/zsh/fish: the static script answering inside an open shell (what TAB costs);")
        print("bash -c: a whole bash process sourcing the script and answering once;")
        print("typer: typer's dynamic completion of the same request (a Python process per TAB);")
        print("ratio: typer / static in bash; ratio*: typer / whole bash process.")
        ok = worst_static < 10 and min(ratios) >= 10
        print(
            f"target (< 10 ms per request, >= 10x faster than typer): "
            f"{'met' if ok else 'MISSED'} (slowest static {worst_static:.2f} ms, "
            f"smallest ratio* {min(ratios):.1f}x)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
