"""lx doctor: what is set up, where each value comes from, and what is wrong."""

from __future__ import annotations

from typing import Annotated

import typer

from llamaextract_cli.cli.context import get_state
from llamaextract_cli.cli.jq_option import jq_option
from llamaextract_cli.cli.options import TextFormatOpt, text_format

HELP = """Check the installation, the settings, the key and the API, one line per check.

Checks: versions (lx, Python, OS, libraries); the settings file (path, mode, whether
it parses); the profile in effect and where it comes from; the API key (masked) and
its source; the base URL; one live request (GET /api/v2/extract?page_size=1) with its
latency and the server's clock against this one (relative --since values depend on
it); whether shell completion is installed and current; the cache directory.

Each line is ok, warn or FAIL, with a hint to paste where there is one. The text is
the same in a terminal and in a pipe (paste it into a support ticket); -o json gives
{"ok", "checks": [{"check", "status", "message", "hint", "details"}]}, -o jsonl one
check a line. Exit status: 0 when nothing failed (warnings included), 1 otherwise.

\b
Examples:
  lx doctor
  lx --profile sandbox doctor
  lx doctor --no-live                     # no request (offline)
  lx doctor -o json | jq -r '.checks[] | select(.status != "ok") | .message'
  lx doctor --jq 'select(.status != "ok") | .message'
"""


@jq_option
def doctor(
    ctx: typer.Context,
    output: TextFormatOpt = None,
    no_live: Annotated[
        bool, typer.Option("--no-live", help="Skip the live request (shown as a warning).")
    ] = False,
) -> None:
    from llamaextract_cli.cli.doctor import as_records, failed, run_checks
    from llamaextract_cli.output.doctor_view import write_json, write_text

    fmt = text_format(output)
    state = get_state(ctx)

    def script(shell: str) -> str:
        from llamaextract_cli.completion import generate

        return generate.script(shell, generate.build_tree(ctx.find_root().command))

    checks = run_checks(state, script, live=not no_live)
    records = as_records(checks)
    if fmt == "text":
        wrap = bool(state.env.stdout_isatty)
        write_text(state.env.stdout, records, color=state.stdout_color, wrap=wrap)
    else:
        write_json(state.env.stdout, records, lines=fmt == "jsonl", yaml=fmt == "yaml")
    if failed(checks):
        raise typer.Exit(1)
