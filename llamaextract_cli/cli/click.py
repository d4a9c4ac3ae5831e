"""Access to the click that typer uses (typer 0.28 vendors its own copy), and the
parameter types whose errors say what to type in plain words."""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

from typer._click.types import FloatParamType, FloatRange, IntParamType, IntRange
from typer._types import TyperChoice


def click_exceptions() -> ModuleType:
    from typer._click import exceptions

    return exceptions


class Choice(TyperChoice[str]):
    """A choice whose help and errors show the choices as the user should type them, and
    that names the closest choice when the value is near one (`falied`: FAILED?)."""

    def get_metavar(self, param: Any, ctx: Any) -> str | None:
        return "[" + "|".join(self.choices) + "]"

    def get_invalid_choice_message(self, value: Any, ctx: Any) -> str:
        from llamaextract_cli.cli.words import close_match

        message = f"{value!r} is not one of {', '.join(self.choices)}"
        guess = close_match(str(value).strip(), [str(c) for c in self.choices])
        return f"{message} (did you mean {guess}?)" if guess else message


class ChoiceList(Choice):
    """A choice that also takes several, comma-separated (`--status failed,cancelled`, as
    `--id a,b`); the value is the normalized choices joined by commas."""

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        parts = str(value).split(",")
        if len(parts) == 1:
            return super().convert(value, param, ctx)
        if not all(p.strip() for p in parts):
            self.fail(f"{value!r} has an empty item", param, ctx)
        return ",".join(super(ChoiceList, self).convert(p.strip(), param, ctx) for p in parts)


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def range_words(low: float | None, high: float | None, low_open: bool, high_open: bool) -> str:
    """`at least 1`, `from 1 to 100`, `more than 0`: a range as a person says it."""
    if low is not None and high is not None and not low_open and not high_open:
        return f"from {_num(low)} to {_num(high)}"
    parts = []
    if low is not None:
        parts.append(f"more than {_num(low)}" if low_open else f"at least {_num(low)}")
    if high is not None:
        parts.append(f"less than {_num(high)}" if high_open else f"at most {_num(high)}")
    return " and ".join(parts)


class _Bounded:
    """What IntRange and FloatRange share: the bound check, in words."""

    min: Any
    max: Any
    min_open: bool
    max_open: bool
    clamp: bool

    def _describe_range(self) -> str:
        return range_words(self.min, self.max, self.min_open, self.max_open)

    def _bounded(self, rv: Any, value: Any, param: Any, ctx: Any) -> Any:
        low, high = self.min, self.max
        below = low is not None and (rv <= low if self.min_open else rv < low)
        above = high is not None and (rv >= high if self.max_open else rv > high)
        if (below or above) and self.clamp and not (self.min_open or self.max_open):
            return low if below else high
        if below or above:
            words = range_words(low, high, self.min_open, self.max_open)
            self.fail(f"must be {words}, not {value}", param, ctx)  # type: ignore[attr-defined]
        return rv


class PlainInt(_Bounded, IntRange):
    """A whole number, bounded or not: `'abc' is not a whole number`, `must be at least 1`."""

    name = "integer"

    def __init__(
        self,
        min: int | None = None,
        max: int | None = None,
        min_open: bool = False,
        max_open: bool = False,
        clamp: bool = False,
    ) -> None:
        super().__init__(min, max, min_open, max_open, clamp)

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        raw = value
        if isinstance(value, bool) or not isinstance(value, int):
            text = str(value).strip()
            try:
                value = int(text)
            except ValueError:
                self.fail(
                    f"{text!r} is not a whole number" if text else "needs a whole number",
                    param,
                    ctx,
                )
        return self._bounded(value, str(raw).strip(), param, ctx)


class PlainFloat(_Bounded, FloatRange):
    """A finite number, bounded or not. `nan` and `inf` are refused: no option of lx means
    anything with them (`--interval nan` crashed the sleep, `--interval inf` slept forever,
    `--timeout nan` disabled the timeout)."""

    name = "number"

    def __init__(
        self,
        min: float | None = None,
        max: float | None = None,
        min_open: bool = False,
        max_open: bool = False,
        clamp: bool = False,
    ) -> None:
        super().__init__(min, max, min_open, max_open, clamp)

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        raw = value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            text = str(value).strip()
            try:
                value = float(text)
            except ValueError:
                self.fail(f"{text!r} is not a number" if text else "needs a number", param, ctx)
        if not math.isfinite(value):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return self._bounded(value, str(raw).strip(), param, ctx)


def plain_numbers(command: Any) -> None:
    """Give every number option of `command` and its subcommands the plain-words types
    (click says `0 is not in the range x>=1` and `'abc' is not a valid int range`)."""
    for param in command.params:
        t = param.type
        if isinstance(t, (PlainInt, PlainFloat)):
            continue
        if isinstance(t, IntParamType):
            bounds = [getattr(t, a, None) for a in ("min", "max")]
            flags = [bool(getattr(t, a, False)) for a in ("min_open", "max_open", "clamp")]
            param.type = PlainInt(*bounds, *flags)
        elif isinstance(t, FloatParamType):
            bounds = [getattr(t, a, None) for a in ("min", "max")]
            flags = [bool(getattr(t, a, False)) for a in ("min_open", "max_open", "clamp")]
            param.type = PlainFloat(*bounds, *flags)
    for sub in (getattr(command, "commands", None) or {}).values():
        plain_numbers(sub)
