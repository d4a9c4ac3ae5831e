"""Property tests of the parsers every user value goes through: durations and dates
(`timeparse`), field paths (`fields`; tests/test_fields.py has the examples and the
never-crashes properties, these add round trips and laws), and both end to end."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from lxtest import Runner
from relsupport import count

from llamaextract_cli.jobs.fields import (
    FREE_FORM_PREFIXES,
    KNOWN_FIELDS,
    FieldError,
    compile_path,
    get_path,
    parse_fields,
    validate_field,
)
from llamaextract_cli.timeparse import TimeParseError, parse_duration, parse_when

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
CENTURY = 100 * 365 * 86400
UTC = timezone.utc

# text that looks like what people type: digits, units, dates, signs, separators, junk
_typed = st.text(alphabet="0123456789smhdwSMHDW-+:.TZz /_,e ", max_size=30)
_any_text = st.one_of(_typed, st.text(max_size=40))

_components = st.lists(
    st.tuples(st.integers(0, 10**6), st.sampled_from(sorted(UNITS))), min_size=1, max_size=4
)
_aware = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.timezones()
)
_offsets = st.integers(-23 * 60 - 59, 23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m)))


def _tally(kind: str, n: int = 1) -> None:
    count("parser inputs (hypothesis examples)", kind, n)


# --- durations -----------------------------------------------------------------------------


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(_any_text)
def test_parse_duration_returns_seconds_or_a_time_parse_error(text: str) -> None:
    _tally("duration: any text")
    try:
        seconds = parse_duration(text)
    except TimeParseError as e:
        assert repr(text) in str(e)  # the message quotes what was typed
        return
    assert isinstance(seconds, float) and 0 <= seconds <= CENTURY


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(_components, st.sampled_from(["", " ", "\t"]), st.booleans())
def test_parse_duration_round_trips(parts: list[tuple[int, str]], pad: str, upper: bool) -> None:
    _tally("duration: composed")
    text = "".join(f"{n}{u}" for n, u in parts)
    text = pad + (text.upper() if upper else text) + pad
    expected = sum(n * UNITS[u] for n, u in parts)
    if expected > CENTURY:
        try:
            parse_duration(text)
        except TimeParseError as e:
            assert "century" in str(e)
        else:
            raise AssertionError("a duration over a century must be refused")
    else:
        assert parse_duration(text) == float(expected)


# --- dates ---------------------------------------------------------------------------------


@settings(max_examples=400, deadline=None, derandomize=True, database=None)
@given(_any_text, st.booleans())
def test_parse_when_returns_utc_or_a_time_parse_error(text: str, end_of_day: bool) -> None:
    _tally("date: any text")
    try:
        when = parse_when(text, NOW, end_of_day=end_of_day)
    except TimeParseError:
        return
    assert when.tzinfo is not None and when.utcoffset() == timedelta(0)


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)), _offsets)
def test_parse_when_never_overflows(naive: datetime, tz: timezone) -> None:
    """Any ISO text with any offset: a UTC datetime, or one TimeParseError (never an
    OverflowError from the UTC conversion near year 1 or 9999)."""
    _tally("date: extreme offsets")
    text = naive.replace(tzinfo=tz).isoformat()
    try:
        when = parse_when(text, NOW)
    except TimeParseError as e:
        assert "range" in str(e)
        return
    assert when == naive.replace(tzinfo=tz)


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(_aware, st.booleans())
def test_iso_date_times_round_trip(moment: datetime, zulu: bool) -> None:
    _tally("date: ISO round trip")
    try:
        expected = moment.astimezone(UTC)
    except OverflowError:
        assume(False)
    text = expected.isoformat().replace("+00:00", "Z") if zulu else moment.isoformat()
    assert parse_when(text, NOW) == expected


@settings(max_examples=100, deadline=None, derandomize=True, database=None)
@given(st.dates())
def test_a_bare_date_is_the_whole_day(day: Any) -> None:
    _tally("date: bare dates")
    text = day.isoformat()
    assume(len(text) == 10)
    start = parse_when(text, NOW)
    end = parse_when(text, NOW, end_of_day=True)
    assert start == datetime(day.year, day.month, day.day, tzinfo=UTC)
    assert end - start == timedelta(days=1) - timedelta(microseconds=1)


@settings(max_examples=100, deadline=None, derandomize=True, database=None)
@given(st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1)))
def test_naive_means_utc(naive: datetime) -> None:
    _tally("date: naive")
    assert parse_when(naive.isoformat(), NOW) == naive.replace(tzinfo=UTC)


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(_components, _components)
def test_relative_ages_count_back_from_now_and_keep_their_order(
    a: list[tuple[int, str]], b: list[tuple[int, str]]
) -> None:
    _tally("date: relative")
    ta, tb = ("".join(f"{n}{u}" for n, u in parts) for parts in (a, b))
    sa, sb = (sum(n * UNITS[u] for n, u in parts) for parts in (a, b))
    assume(sa <= CENTURY and sb <= CENTURY)
    wa, wb = parse_when(ta, NOW), parse_when(tb, NOW)
    assert wa == NOW - timedelta(seconds=sa)
    assert (wa < wb) == (sa > sb)


# --- field paths ---------------------------------------------------------------------------

_known = st.sampled_from(sorted(KNOWN_FIELDS))
_free = st.tuples(
    st.sampled_from(FREE_FORM_PREFIXES),
    st.lists(st.from_regex(r"[A-Za-z0-9_]{1,8}", fullmatch=True), min_size=1, max_size=3),
).map(lambda t: t[0] + ".".join(t[1]))
_valid = st.one_of(_known, _free, _known.map(lambda p: p + ".0"))
_segment = st.from_regex(r"[a-z_]{1,6}|[0-9]{1,2}", fullmatch=True)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.lists(st.one_of(_valid, st.text(max_size=12)), max_size=6), st.sampled_from([",", ", "]))
def test_parse_fields_is_valid_unique_ordered_and_idempotent(parts: list[str], sep: str) -> None:
    _tally("fields: lists")
    text = sep.join(parts)
    try:
        fields = parse_fields(text)
    except FieldError as e:
        message = str(e)
        assert message and "\n" not in message
        return
    assert fields and len(fields) == len(set(fields))
    for f in fields:
        validate_field(f)
    firsts = list(dict.fromkeys(p.strip() for p in parts if p.strip()))
    assert fields == firsts
    assert parse_fields(",".join(fields)) == fields


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(st.text(max_size=30))
def test_an_invalid_field_error_names_what_was_typed(text: str) -> None:
    _tally("fields: single paths")
    assume("," not in text and text.strip())
    try:
        validate_field(text.strip())
    except FieldError as e:
        assert repr(text.strip()) in str(e)


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(st.lists(_segment, min_size=1, max_size=5), st.integers() | st.text(max_size=5))
def test_get_path_reads_what_was_put(segments: list[str], value: Any) -> None:
    """Build a job with `value` at `segments` (lists where a segment is a number):
    get_path and compile_path both find it."""
    _tally("fields: put/get")
    assume(segments[0] not in ("input", "duration_seconds"))
    node: Any = value
    for seg in reversed(segments[1:]):
        node = [None] * int(seg) + [node] if seg.isdigit() else {seg: node}
    job = {segments[0]: node}
    path = ".".join(segments)
    assert get_path(job, path) == value
    assert compile_path(path)(job) == value


# --- end to end ----------------------------------------------------------------------------


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    since=st.one_of(_typed, st.sampled_from(["2026-01-01", "1h", "9999-12-31T23:00:00-05:00"])),
    fields=st.one_of(_valid, st.text(alphabet="abcdefghijklmnopqrstuvwxyz._, ", max_size=16)),
)
def test_the_cli_takes_a_value_or_names_the_flag(lx: Runner, since: str, fields: str) -> None:
    _tally("cli: --since/--fields pairs")
    r = lx("--profile", "sandbox", "jobs", "list", "-L", "1", "--since", since, "--fields", fields)
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr, r.stderr
    if r.code == 0:  # at most the warning that a --fields path matched nothing (issue 12)
        assert all(
            re.fullmatch(r"lx: warning: --fields \S+ matched nothing in the job shown.*", line)
            for line in r.stderr.splitlines()
        ), r.stderr
        return
    assert r.code == 2, r.stderr
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and re.match(r"lx: .*(--since|--fields)", lines[0]), lines
