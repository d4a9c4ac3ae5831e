"""Access to the click that typer uses (typer 0.28 vendors its own copy)."""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

from typer._click.types import FloatParamType, FloatRange
from typer._types import TyperChoice


def click_exceptions() -> ModuleType:
    from typer._click import exceptions

    return exceptions


class Choice(TyperChoice[str]):
    """A choice whose help and errors show the choices as the user should type them."""

    def get_metavar(self, param: Any, ctx: Any) -> str | None:
        return "[" + "|".join(self.choices) + "]"

    def get_invalid_choice_message(self, value: Any, ctx: Any) -> str:
        return f"{value!r} is not one of {', '.join(self.choices)}"


class FiniteFloat(FloatParamType):
    """A float that is a number: `nan` and `inf` are refused (a usage error, exit 2)."""

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        rv = super().convert(value, param, ctx)
        if not math.isfinite(rv):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return rv


class FiniteFloatRange(FloatRange):
    """A FloatRange that refuses `nan` (which every range check lets through) and `inf`."""

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        rv = super().convert(value, param, ctx)
        if not math.isfinite(rv):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return rv


def finite_floats(command: Any) -> None:
    """Make every float option of `command` and its subcommands refuse nan and inf.

    No option of lx means anything with them: `--interval nan` crashed the sleep,
    `--interval inf` slept forever, `--timeout nan` disabled the timeout.
    """
    for param in command.params:
        kind = type(param.type)
        if kind is FloatRange:
            t = param.type
            param.type = FiniteFloatRange(t.min, t.max, t.min_open, t.max_open, t.clamp)
        elif kind is FloatParamType:
            param.type = FiniteFloat()
    for sub in (getattr(command, "commands", None) or {}).values():
        finite_floats(sub)
