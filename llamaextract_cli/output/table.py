"""A streaming terminal table: fixed widths, one line per row, no rich.

Widths are decided once, from the terminal width and a sample of the first
rows (up to `SAMPLE_ROWS`, or fewer when the caller flushes or closes first:
listings flush once the first page is in), then every later row is written as it comes, so 10,000
rows cost about what csv costs and memory stays flat.

Fitting the width, by what the reader needs:

1. A column whose value the query fixes (`constant`: STATUS under a single
   `--status`) gives up its space; the first header names the value once
   (`ID (all FAILED)`), and a row that disagrees says so in its last column.
2. Every other column without `drop` is always shown (ID, STATUS, CREATED,
   ERROR). The secondary ones (DURATION, INPUT, CONFIG, in that order) are added
   only when they fit whole beside every column at its natural width (the
   widest of header and sampled values), so the error messages keep the width
   the others leave.
3. What is still too wide shrinks: the flexible columns first (error
   messages, `--fields` values), widest first, down to their minimum; then
   any truncatable column down to 5 cells; what still does not fit overflows.
   The last column is never padded and may use all the width left.

A value longer than its column ends with `…`, except in a `wrap` column
narrower than `keep + 1` cells (error messages): the words that fit stay in the
column and the rest continues on an indented line of its own, so the first 40
characters of every error are on the screen at 80 columns. IDs (job, input,
configuration) and statuses are never cut.

`wide` (`-o wide`): every column at its full length, none dropped, nothing cut,
whatever the width; the terminal wraps long lines.

Control characters in values (newlines, tabs, escape sequences, bidirectional
overrides) become one space per run, so a value can neither break the line nor
drive the terminal. Wide (East Asian) characters count as two cells.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from functools import lru_cache
from typing import IO, Any

from llamaextract_cli.output.columns import Column
from llamaextract_cli.output.encode import dumps
from llamaextract_cli.timeparse import humanize_age, humanize_duration, parse_api_time

SAMPLE_ROWS = 100
HARD_MIN = 5  # the narrowest a truncatable column gets when nothing else helps
GAP = "  "
INDENT = "    "  # the continuation line of a wrapped value
EMPTY = "-"
ELLIPSIS = "…"

RESET = "\x1b[0m"
STATUS_COLORS: dict[str, str] = {
    "COMPLETED": "\x1b[32m",  # green
    "FAILED": "\x1b[1;31m",  # bold red
    "CANCELLED": "\x1b[90m",  # grey
    "RUNNING": "\x1b[36m",  # cyan
    "PENDING": "\x1b[33m",  # yellow
    "THROTTLED": "\x1b[33m",
}

# C0 and C1 controls, DEL, line/paragraph separators, bidirectional overrides.
_CONTROL_CHARS = "(?: *[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069])+ *"
_CONTROL: Any = None


def clean(text: str) -> str:
    """`text` with each run of control characters (and spaces around) as one space."""
    if text.isprintable():
        return text
    global _CONTROL
    if _CONTROL is None:
        import re

        _CONTROL = re.compile(_CONTROL_CHARS)
    return _CONTROL.sub(" ", text)


@lru_cache(maxsize=4096)
def _char_width(ch: str) -> int:
    import unicodedata

    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def display_width(text: str) -> int:
    """Terminal cells `text` takes: wide East Asian characters 2, combining marks 0."""
    if text.isascii():
        return len(text)
    return sum(map(_char_width, text))


def truncate(text: str, width: int) -> tuple[str, int]:
    """`text` cut to at most `width` cells, ending with `…`; and its width."""
    if text.isascii():
        if len(text) <= width:
            return text, len(text)
        return text[: max(width - 1, 0)] + ELLIPSIS, max(width, 1)
    total = display_width(text)
    if total <= width:
        return text, total
    out: list[str] = []
    used = 0
    for ch in text:
        w = _char_width(ch)
        if used + w > width - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + ELLIPSIS, used + 1


def terminal_width(stream: IO[str] | None = None) -> int:
    """COLUMNS, else the size of the stream's terminal, else stderr's, else 80.

    A terminal that reports 0 columns (a pseudo-terminal nobody sized: `script`,
    `docker run -t`, some CI runners) does not know its width: the next source decides.
    """
    env = os.environ.get("COLUMNS", "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    import sys

    for candidate in (stream, sys.__stderr__):
        try:
            columns = os.get_terminal_size(candidate.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, OSError, ValueError):
            continue
        if columns > 0:
            return columns
    return 80


def split_words(text: str, width: int) -> tuple[str, str]:
    """The longest run of whole words of `text` within `width` cells, and the rest."""
    head, used = "", 0
    words = text.split(" ")
    for n, word in enumerate(words):
        w = display_width(word) + (1 if n else 0)
        if used + w > width:
            return head, " ".join(words[n:]).lstrip(" ")
        head += (" " if n else "") + word
        used += w
    return head, ""


class TableRenderer:
    def __init__(
        self,
        stream: IO[str],
        columns: Sequence[Column],
        *,
        color: bool = False,
        width: int | None = None,
        now: datetime | None = None,
        absolute_times: bool = False,
        wide: bool = False,
        constant: Mapping[str, str] | None = None,
    ) -> None:
        self._stream = stream
        self._columns = list(columns)
        self._color = color
        self._width = max(width if width is not None else terminal_width(stream), 20)
        self._now = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
        self._absolute = absolute_times
        self._wide = wide
        # Columns whose value the query fixes (none in wide: every column is shown).
        self._constant = {
            i: str(constant[c.name])
            for i, c in enumerate(self._columns)
            if constant and not wide and c.name in constant
        }
        self._sample: list[list[str]] = []
        self._widths: list[int] | None = None  # per column; -1 = dropped
        self._closed = False
        self._formatters = [self._formatter(c) for c in self._columns]

    # --- values to text ------------------------------------------------------

    def _formatter(self, column: Column) -> Any:
        get = column.get
        if column.kind == "time":
            return lambda item: self._time(get(item))
        if column.kind == "duration":
            return lambda item: self._duration(get(item))
        return lambda item: self._text(get(item))

    @staticmethod
    def _text(value: Any) -> str:
        if value is None or value == "":
            return EMPTY
        if type(value) is str:
            return clean(value)
        if value is True:
            return "true"
        if value is False:
            return "false"
        if isinstance(value, (dict, list)):
            return clean(dumps(value))
        return clean(str(value))

    def _time(self, value: Any) -> str:
        if not isinstance(value, str) or not value:
            return self._text(value)
        moment = parse_api_time(value)
        if moment is None:
            return clean(value)
        if self._absolute:
            return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
        return humanize_age((self._now - moment).total_seconds())

    def _duration(self, value: Any) -> str:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return humanize_duration(value)
        return self._text(value)

    # --- layout ----------------------------------------------------------------

    def _shrink(
        self, visible: list[int], natural: list[int], mins: list[int], pool: list[int]
    ) -> tuple[dict[int, int], int]:
        """Widths after shrinking `pool` columns, widest first; and the excess left."""
        widths = {i: natural[i] for i in visible}
        excess = sum(widths.values()) + len(GAP) * (len(visible) - 1) - self._width
        while excess > 0:
            room = [i for i in pool if widths[i] > mins[i]]
            if not room:
                break
            widest = max(room, key=lambda i: (widths[i], i))
            # Down to the next widest column (or the minimum) in one step; ties go
            # one cell at a time so that they end up equal.
            tied = sum(1 for i in room if widths[i] == widths[widest]) > 1
            others = [widths[i] for i in room if widths[i] < widths[widest]]
            floor = max([mins[widest], *others])
            step = 1 if tied else min(excess, widths[widest] - floor)
            widths[widest] -= step
            excess -= step
        return widths, excess

    def _headers(self) -> list[str]:
        headers = [str(c.header) for c in self._columns]
        if self._constant:
            first = next(i for i in range(len(headers)) if i not in self._constant)
            named = ", ".join(f"all {v}" for v in self._constant.values())
            headers[first] = f"{headers[first]} ({named})"
        return headers

    def _layout(self) -> list[int]:
        cols = self._columns
        headers = self._headers()
        natural, content = [], []
        for i, col in enumerate(cols):
            w = max([display_width(headers[i])] + [display_width(r[i]) for r in self._sample])
            content.append(w)
            w = max(w, col.min_width)
            # A column that is never cut (IDs, statuses) keeps its width even beyond the
            # terminal's, so that its header and cells stay aligned; the line overflows.
            natural.append(min(w, self._width) if col.truncate and not self._wide else w)
        if self._wide:
            return natural
        # Never narrower than the header: a header is never chopped.
        mins = [
            natural[i] if not c.truncate else max(min(c.min_width, natural[i]), len(headers[i]))
            for i, c in enumerate(cols)
        ]
        shown = [i for i in range(len(cols)) if i not in self._constant]
        visible = [i for i in shown if cols[i].drop == 0]
        for extra in sorted((i for i in shown if cols[i].drop > 0), key=lambda i: cols[i].drop):
            trial = sorted([*visible, extra])
            if sum(content[i] for i in trial) + len(GAP) * (len(trial) - 1) <= self._width:
                visible = trial
        if not visible:
            visible = shown[:1] or [0]
        flex = [i for i in visible if cols[i].flex and cols[i].truncate]
        widths, excess = self._shrink(visible, natural, mins, flex)
        if excess > 0:
            # Still too wide: every truncatable column may shrink to HARD_MIN cells
            # (never below its header); what still does not fit overflows.
            pool = [i for i in visible if cols[i].truncate]
            hard = [max(min(m, HARD_MIN), len(headers[i])) for i, m in enumerate(mins)]
            widths, excess = self._shrink(visible, natural, hard, pool)
        result = [-1] * len(cols)
        for i in visible:
            result[i] = widths[i]
        result[visible[-1]] += max(-excess, 0)  # the last column may use what is left
        return result

    def _start(self) -> None:
        self._widths = widths = self._layout()
        visible = [i for i, w in enumerate(widths) if w >= 0]
        self._visible = visible
        self._last = visible[-1]
        cols = self._columns
        # A wrapped value continues on its own line only where the column cannot show
        # `keep` characters; elsewhere it is cut with `…`.
        self._wrap = {
            i for i in visible if cols[i].wrap and not self._wide and widths[i] <= cols[i].keep
        }
        headers = self._headers()
        self._emit_cells([headers[i] for i in visible], status_index=None, indexes=visible)
        status = [i for i in visible if self._columns[i].kind == "status"]
        self._status_index = status[0] if status and self._color else None
        sample, self._sample = self._sample, []
        for cells in sample:
            self._emit(cells)

    # --- writing ---------------------------------------------------------------

    def _emit(self, cells: list[str]) -> None:
        if self._constant:
            odd = [f"{cells[i]}" for i, value in self._constant.items() if cells[i] != value]
            if odd:  # a server that ignored the filter: the row says what it is
                cells = list(cells)
                last = cells[self._last]
                cells[self._last] = f"[{', '.join(odd)}] {'' if last == EMPTY else last}".strip()
        self._emit_cells([cells[i] for i in self._visible], self._status_index, self._visible)

    def _emit_cells(self, texts: list[str], status_index: int | None, indexes: list[int]) -> None:
        widths = self._widths
        assert widths is not None
        cols = self._columns
        parts = []
        last = self._last
        rest = ""
        wide = self._wide
        for text, i in zip(texts, indexes, strict=True):
            w = widths[i]
            tw = display_width(text)
            if tw > w and not wide:
                if i in self._wrap:
                    text, rest = split_words(text, w)
                    tw = display_width(text)
                elif cols[i].truncate:
                    text, tw = truncate(text, w)
            pad = "" if i == last else " " * (w - tw)
            if i == status_index:
                code = STATUS_COLORS.get(text)
                if code:
                    text = code + text + RESET
            parts.append(text + pad)
        line = GAP.join(parts)
        if rest:
            more, _ = truncate(rest, self._width - len(INDENT))
            line = line.rstrip(" ") + "\n" + INDENT + more
        self._stream.write(line + "\n")

    def write(self, item: Mapping[str, Any]) -> None:
        cells = [fmt(item) for fmt in self._formatters]
        if self._widths is None:
            self._sample.append(cells)
            if len(self._sample) >= SAMPLE_ROWS:
                self._start()
        else:
            self._emit(cells)

    def flush(self) -> None:
        """Push the rows out (ending the sample: call it once the first page is in)."""
        if self._widths is None and self._sample:
            self._start()
        self._stream.flush()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.flush()
