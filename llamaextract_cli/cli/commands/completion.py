"""lx completion bash|zsh|fish|install: the static completion scripts.

The scripts come from ``completion_gen`` (imported only when one is asked for);
the same files are kept in ``completions/``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

import typer

from llamaextract_cli import choices
from llamaextract_cli.cli.click import Choice
from llamaextract_cli.cli.context import get_state
from llamaextract_cli.completion.install import home_dir, shell_named, target_path, written_by_lx
from llamaextract_cli.errors import LxError, UsageError

HELP = """Print or install the shell completion scripts (bash, zsh, fish).

The scripts are static: commands, flags and fixed values (statuses, formats,
--expand values, --fields names, setting keys, shells) complete without starting
Python. Profile names and the job IDs of your recent listings come from small
files in lx's cache dir, which lx keeps up to date.

\b
Examples:
  lx completion install                   # the shell named by $SHELL
  lx completion bash > ~/.local/share/bash-completion/completions/lx
  mkdir -p ~/.zfunc && lx completion zsh > ~/.zfunc/_lx
  lx completion fish > ~/.config/fish/completions/lx.fish
"""

app = typer.Typer(help=HELP, no_args_is_help=True, rich_markup_mode=None)

SHELL_LIST = "|".join(choices.SHELLS)


def _script(ctx: typer.Context, shell: str) -> str:
    from llamaextract_cli.completion import generate as completion_gen

    return completion_gen.script(shell, completion_gen.build_tree(ctx.find_root().command))


def _print_script(ctx: typer.Context, shell: str) -> None:
    state = get_state(ctx)
    state.env.stdout.write(_script(ctx, shell))
    state.env.stdout.flush()


@app.command("bash")
def bash(ctx: typer.Context) -> None:
    """Print the bash completion script.

    bash-completion 2 loads it from ~/.local/share/bash-completion/completions/lx
    (or $XDG_DATA_HOME/...); without that package, source it from ~/.bashrc.

    \b
    Examples:
      lx completion bash > ~/.local/share/bash-completion/completions/lx
      echo 'eval "$(lx completion bash)"' >> ~/.bashrc
    """
    _print_script(ctx, "bash")


@app.command("zsh")
def zsh(ctx: typer.Context) -> None:
    """Print the zsh completion script (an autoloadable _lx).

    Put it in a directory of $fpath as _lx, before compinit runs; or source it
    after compinit.

    \b
    Examples:
      mkdir -p ~/.zfunc && lx completion zsh > ~/.zfunc/_lx
      # in ~/.zshrc, before compinit: fpath=(~/.zfunc $fpath)
      echo 'eval "$(lx completion zsh)"' >> ~/.zshrc     # after compinit
    """
    _print_script(ctx, "zsh")


@app.command("fish")
def fish(ctx: typer.Context) -> None:
    """Print the fish completion script.

    fish loads it from ~/.config/fish/completions/lx.fish by itself.

    \b
    Examples:
      lx completion fish > ~/.config/fish/completions/lx.fish
      lx completion fish | source
    """
    _print_script(ctx, "fish")


ShellArg = Annotated[
    str | None,
    typer.Argument(
        click_type=Choice(choices.SHELLS),
        help="bash, zsh or fish [default: the one $SHELL names].",
        metavar="[SHELL]",
        show_default=False,
    ),
]


@app.command("install")
def install(
    ctx: typer.Context,
    shell: ShellArg = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="Replace a file at the target that lx did not write."),
    ] = False,
) -> None:
    """Write the completion script to the shell's per-user location.

    bash: $XDG_DATA_HOME/bash-completion/completions/lx (~/.local/share/...);
    zsh: ~/.zfunc/_lx; fish: $XDG_CONFIG_HOME/fish/completions/lx.fish
    (~/.config/...). The file is replaced atomically; a file there that lx did not
    write is left alone unless --force is given. Prints what it did and how to
    turn completion on.

    \b
    Examples:
      lx completion install
      lx completion install zsh
      lx completion install fish --force
    """
    state = get_state(ctx)
    environ = state.env.environ
    shell = shell or detect_shell(environ)
    path = target_path(shell, environ)
    text = _script(ctx, shell)
    state.env.warn(_install(path, text, force=force))
    for line in activation_hints(shell, path, environ):
        state.env.warn(line)


def detect_shell(environ: Mapping[str, str]) -> str:
    """The shell $SHELL names, if lx has a script for it."""
    name = shell_named(environ)
    if name is None:
        shown = environ.get("SHELL") or "(not set)"
        raise UsageError(
            f"cannot tell which shell to install for from SHELL={shown}",
            hint=f"name it: lx completion install {SHELL_LIST}",
        )
    return name


def _install(path: Path, text: str, *, force: bool) -> str:
    """Write `text` at `path` (atomically); returns what was done, as one line."""
    verb = "Installed"
    try:
        old = path.read_text(encoding="utf-8", errors="replace")
    except (FileNotFoundError, NotADirectoryError):
        old = None
    except OSError as e:
        raise LxError(f"cannot read {path}: {e.strerror or e}") from None
    if old is not None:
        if old == text:
            return f"{path} is up to date (nothing to do)"
        if not written_by_lx(old) and not force:
            raise UsageError(
                f"{path} exists and was not written by lx; left unchanged",
                hint="use --force to replace it",
            )
        verb = "Replaced" if not written_by_lx(old) else "Updated"
    try:
        _atomic_write(path, text)
    except OSError as e:
        raise LxError(f"cannot write {path}: {e.strerror or e}") from None
    return f"{verb} {path}"


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def activation_hints(shell: str, path: Path, environ: Mapping[str, str]) -> list[str]:
    """How to turn completion on after `install` (lines for stderr)."""
    if shell == "bash":
        return [
            "New bash shells load it if the bash-completion package is installed.",
            f"Without that package, add to ~/.bashrc: source {path}",
            f"In this shell now: source {path}",
        ]
    if shell == "fish":
        return ["New fish shells load it by themselves.", f"In this shell now: source {path}"]
    lines: list[str] = []
    if not _zfunc_in_zshrc(environ):
        lines += [
            "Add to ~/.zshrc, before any compinit line (once):",
            "  fpath=(~/.zfunc $fpath); autoload -Uz compinit && compinit",
        ]
    lines.append("Then start a new shell: rm -f ~/.zcompdump; exec zsh")
    return lines


def _zfunc_in_zshrc(environ: Mapping[str, str]) -> bool:
    zdotdir = environ.get("ZDOTDIR")
    rc = (Path(zdotdir) if zdotdir else home_dir(environ)) / ".zshrc"
    try:
        return ".zfunc" in rc.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
