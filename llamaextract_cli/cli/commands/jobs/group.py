"""The `lx jobs` group, on which every command module of this package registers."""

import typer

app = typer.Typer(
    help="List, inspect, wait on, cancel and triage extract jobs.",
    no_args_is_help=True,
)
