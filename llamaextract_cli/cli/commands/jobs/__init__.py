# ruff: noqa: I001  (import order is the order of `lx jobs --help`)
"""`lx jobs ...`: one module per command family, all registered on `app`."""

from llamaextract_cli.cli.commands.jobs.group import app  # noqa: F401

# Registration order is the order of `lx jobs --help`.
from llamaextract_cli.cli.commands.jobs import listing  # noqa: F401
from llamaextract_cli.cli.commands.jobs import inspect  # noqa: F401
from llamaextract_cli.cli.commands.jobs import exporting  # noqa: F401
from llamaextract_cli.cli.commands.jobs import waiting  # noqa: F401
from llamaextract_cli.cli.commands.jobs import changing  # noqa: F401
from llamaextract_cli.cli.commands.jobs import triage  # noqa: F401
from llamaextract_cli.cli.commands.jobs import reviewing  # noqa: F401
from llamaextract_cli.cli.commands.jobs import watching  # noqa: F401
