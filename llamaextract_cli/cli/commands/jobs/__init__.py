# ruff: noqa: I001  (import order is the order of `lx jobs --help`)
"""`lx jobs ...`: one module per command family, all registered on `app`."""

import typer

app = typer.Typer(
    help="List, inspect, wait on, cancel and triage extract jobs.",
    no_args_is_help=True,
)

# Registration order is the order of `lx jobs --help`.
from llamaextract_cli.cli.commands.jobs import listing  # noqa: E402,F401
from llamaextract_cli.cli.commands.jobs import inspect  # noqa: E402,F401
from llamaextract_cli.cli.commands.jobs import waiting  # noqa: E402,F401
from llamaextract_cli.cli.commands.jobs import changing  # noqa: E402,F401
from llamaextract_cli.cli.commands.jobs import triage  # noqa: E402,F401
from llamaextract_cli.cli.commands.jobs import watching  # noqa: E402,F401
