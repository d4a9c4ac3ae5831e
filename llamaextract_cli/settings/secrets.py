"""Masking of API keys: the key is never printed whole, anywhere.

``mask`` turns ``llx-AbCdEf...wxyz`` into ``llx-…wxyz``; ``redact`` replaces every
occurrence of a key (and of ``Bearer <key>``) in a text by its mask. Both are
pure and light: this module imports nothing.
"""

from __future__ import annotations

ELLIPSIS = "…"
HIDDEN = "****"
NONE = "(none)"
# Keys shorter than this are hidden entirely: showing a prefix and the last four
# characters of a short key would give most of it away.
MIN_SHOWN_LENGTH = 12
# A prefix is shown only when it is a short tag such as `llx-`.
MAX_PREFIX_LENGTH = 6


def mask(key: str | None, *, ellipsis: str = ELLIPSIS) -> str:
    """``llx-…abcd``: the prefix up to the first dash, an ellipsis, the last 4.

    A short key is fully hidden (``****``); no key (None or empty) is ``(none)``.
    """
    if not key:
        return NONE
    if len(key) < MIN_SHOWN_LENGTH:
        return HIDDEN
    dash = key.find("-")
    prefix = key[: dash + 1] if 0 < dash < MAX_PREFIX_LENGTH else ""
    return f"{prefix}{ellipsis}{key[-4:]}"


def redact(text: str, key: str | None, *, ellipsis: str = ELLIPSIS) -> str:
    """``text`` with every occurrence of ``key`` (and ``Bearer <key>``) masked."""
    if not key or not text:
        return text
    masked = mask(key, ellipsis=ellipsis)
    text = text.replace(f"Bearer {key}", f"Bearer {masked}")
    return text.replace(key, masked)


# Every key an API client of this process was built with (`remember`), so that the
# error boundary can mask it in whatever it prints, tracebacks included.
_known: set[str] = set()


def remember(key: str | None) -> None:
    if key and len(key) >= MIN_SHOWN_LENGTH:  # masking a 3-letter key would mangle text
        _known.add(key)


def redact_known(text: str) -> str:
    """``text`` with every remembered key masked (the longest first)."""
    for key in sorted(_known, key=len, reverse=True):
        text = redact(text, key)
    return text
