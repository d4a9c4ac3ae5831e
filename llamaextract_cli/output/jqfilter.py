"""`--jq EXPR`: a jq filter over the JSON a command writes, printed as `jq -rc` prints it.

The filter runs in libjq (the `jq` package, imported only here and only when `--jq`
is given). `JqSink` is a text stream that stands in for stdout: whatever a command
writes as JSON goes through the filter, and only jq's output reaches the real stdout.

- Records (`jsonl`): each complete line is one input, filtered as it arrives, so a
  listing streams as it would into `| jq -rc EXPR`.
- A document (`json`): everything written is one input, filtered once at the end.

Output is jq's `-r -c`: a string result raw, anything else compact JSON, one per line;
object keys in their order, non-ASCII text as is, control characters and DEL escaped.
Numbers are IEEE doubles printed in their shortest form, as jq 1.6 (Debian 12, Ubuntu
22.04) and gh print them: `9996.0` → `9996`, `1e100` → `1e+100`, `1.5e-7` → `1.5e-07`,
integers beyond 2^53 rounded. Every input number is turned into a double before the
filter runs, so `tostring` and string interpolation see the same spelling. (jq 1.7 and
later keep the spelling of a number the filter does not touch, so there `9996.0` stays.)

A filter error on one record (`.a` of an array) is reported on stderr naming the record
(through `on_error`), the other records are still filtered (as jq does), and the caller
exits 1 at the end.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Callable, Iterator
from decimal import Decimal
from json.encoder import encode_basestring as _quote  # C: JSON escapes, non-ASCII as is
from typing import IO, Any

from llamaextract_cli.errors import UsageError

# Every number becomes a double (jq arithmetic drops a number's literal spelling).
_CANON = (
    'def _lx_canon: if type == "number" then . * 1 '
    'elif type == "array" or type == "object" then map_values(_lx_canon) else . end; '
    "_lx_canon | ("
)
_DBL_MAX = sys.float_info.max


class JqProgram:
    """A compiled filter: `run(text)` yields its results for each JSON value in `text`."""

    def __init__(self, expression: str) -> None:
        import jq

        self.expression = expression
        try:
            self._plain = jq.compile(expression)
        except ValueError as e:
            raise UsageError(
                f"--jq: {compile_message(str(e))}",
                hint="quote it in single quotes; the language: https://jqlang.org/manual/",
            ) from None
        try:
            self._canon = jq.compile(_CANON + expression + "\n)")
        except ValueError:  # `import`/`include` must come first: filter as given
            self._canon = self._plain

    def run(self, text: str) -> Iterator[Any]:
        """The results for the JSON values in `text`, lazily (ValueError: a jq error)."""
        program = self._plain
        if _MAYBE_ODD_NUMBER.search(text):
            text, exotic = doubles_text(text)
            if exotic:
                program = self._canon
        return iter(program.input_text(text))


# A number token that a double does not print the same way: `12.0`, `1e-07`, `-0`, or
# 16 digits and more. Matches inside strings only cost a closer look.
_MAYBE_ODD_NUMBER = re.compile(
    r"(?:^|[\[:,])\s*-?(?:\d+(?:\.\d+)?[eE]|\d+\.\d*0(?![\d])|\d{16}|0(?:\.0*)?(?![\d.eE]))"
)
_SMALL = 10**16


def doubles_text(text: str) -> tuple[str, bool]:
    """`text` with every integral float under 10^16 written as an integer (`12.0` → `12`,
    which every jq prints alike) and every integer beyond 2^53 as the double nearest to
    it, and whether it holds numbers only jq arithmetic makes doubles of (exponents,
    -0, big integers): then the canonicalizing program runs.
    """
    from llamaextract_cli.output.encode import dumps

    try:
        value = json.loads(text)
    except ValueError:
        return text, False  # several values, or not JSON: jq says what is wrong
    exotic = False

    def fix(v: Any) -> Any:
        nonlocal exotic
        if isinstance(v, float):
            if v.is_integer() and abs(v) < _SMALL and not (v == 0 and math.copysign(1, v) < 0):
                return int(v)
            if "e" in repr(v) or not math.isfinite(v) or v == 0:
                exotic = True
            return v
        if isinstance(v, int) and not isinstance(v, bool) and abs(v) > 2**53:
            exotic = True
            return float(v)  # rounded here: libjq rounds long literals to 17 digits first
        elif isinstance(v, dict):
            return {k: fix(x) for k, x in v.items()}
        elif isinstance(v, list):
            return [fix(x) for x in v]
        return v

    fixed = fix(value)
    return dumps(fixed), exotic


def compile_message(message: str) -> str:
    """jq's compile error as one line: `syntax error, unexpected end of file (column 2)`."""
    first = message.strip().splitlines()[0] if message.strip() else "not a jq expression"
    first = first.removeprefix("jq: error: ")
    where = first.rfind(" at <top-level>")
    if where >= 0:
        place = first[where + len(" at <top-level>") :].strip(" ,:")
        first = first[:where]
        if place.startswith("line 1, "):
            place = place.removeprefix("line 1, ")
        if place:
            first += f" ({place})"
    return first


def runtime_message(message: str) -> str:
    """A jq runtime error as one line."""
    text = " ".join(message.split())
    return text.removeprefix("jq: error: ") or "the filter failed"


# --- printing as `jq -rc` ---------------------------------------------------------------


def number_text(value: float | int) -> str:
    """A number as jq 1.6 prints it: the shortest digits of the double, jq's layout."""
    if isinstance(value, int):
        if -(2**53) <= value <= 2**53:  # exactly a double, and never in exponent form
            return str(value)
        value = float(value)
    short = repr(value)
    if "e" not in short and "n" not in short:  # Python's repr is jq's here, but for `.0`
        return short[:-2] if short.endswith(".0") else short
    if math.isnan(value):
        return "null"
    value = max(-_DBL_MAX, min(_DBL_MAX, value))
    sign, digits, exponent = Decimal(repr(value)).as_tuple()
    text = "".join(map(str, digits)).rstrip("0") or "0"
    decpt = len(digits) + int(exponent) if text != "0" else 1
    head = "-" if sign else ""
    if decpt <= -4 or decpt > len(text) + 15:
        mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
        e = decpt - 1
        return f"{head}{mantissa}e{'-' if e < 0 else '+'}{abs(e):02d}"
    if decpt <= 0:
        return f"{head}0.{'0' * -decpt}{text}"
    if decpt >= len(text):
        return head + text + "0" * (decpt - len(text))
    return f"{head}{text[:decpt]}.{text[decpt:]}"


def string_text(value: str) -> str:
    r"""A string as jq writes it: JSON escapes for `"`, `\`, control characters and DEL."""
    text = _quote(value)
    return text.replace("\x7f", "\\u007f") if "\x7f" in text else text


def dump(value: Any) -> str:
    """Compact JSON text of a jq result, as `jq -c` prints it."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return string_text(value)
    if isinstance(value, (int, float)):
        return number_text(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{string_text(k)}:{dump(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(dump(v) for v in value) + "]"
    return string_text(str(value))


def raw(value: Any) -> str:
    """One result as `jq -r` prints it: a string as is, anything else compact JSON."""
    return value if isinstance(value, str) else dump(value)


# --- the stream ---------------------------------------------------------------------------


class JqSink:
    """Stands in for stdout: filters the JSON written to it, writes jq's output to `out`.

    `whole`: the text is one document, filtered once by `finish`; otherwise each line
    is a record, filtered when its newline arrives. `on_error(message)` reports a
    record the filter failed on; `failures` counts them.
    """

    encoding = "utf-8"

    def __init__(
        self,
        program: JqProgram,
        out: IO[str],
        *,
        whole: bool,
        on_error: Callable[[str], None],
    ) -> None:
        self._program = program
        self._out = out
        self._whole = whole
        self._on_error = on_error
        self._parts: list[str] = []
        self._pending = ""
        self.records = 0
        self.failures = 0

    # the subset of a text stream that the writers use
    def write(self, text: str) -> int:
        if self._whole:
            self._parts.append(text)
            return len(text)
        data = self._pending + text
        cut = data.rfind("\n")
        if cut < 0:
            self._pending = data
            return len(text)
        self._pending = data[cut + 1 :]
        for line in data[:cut].split("\n"):
            if line.strip():
                self._filter(line, f"record {self.records + 1}")
        self._out.flush()
        return len(text)

    def flush(self) -> None:
        self._out.flush()

    def isatty(self) -> bool:
        return False

    def writable(self) -> bool:
        return True

    def finish(self, *, complete: bool = True) -> None:
        """Filter what is left: the document (`whole`), or a last line without newline.

        `complete=False` (the command failed): a document that is not whole JSON (cut
        short by the failure) is dropped without a word.
        """
        if self._whole:
            text, self._parts = "".join(self._parts), []
            if text.strip():
                if not complete and not _is_json(text):
                    return
                self._filter(text, "the document")
        elif self._pending.strip():
            text, self._pending = self._pending, ""
            self._filter(text, f"record {self.records + 1}")
        self._out.flush()

    def _filter(self, text: str, what: str) -> None:
        self.records += 1
        lines: list[str] = []
        try:
            for result in self._program.run(text):
                lines.append(raw(result) + "\n")
        except ValueError as e:  # what came before the error is printed, as jq does
            self.failures += 1
            self._out.write("".join(lines))
            self._out.flush()
            self._on_error(f"--jq: {what}: {runtime_message(str(e))}")
            return
        if lines:
            self._out.write("".join(lines))


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True
