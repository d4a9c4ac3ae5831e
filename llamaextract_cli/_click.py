"""Access to the click that typer uses (typer 0.28 vendors its own copy)."""

from __future__ import annotations

from types import ModuleType
from typing import Any

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
