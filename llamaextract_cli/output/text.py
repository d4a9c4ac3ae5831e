"""Lines of text for people, on a stream that may not carry every character."""

from __future__ import annotations

from typing import IO

from llamaextract_cli.settings.secrets import ELLIPSIS


def plural(count: int, word: str, many: str | None = None) -> str:
    """`1 job`, `2 jobs`, `1,204 pages`: a count and its noun, agreed."""
    return f"{count:,} {word if count == 1 else many or word + 's'}"


def emit(stream: IO[str], text: str) -> None:
    """One line to ``stream``; a terminal that cannot show '…' gets '...'."""
    try:
        print(text, file=stream, flush=True)
    except UnicodeEncodeError:
        text = text.replace(ELLIPSIS, "...")
        encoding = getattr(stream, "encoding", None) or "ascii"
        text = text.encode(encoding, "replace").decode(encoding, "replace")
        print(text, file=stream, flush=True)
