"""Compact JSON encoding, as fast as the installed libraries allow.

orjson when it can be imported (5-10x faster than the standard library); for
what orjson refuses (integers beyond 64 bits, non-string keys, lone
surrogates) and when it is missing, the standard `json` module with the same
compact separators. Key order is kept; non-ASCII text is written as is. NaN and
infinities, which the API never sends, come out as null from orjson.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def _default(value: Any) -> Any:
    # Tuples and sets (from callers building rows), datetimes and the like.
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


def _dumps_stdlib(value: Any) -> str:
    import json  # only when orjson is missing or refuses a value

    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_default)
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: escape everything
            text = json.dumps(value, ensure_ascii=True, separators=(",", ":"), default=_default)
    return text


def _make_dumps() -> Callable[[Any], str]:
    try:
        import orjson
    except ImportError:  # pragma: no cover - orjson is installed where we test
        return _dumps_stdlib

    fast = orjson.dumps
    fast_error = (TypeError, orjson.JSONEncodeError)

    def dumps(value: Any) -> str:
        try:
            return fast(value).decode()
        except fast_error:
            return _dumps_stdlib(value)

    return dumps


dumps: Callable[[Any], str] = _make_dumps()
"""Compact JSON text of `value` (no trailing newline)."""
