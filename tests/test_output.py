"""Renderers (llamaextract_cli.output): exact output of every format."""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llamaextract_cli.output import FORMATS, Column, make_renderer
from llamaextract_cli.output.columns import (
    CSV_COLUMNS,
    TABLE_COLUMNS,
    columns_for_fields,
    columns_for_keys,
)
from llamaextract_cli.output.delimited import flatten
from llamaextract_cli.output.encode import dumps
from llamaextract_cli.output.table import SAMPLE_ROWS, clean, display_width, truncate

NOW = datetime(2026, 11, 29, 15, 0, 0, tzinfo=timezone.utc)

# The seed's shape: document_input_value, metadata.usage.
SEED = {
    "id": "ext-aaaaaaaa-0000-0000-0000-000000000001",
    "created_at": "2026-11-29T14:03:12.117Z",
    "document_input_value": "dfl-aaaaaaaa-0000-0000-0000-00000000000a",
    "project_id": "prj-1",
    "status": "COMPLETED",
    "updated_at": "2026-11-29T14:04:17.000Z",
    "configuration_id": "cfg-11111111-2222-3333-4444-555555555555",
    "metadata": {
        "usage": {"num_document_tokens": 1200, "num_output_tokens": 80, "num_pages_extracted": 3}
    },
}
# Today's shape: file_input, top-level usage; plus a field no version knows.
FAILED = {
    "id": "ext-bbbbbbbb-0000-0000-0000-000000000002",
    "created_at": "2026-11-29T12:00:00Z",
    "file_input": "dfl-bbbbbbbb-0000-0000-0000-00000000000b",
    "project_id": "prj-1",
    "status": "FAILED",
    "updated_at": "2026-11-29T12:00:30Z",
    "configuration": {"tier": "agentic", "cite_sources": True},
    "error_message": "Parse failed:\n\tthe document is password protected and cannot be opened",
    "usage": {"credits": 12.5, "extract_credits": 10, "parse_credits": 2.5},
    "new_field": {"x": [1, 2]},
}
RUNNING = {
    "id": "ext-cccccccc-0000-0000-0000-000000000003",
    "created_at": "2026-11-29T14:59:58Z",
    "file_input": "dfl-c",
    "project_id": "prj-1",
    "status": "RUNNING",
    "updated_at": "2026-11-29T14:59:59Z",
    "configuration_id": "cfg-2",
}
ODD = {
    "id": "ext-dddddddd-0000-0000-0000-000000000004",
    "created_at": "2026-11-20T09:00:00Z",
    "file_input": "dfl-d",
    "project_id": "prj-1",
    "status": "PAUSED_FOR_REVIEW",
    "updated_at": "2026-11-20T09:10:00Z",
}
JOBS = [SEED, FAILED, RUNNING]


class Recorder(io.StringIO):
    """A stream that remembers each write and counts flushes."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[str] = []
        self.flushes = 0

    def write(self, s: str) -> int:
        self.writes.append(s)
        return super().write(s)

    def flush(self) -> None:
        self.flushes += 1
        super().flush()


def render(fmt: str, items: Sequence[dict[str, Any]] = JOBS, **options: Any) -> str:
    out = io.StringIO()
    options.setdefault("now", NOW)
    renderer = make_renderer(fmt, out, **options)
    for item in items:
        renderer.write(item)
    renderer.close()
    return out.getvalue()


def lines(*rows: str) -> str:
    return "".join(row + "\n" for row in rows)


SEED_LINE = (
    '{"id":"ext-aaaaaaaa-0000-0000-0000-000000000001","created_at":"2026-11-29T14:03:12.117Z",'
    '"document_input_value":"dfl-aaaaaaaa-0000-0000-0000-00000000000a","project_id":"prj-1",'
    '"status":"COMPLETED","updated_at":"2026-11-29T14:04:17.000Z",'
    '"configuration_id":"cfg-11111111-2222-3333-4444-555555555555",'
    '"metadata":{"usage":{"num_document_tokens":1200,"num_output_tokens":80,'
    '"num_pages_extracted":3}}}'
)
FAILED_LINE = (
    '{"id":"ext-bbbbbbbb-0000-0000-0000-000000000002","created_at":"2026-11-29T12:00:00Z",'
    '"file_input":"dfl-bbbbbbbb-0000-0000-0000-00000000000b","project_id":"prj-1",'
    '"status":"FAILED","updated_at":"2026-11-29T12:00:30Z",'
    '"configuration":{"tier":"agentic","cite_sources":true},'
    '"error_message":"Parse failed:\\n\\tthe document is password protected and cannot be '
    'opened","usage":{"credits":12.5,"extract_credits":10,"parse_credits":2.5},'
    '"new_field":{"x":[1,2]}}'
)
RUNNING_LINE = (
    '{"id":"ext-cccccccc-0000-0000-0000-000000000003","created_at":"2026-11-29T14:59:58Z",'
    '"file_input":"dfl-c","project_id":"prj-1","status":"RUNNING",'
    '"updated_at":"2026-11-29T14:59:59Z","configuration_id":"cfg-2"}'
)


# --- make_renderer -------------------------------------------------------------


def test_formats_are_the_cli_formats() -> None:
    from llamaextract_cli.choices import FORMATS as CLI_FORMATS

    assert FORMATS == CLI_FORMATS


def test_unknown_format_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown output format 'xml'"):
        make_renderer("xml", io.StringIO())


@pytest.mark.parametrize("fmt", FORMATS)
def test_close_twice_is_harmless(fmt: str) -> None:
    out = io.StringIO()
    renderer = make_renderer(fmt, out, now=NOW, width=120)
    renderer.write(SEED)
    renderer.close()
    first = out.getvalue()
    renderer.close()
    assert out.getvalue() == first


@pytest.mark.parametrize("fmt", FORMATS)
def test_flush_reaches_the_stream(fmt: str) -> None:
    out = Recorder()
    renderer = make_renderer(fmt, out, now=NOW, width=120)
    renderer.write(SEED)
    renderer.flush()
    assert out.flushes >= 1
    assert "ext-aaaaaaaa-0000-0000-0000-000000000001" in out.getvalue()


@pytest.mark.parametrize("fmt", FORMATS)
def test_input_items_are_not_modified(fmt: str) -> None:
    import copy

    items = copy.deepcopy(JOBS)
    render(fmt, items, width=80, fields=["id", "usage.credits"] if fmt == "csv" else None)
    assert items == JOBS


# --- jsonl ---------------------------------------------------------------------


def test_jsonl_carries_each_job_as_received() -> None:
    assert render("jsonl") == lines(SEED_LINE, FAILED_LINE, RUNNING_LINE)


def test_jsonl_zero_items_is_nothing() -> None:
    assert render("jsonl", []) == ""


def test_jsonl_one_write_per_record() -> None:
    out = Recorder()
    renderer = make_renderer("jsonl", out)
    for job in JOBS:
        renderer.write(job)
    renderer.close()
    assert out.writes == [SEED_LINE + "\n", FAILED_LINE + "\n", RUNNING_LINE + "\n"]


def test_jsonl_keeps_key_order_unknown_keys_and_text() -> None:
    item = {"z": 1, "a": {"ü": "naïve ✓ 日本"}, "m": [None, True, 1.5, -0.0], "": ""}
    assert render("jsonl", [item]) == lines(
        '{"z":1,"a":{"ü":"naïve ✓ 日本"},"m":[null,true,1.5,-0.0],"":""}'
    )


def test_jsonl_fields_are_flat_keys_in_the_order_given() -> None:
    fields = ["id", "usage.credits", "input", "duration_seconds", "configuration.tier"]
    assert render("jsonl", fields=fields) == lines(
        '{"id":"ext-aaaaaaaa-0000-0000-0000-000000000001","usage.credits":null,'
        '"input":"dfl-aaaaaaaa-0000-0000-0000-00000000000a","duration_seconds":64.883,'
        '"configuration.tier":null}',
        '{"id":"ext-bbbbbbbb-0000-0000-0000-000000000002","usage.credits":12.5,'
        '"input":"dfl-bbbbbbbb-0000-0000-0000-00000000000b","duration_seconds":30.0,'
        '"configuration.tier":"agentic"}',
        '{"id":"ext-cccccccc-0000-0000-0000-000000000003","usage.credits":null,'
        '"input":"dfl-c","duration_seconds":null,"configuration.tier":null}',
    )


def test_jsonl_field_can_be_a_whole_object() -> None:
    assert render("jsonl", [FAILED], fields=["metadata", "usage"]) == lines(
        '{"metadata":null,"usage":{"credits":12.5,"extract_credits":10,"parse_credits":2.5}}'
    )


def test_jsonl_with_columns_projects_on_names() -> None:
    cols = [Column("job", path="id"), Column.for_key("status")]
    assert render("jsonl", [RUNNING], columns=cols) == lines(
        '{"job":"ext-cccccccc-0000-0000-0000-000000000003","status":"RUNNING"}'
    )


def test_encoder_falls_back_for_what_orjson_refuses() -> None:
    # Integers beyond 64 bits, non-string keys, lone surrogates: all still valid JSON.
    assert dumps({"n": 2**70}) == '{"n":1180591620717411303424}'
    assert dumps({1: "a"}) == '{"1":"a"}'
    assert dumps({"s": "\ud800x"}) == '{"s":"\\ud800x"}'
    assert dumps({"t": (1, 2)}) == '{"t":[1,2]}'
    assert render("jsonl", [{"id": "x", "big": -(2**80)}]) == lines(
        '{"id":"x","big":-1208925819614629174706176}'
    )


# --- json ----------------------------------------------------------------------


def test_json_is_one_array_one_item_a_line() -> None:
    assert render("json") == lines("[", SEED_LINE + ",", FAILED_LINE + ",", RUNNING_LINE, "]")


def test_json_zero_items_is_an_empty_array() -> None:
    assert render("json", []) == "[]\n"


def test_json_one_item() -> None:
    assert render("json", [SEED]) == lines("[", SEED_LINE, "]")


def test_json_streams_whole_records_one_write_each() -> None:
    out = Recorder()
    renderer = make_renderer("json", out)
    assert out.writes == []  # nothing before the first item
    renderer.write(SEED)
    renderer.write(RUNNING)
    assert out.writes == ["[\n" + SEED_LINE, ",\n" + RUNNING_LINE]
    renderer.close()
    assert out.writes[-1] == "\n]\n"


def test_json_round_trips_to_the_items() -> None:
    import json

    assert json.loads(render("json", [*JOBS, ODD])) == [*JOBS, ODD]


def test_json_fields() -> None:
    assert render("json", [FAILED, RUNNING], fields=["status", "error_message"]) == lines(
        "[",
        '{"status":"FAILED","error_message":"Parse failed:\\n\\tthe document is password '
        'protected and cannot be opened"},',
        '{"status":"RUNNING","error_message":null}',
        "]",
    )


# --- csv -----------------------------------------------------------------------

CSV_HEADER = (
    "id,status,created_at,updated_at,input,configuration_id,project_id,error_message,pages,credits"
)


def test_csv_default_columns() -> None:
    assert render("csv") == (
        CSV_HEADER + "\n"
        "ext-aaaaaaaa-0000-0000-0000-000000000001,COMPLETED,2026-11-29T14:03:12.117Z,"
        "2026-11-29T14:04:17.000Z,dfl-aaaaaaaa-0000-0000-0000-00000000000a,"
        "cfg-11111111-2222-3333-4444-555555555555,prj-1,,3,\n"
        "ext-bbbbbbbb-0000-0000-0000-000000000002,FAILED,2026-11-29T12:00:00Z,"
        "2026-11-29T12:00:30Z,dfl-bbbbbbbb-0000-0000-0000-00000000000b,,prj-1,"
        '"Parse failed:\n\tthe document is password protected and cannot be opened",,12.5\n'
        "ext-cccccccc-0000-0000-0000-000000000003,RUNNING,2026-11-29T14:59:58Z,"
        "2026-11-29T14:59:59Z,dfl-c,cfg-2,prj-1,,,\n"
    )


def test_csv_zero_items_is_the_header_alone() -> None:
    assert render("csv", []) == CSV_HEADER + "\n"


def test_csv_header_waits_for_the_first_item() -> None:
    out = Recorder()
    make_renderer("csv", out)
    assert out.writes == []


def test_csv_fields_and_flattening() -> None:
    fields = ["id", "usage.credits", "new_field", "configuration.cite_sources", "input"]
    assert render("csv", [FAILED, RUNNING], fields=fields) == lines(
        "id,usage.credits,new_field,configuration.cite_sources,input",
        'ext-bbbbbbbb-0000-0000-0000-000000000002,12.5,"{""x"":[1,2]}",true,'
        "dfl-bbbbbbbb-0000-0000-0000-00000000000b",
        "ext-cccccccc-0000-0000-0000-000000000003,,,,dfl-c",
    )


def test_csv_quoting_is_rfc_4180() -> None:
    item = {"a": 'say "hi"', "b": "x,y", "c": "line1\r\nline2", "d": " pad ", "e": ""}
    cols = columns_for_keys(["a", "b", "c", "d", "e"])
    assert render("csv", [item], columns=cols) == (
        'a,b,c,d,e\n"say ""hi""","x,y","line1\r\nline2", pad ,\n'
    )


def test_csv_reads_back_with_the_csv_module() -> None:
    import csv

    rows = list(csv.reader(io.StringIO(render("csv"))))
    assert rows[0] == CSV_HEADER.split(",")
    assert rows[2][7] == FAILED["error_message"]
    assert len(rows) == 4


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        (None, ""),
        ("", ""),
        ("text", "text"),
        (True, "true"),
        (False, "false"),
        (0, "0"),
        (12, "12"),
        (12.5, "12.5"),
        (2**70, "1180591620717411303424"),
        ({"a": 1, "b": [1, None]}, '{"a":1,"b":[1,null]}'),
        ([], "[]"),
        ({}, "{}"),
        (["ü"], '["ü"]'),
    ],
)
def test_flatten(value: object, cell: str) -> None:
    assert flatten(value) == cell


# --- tsv -----------------------------------------------------------------------


def test_tsv_default_columns_escape_tabs_and_newlines() -> None:
    assert render("tsv") == lines(
        CSV_HEADER.replace(",", "\t"),
        "ext-aaaaaaaa-0000-0000-0000-000000000001\tCOMPLETED\t2026-11-29T14:03:12.117Z\t"
        "2026-11-29T14:04:17.000Z\tdfl-aaaaaaaa-0000-0000-0000-00000000000a\t"
        "cfg-11111111-2222-3333-4444-555555555555\tprj-1\t\t3\t",
        "ext-bbbbbbbb-0000-0000-0000-000000000002\tFAILED\t2026-11-29T12:00:00Z\t"
        "2026-11-29T12:00:30Z\tdfl-bbbbbbbb-0000-0000-0000-00000000000b\t\tprj-1\t"
        "Parse failed:\\n\\tthe document is password protected and cannot be opened\t\t12.5",
        "ext-cccccccc-0000-0000-0000-000000000003\tRUNNING\t2026-11-29T14:59:58Z\t"
        "2026-11-29T14:59:59Z\tdfl-c\tcfg-2\tprj-1\t\t\t",
    )


def test_tsv_escaping_is_reversible_and_covers_the_header() -> None:
    item = {"a\tb": "back\\slash\ttab\nnl\rcr", "q": 'no "quoting", ever'}
    cols = columns_for_keys(list(item))
    assert render("tsv", [item], columns=cols) == lines(
        "a\\tb\tq", 'back\\\\slash\\ttab\\nnl\\rcr\tno "quoting", ever'
    )


def test_tsv_zero_items_is_the_header_alone() -> None:
    assert render("tsv", [], fields=["id", "status"]) == "id\tstatus\n"


def test_tsv_fields_flatten() -> None:
    assert render("tsv", [FAILED], fields=["new_field", "configuration"]) == lines(
        "new_field\tconfiguration",
        '{"x":[1,2]}\t{"tier":"agentic","cite_sources":true}',
    )


# --- table ---------------------------------------------------------------------


def test_table_at_80_columns_the_error_continues_on_an_indented_line() -> None:
    # ID, STATUS, CREATED, ERROR: the error gets the width they leave; what does not fit
    # there continues, from a word boundary, on a line of its own.
    assert render("table", width=80) == lines(
        "ID                                        STATUS     CREATED   ERROR",
        "ext-aaaaaaaa-0000-0000-0000-000000000001  COMPLETED  56m ago   -",
        "ext-bbbbbbbb-0000-0000-0000-000000000002  FAILED     3h ago    Parse failed: the",
        "    document is password protected and cannot be opened",
        "ext-cccccccc-0000-0000-0000-000000000003  RUNNING    just now  -",
    )


def test_table_at_100_columns() -> None:
    assert render("table", width=100) == lines(
        "ID                                        STATUS     CREATED   ERROR",
        "ext-aaaaaaaa-0000-0000-0000-000000000001  COMPLETED  56m ago   -",
        "ext-bbbbbbbb-0000-0000-0000-000000000002  FAILED     3h ago    "
        "Parse failed: the document is",
        "    password protected and cannot be opened",
        "ext-cccccccc-0000-0000-0000-000000000003  RUNNING    just now  -",
    )


def test_table_at_120_columns_cuts_an_error_after_its_first_40_characters() -> None:
    row = render("table", width=120).splitlines()[2]
    assert row == (
        "ext-bbbbbbbb-0000-0000-0000-000000000002  FAILED     3h ago    "
        "Parse failed: the document is password protected and can…"
    )


def test_table_at_160_columns() -> None:
    # The whole error before INPUT and CONFIG: they are IDs, shown whole or not at all.
    assert render("table", width=160) == lines(
        "ID                                        STATUS     CREATED   DURATION  ERROR",
        "ext-aaaaaaaa-0000-0000-0000-000000000001  COMPLETED  56m ago   1m04s     -",
        "ext-bbbbbbbb-0000-0000-0000-000000000002  FAILED     3h ago    30s       "
        "Parse failed: the document is password protected and cannot be opened",
        "ext-cccccccc-0000-0000-0000-000000000003  RUNNING    just now  -         -",
    )


def test_table_without_errors_shows_input_and_config_whole_or_not_at_all() -> None:
    assert render("table", [SEED, RUNNING], width=160) == lines(
        "ID                                        STATUS     INPUT                             "
        "        CREATED   DURATION  ERROR",
        "ext-aaaaaaaa-0000-0000-0000-000000000001  COMPLETED  dfl-aaaaaaaa-0000-0000-0000-00000"
        "000000a  56m ago   1m04s     -",
        "ext-cccccccc-0000-0000-0000-000000000003  RUNNING    dfl-c                             "
        "        just now  -         -",
    )
    assert render("table", [SEED, RUNNING], width=170).splitlines()[1] == (
        "ext-aaaaaaaa-0000-0000-0000-000000000001  COMPLETED  dfl-aaaaaaaa-0000-0000-0000-00000"
        "000000a  cfg-11111111-2222-3333-4444-555555555555  56m ago   1m04s     -"
    )
    assert render("table", [SEED, RUNNING], width=80).splitlines()[0] == (
        "ID                                        STATUS     CREATED   DURATION  ERROR"
    )


def test_a_status_the_query_fixes_gives_up_its_column() -> None:
    out = render("table", [FAILED], width=80, constant={"status": "FAILED"})
    assert out == lines(
        "ID (all FAILED)                           CREATED   ERROR",
        "ext-bbbbbbbb-0000-0000-0000-000000000002  3h ago    Parse failed: the document",
        "    is password protected and cannot be opened",
    )
    # A row that disagrees (a server that ignored the filter) says what it is.
    odd = render("table", [FAILED, RUNNING], width=100, constant={"status": "FAILED"})
    assert odd.splitlines()[-1].endswith("just now  [RUNNING]")


def test_wide_shows_every_column_whole_whatever_the_width() -> None:
    out = render("wide", width=80)
    assert out == lines(
        "ID                                        STATUS     INPUT                             "
        "        CONFIG                                    CREATED   UPDATED   DURATION  ERROR",
        "ext-aaaaaaaa-0000-0000-0000-000000000001  COMPLETED  dfl-aaaaaaaa-0000-0000-0000-00000"
        "000000a  cfg-11111111-2222-3333-4444-555555555555  56m ago   55m ago   1m04s     -",
        "ext-bbbbbbbb-0000-0000-0000-000000000002  FAILED     dfl-bbbbbbbb-0000-0000-0000-00000"
        "000000b  inline                                    3h ago    2h ago    30s       "
        "Parse failed: the document is password protected and cannot be opened",
        "ext-cccccccc-0000-0000-0000-000000000003  RUNNING    dfl-c                             "
        "        cfg-2                                     just now  just now  -         -",
    )
    assert render("wide", width=80, constant={"status": "FAILED"}) == out  # nothing gives way


def test_wide_never_cuts_a_later_longer_value() -> None:
    out = Recorder()
    renderer = make_renderer("wide", out, width=40, now=NOW, fields=["input", "status"])
    renderer.write({**RUNNING, "file_input": "short"})
    renderer.flush()
    renderer.write({**RUNNING, "file_input": "a-much-longer-input-value-than-before"})
    renderer.close()
    assert out.getvalue().splitlines()[2] == "a-much-longer-input-value-than-before  RUNNING"


@pytest.mark.parametrize("width", [20, 40, 60, 80, 100, 120, 160, 200])
def test_table_fits_the_width_and_never_cuts_ids(width: int) -> None:
    out = render("table", [*JOBS, ODD], width=width)
    rows = out.splitlines()
    firsts = [r for r in rows[1:] if not r.startswith("    ")]  # not the continued errors
    for job, row in zip([SEED, FAILED, RUNNING, ODD], firsts, strict=True):
        assert row.startswith(job["id"] + "  ")
        assert job["status"] in row
    if width >= 80:  # below that the ID and STATUS alone overflow
        assert all(len(row) <= width for row in rows)


@pytest.mark.parametrize("width", [20, 40, 60])
def test_a_narrow_table_keeps_its_header_over_the_uncut_ids(width: int) -> None:
    rows = render("table", [*JOBS, ODD], width=width).splitlines()
    at = rows[0].index("STATUS")
    firsts = [r for r in rows[1:] if not r.startswith("    ")]  # not the continued errors
    for job, row in zip([SEED, FAILED, RUNNING, ODD], firsts, strict=True):
        assert row.index(job["status"]) == at, rows


def test_a_terminal_of_zero_columns_does_not_decide_the_width(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import os

    from llamaextract_cli.output.table import terminal_width

    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.setattr(os, "get_terminal_size", lambda fd=None: os.terminal_size((0, 0)))
    assert terminal_width(sys.stdout) == 80
    monkeypatch.setattr(os, "get_terminal_size", lambda fd=None: os.terminal_size((132, 40)))
    assert terminal_width(sys.stdout) == 132


def test_table_colours_statuses() -> None:
    out = render("table", [SEED, FAILED, RUNNING, ODD], width=80, color=True)
    assert out.splitlines()[1:] == [
        "ext-aaaaaaaa-0000-0000-0000-000000000001  \x1b[32mCOMPLETED\x1b[0m          56m ago   -",
        "ext-bbbbbbbb-0000-0000-0000-000000000002  \x1b[1;31mFAILED\x1b[0m             "
        "3h ago    Parse",
        "    failed: the document is password protected and cannot be opened",
        "ext-cccccccc-0000-0000-0000-000000000003  \x1b[36mRUNNING\x1b[0m            just now  -",
        "ext-dddddddd-0000-0000-0000-000000000004  PAUSED_FOR_REVIEW  9d ago    -",
    ]


@pytest.mark.parametrize(
    ("status", "code"),
    [
        ("COMPLETED", "\x1b[32m"),
        ("FAILED", "\x1b[1;31m"),
        ("CANCELLED", "\x1b[90m"),
        ("RUNNING", "\x1b[36m"),
        ("PENDING", "\x1b[33m"),
        ("THROTTLED", "\x1b[33m"),
    ],
)
def test_each_status_colour(status: str, code: str) -> None:
    out = render("table", [{**RUNNING, "status": status}], width=100, color=True)
    assert f"  {code}{status}\x1b[0m" in out


def test_no_escapes_without_colour() -> None:
    out = render("table", [SEED, FAILED, RUNNING, ODD], width=100)
    assert "\x1b" not in out


def test_unknown_status_is_shown_whole_in_default_colour() -> None:
    out = render("table", [ODD, SEED], width=120, color=True)
    assert out == lines(
        "ID                                        STATUS             CREATED   DURATION  ERROR",
        "ext-dddddddd-0000-0000-0000-000000000004  PAUSED_FOR_REVIEW  9d ago    -         -",
        "ext-aaaaaaaa-0000-0000-0000-000000000001  \x1b[32mCOMPLETED\x1b[0m          "
        "56m ago   1m04s     -",
    )


def test_table_absolute_times() -> None:
    assert render("table", width=100, absolute_times=True) == lines(
        "ID                                        STATUS     CREATED              ERROR",
        "ext-aaaaaaaa-0000-0000-0000-000000000001  COMPLETED  2026-11-29 14:03:12  -",
        "ext-bbbbbbbb-0000-0000-0000-000000000002  FAILED     2026-11-29 12:00:00  "
        "Parse failed: the document",
        "    is password protected and cannot be opened",
        "ext-cccccccc-0000-0000-0000-000000000003  RUNNING    2026-11-29 14:59:58  -",
    )


def test_absolute_times_are_utc() -> None:
    job = {**SEED, "created_at": "2026-11-29T16:03:12+02:00"}
    assert "2026-11-29 14:03:12" in render("table", [job], width=120, absolute_times=True)


def test_unreadable_time_is_shown_as_sent() -> None:
    job = {**SEED, "created_at": "yesterday-ish", "updated_at": None}
    row = render("table", [job], width=200).splitlines()[1]
    assert "  yesterday-ish  " in row
    assert "  -  " in row  # no duration without updated_at


def test_table_fields_columns_use_the_paths_as_headers() -> None:
    fields = ["id", "status", "created_at", "duration_seconds", "usage.credits", "new_field"]
    fields.append("configuration.cite_sources")
    assert render("table", width=160, fields=fields) == lines(
        "ID                                        STATUS     CREATED_AT  DURATION_SECONDS  "
        "USAGE.CREDITS  NEW_FIELD    CONFIGURATION.CITE_SOURCES",
        "ext-aaaaaaaa-0000-0000-0000-000000000001  COMPLETED  56m ago     1m04s             "
        "-              -            -",
        "ext-bbbbbbbb-0000-0000-0000-000000000002  FAILED     3h ago      30s               "
        '12.5           {"x":[1,2]}  true',
        "ext-cccccccc-0000-0000-0000-000000000003  RUNNING    just now    -                 "
        "-              -            -",
    )


def test_table_fields_at_80_columns() -> None:
    assert render("table", width=80, fields=["id", "usage.credits", "configuration.tier"]) == (
        lines(
            "ID                                        USAGE.CREDITS  CONFIGURATION.TIER",
            "ext-aaaaaaaa-0000-0000-0000-000000000001  -              -",
            "ext-bbbbbbbb-0000-0000-0000-000000000002  12.5           agentic",
            "ext-cccccccc-0000-0000-0000-000000000003  -              -",
        )
    )


def test_table_fields_keep_ids_whole_and_wrap_the_error() -> None:
    fields = ["id", "input", "error_message"]
    assert render("table", width=80, fields=fields) == lines(
        "ID                                        INPUT                                     "
        "ERROR_MESSAGE",
        "ext-aaaaaaaa-0000-0000-0000-000000000001  dfl-aaaaaaaa-0000-0000-0000-00000000000a  -",
        "ext-bbbbbbbb-0000-0000-0000-000000000002  dfl-bbbbbbbb-0000-0000-0000-00000000000b  "
        "Parse failed:",
        "    the document is password protected and cannot be opened",
        "ext-cccccccc-0000-0000-0000-000000000003  dfl-c                                     -",
    )


def test_table_fields_shrink_to_fit_with_ellipsis() -> None:
    fields = ["id", "new_field", "status"]
    job = {**FAILED, "new_field": "a free-form value much longer than the terminal " * 3}
    assert render("table", [job], width=80, fields=fields) == lines(
        "ID                                        NEW_FIELD                    STATUS",
        "ext-bbbbbbbb-0000-0000-0000-000000000002  a free-form value much lon…  FAILED",
    )


def test_table_config_column_says_inline_or_dash() -> None:
    inline = {**RUNNING, "configuration_id": None, "configuration": {"tier": "agentic"}}
    neither = {k: v for k, v in RUNNING.items() if k != "configuration_id"}
    out = render("table", [RUNNING, inline, neither], width=200).splitlines()
    col = out[0].index("CONFIG")
    assert [row[col : col + 6].rstrip() for row in out[1:]] == ["cfg-2", "inline", "-"]


def test_table_input_column_reads_both_shapes() -> None:
    out = render("table", [SEED, RUNNING], width=200)
    assert "dfl-aaaaaaaa-0000-0000-0000-00000000000a" in out  # document_input_value
    assert "  dfl-c  " in out  # file_input


def test_table_zero_rows_prints_nothing() -> None:
    assert render("table", [], width=80) == ""
    assert render("table", [], width=80, fields=["id"]) == ""


def test_table_duration_only_for_terminal_jobs() -> None:
    out = render("table", [SEED, RUNNING, {**RUNNING, "status": "CANCELLED"}], width=200)
    rows = out.splitlines()
    col = rows[0].index("DURATION")
    assert [r[col : col + 8].rstrip() for r in rows[1:]] == ["1m04s", "-", "1s"]


def test_table_cleans_control_characters() -> None:
    job = {**FAILED, "error_message": "evil\x1b[2J\x1b]0;title\x07 and\r\nmore\u202eRTL"}
    out = render("table", [job], width=250)
    assert "\x1b" not in out and "\r" not in out and "\u202e" not in out
    assert out.count("\n") == 2
    assert out.splitlines()[1].endswith("evil [2J ]0;title and more RTL")


def test_table_empty_values_are_dashes() -> None:
    job = {"id": "x", "status": "", "created_at": None, "error_message": ""}
    assert render("table", [job], width=100) == lines(
        "ID    STATUS     INPUT  CONFIG  CREATED   DURATION  ERROR",
        "x     -          -      -       -         -         -",
    )


def test_table_wide_characters_keep_alignment() -> None:
    jobs = [
        {**RUNNING, "file_input": "請求書-2026.pdf"},
        {**RUNNING, "file_input": "invoice.pdf"},
    ]
    out = render("table", jobs, width=200, fields=["input", "status"])
    assert out == lines(
        "INPUT            STATUS",
        "請求書-2026.pdf  RUNNING",
        "invoice.pdf      RUNNING",
    )


def test_table_truncates_wide_characters_by_cells() -> None:
    assert truncate("日本語のテキスト", 7) == ("日本語…", 7)
    assert truncate("日本語のテキスト", 8) == ("日本語…", 7)
    assert truncate("abcdef", 4) == ("abc…", 4)
    assert truncate("abc", 4) == ("abc", 3)
    assert truncate("e\u0301te\u0301", 3) == ("e\u0301te\u0301", 3)  # combining marks
    assert display_width("日本") == 4
    assert display_width("\U0001f600") == 2


def test_clean_leaves_printable_text_alone() -> None:
    text = "naïve café ✓ 日本"
    assert clean(text) is text
    assert clean("a\n\n\tb") == "a b"


def test_table_streams_after_the_sample() -> None:
    out = Recorder()
    renderer = make_renderer("table", out, width=120, now=NOW)
    for i in range(SAMPLE_ROWS - 1):
        renderer.write({**RUNNING, "id": f"ext-{i:04d}"})
    assert out.writes == []  # still sampling widths
    renderer.write(RUNNING)
    assert len(out.writes) == SAMPLE_ROWS + 1  # header + sample, one write each
    renderer.write(SEED)
    assert out.writes[-1].startswith(SEED["id"])
    renderer.close()


def test_table_flush_ends_the_sample() -> None:
    out = Recorder()
    renderer = make_renderer("table", out, width=120, now=NOW)
    renderer.write(RUNNING)
    renderer.flush()
    assert len(out.writes) == 2
    renderer.write(SEED)  # a later, longer ID is not cut: it pushes the next columns
    renderer.write({**RUNNING, "status": "COMPLETED", "error_message": "x" * 80})
    renderer.close()
    rows = out.getvalue().splitlines()
    assert rows[2].split()[2] == SEED["document_input_value"]
    # A later, longer error continues on a line of its own (the column is 31 wide).
    assert rows[3:] == [
        "ext-cccccccc-0000-0000-0000-000000000003  COMPLETED  dfl-c  cfg-2   just now  1s",
        "    " + "x" * 80,
    ]


def test_table_later_rows_are_truncated_to_the_fixed_widths() -> None:
    out = Recorder()
    fields = ["id", "new_field", "status"]
    renderer = make_renderer("table", out, width=100, now=NOW, fields=fields)
    renderer.write({**RUNNING, "new_field": "short"})
    renderer.flush()
    renderer.write({**RUNNING, "new_field": "amuchlongervaluethanbefore"})
    renderer.close()
    assert out.getvalue().splitlines()[1:] == [
        "ext-cccccccc-0000-0000-0000-000000000003  short      RUNNING",
        "ext-cccccccc-0000-0000-0000-000000000003  amuchlon…  RUNNING",
    ]


def test_table_width_defaults_to_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    out = io.StringIO()
    renderer = make_renderer("table", out, now=NOW)
    for job in JOBS:
        renderer.write(job)
    renderer.close()
    assert out.getvalue() == render("table", width=80)


def test_table_rows_of_arbitrary_dicts() -> None:
    rows = [{"page": 1, "total": 9.5, "items": ["a"]}, {"page": 2, "total": None}]
    out = render("table", rows, columns=columns_for_keys(["page", "total", "items"]), width=80)
    assert out == lines("PAGE    TOTAL   ITEMS", '1       9.5     ["a"]', "2       -       -")


def test_column_for_key_does_not_split_dots() -> None:
    col = Column.for_key("a.b")
    assert col.get({"a.b": 1, "a": {"b": 2}}) == 1
    assert Column("a.b").get({"a.b": 1, "a": {"b": 2}}) == 2
    assert col.header == "A.B"


def test_default_column_specs() -> None:
    assert [c.header for c in TABLE_COLUMNS] == [
        "ID",
        "STATUS",
        "INPUT",
        "CONFIG",
        "CREATED",
        "DURATION",
        "ERROR",
    ]
    assert [c.name for c in CSV_COLUMNS] == CSV_HEADER.split(",")
    assert [c.kind for c in columns_for_fields(["status", "created_at", "x.y"])] == [
        "status",
        "time",
        "text",
    ]


# --- performance and import discipline ----------------------------------------


def _job(i: int) -> dict[str, Any]:
    return {
        **FAILED,
        "id": f"ext-{i:036d}",
        "status": ("COMPLETED", "FAILED", "RUNNING")[i % 3],
        "extract_result": {"total": i, "lines": [{"sku": "A", "qty": 2}]},
        "metadata": {"usage": {"num_pages_extracted": i % 40}},
    }


def test_a_table_of_10000_rows_streams() -> None:
    # How fast is benchmarks/run.py's `tables` section (no wall-clock limit in a test):
    # here, that rows reach the stream as they come, one line each, not at the end.
    out = io.StringIO()
    renderer = make_renderer("table", out, width=160, now=NOW)
    for i in range(200):
        renderer.write(_job(i))
    renderer.flush()  # the first page decides the layout
    first = out.getvalue().count("\n")
    assert first == 201  # the header and every row so far
    for i in range(200, 10_000):
        renderer.write(_job(i))
    renderer.close()
    lines = out.getvalue().splitlines()
    assert len(lines) == 10_001
    assert lines[1].startswith("ext-000000000000000000000000000000000000")
    assert lines[-1].startswith(f"ext-{9_999:036d}")


def test_serialising_formats_do_not_import_rich() -> None:
    code = (
        "import io, sys\n"
        "from llamaextract_cli.output import make_renderer\n"
        "for fmt in ('json', 'jsonl', 'csv', 'tsv', 'table'):\n"
        "    r = make_renderer(fmt, io.StringIO(), width=80)\n"
        "    r.write({'id': 'x', 'status': 'FAILED', 'created_at': '2026-01-01T00:00:00Z'})\n"
        "    r.close()\n"
        "heavy = ('rich', 'httpx', 'pydantic', 'typer')\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in heavy]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --- properties ----------------------------------------------------------------

_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)
_jobs = st.lists(
    st.fixed_dictionaries(
        {},
        optional={
            "id": st.text(max_size=50),
            "status": st.sampled_from(["COMPLETED", "FAILED", "RUNNING", "NEW", ""]) | st.text(),
            "created_at": st.sampled_from(["2026-11-29T14:03:12Z", "bad", ""]) | st.text(),
            "updated_at": st.sampled_from(["2026-11-29T14:05:12.5Z"]) | _json_values,
            "file_input": _json_values,
            "error_message": _json_values,
            "configuration": _json_values,
            "usage": _json_values,
        },
    ),
    max_size=5,
)


def _tsv_unescape(cell: str) -> str:
    out, i = [], 0
    table = {"\\": "\\", "t": "\t", "n": "\n", "r": "\r"}
    while i < len(cell):
        if cell[i] == "\\":
            out.append(table[cell[i + 1]])
            i += 2
        else:
            out.append(cell[i])
            i += 1
    return "".join(out)


@settings(max_examples=150, deadline=None)
@given(_jobs, st.integers(min_value=1, max_value=300), st.booleans(), st.booleans())
def test_table_never_crashes_and_keeps_one_or_two_lines_per_row(
    jobs: list[dict[str, Any]], width: int, color: bool, absolute: bool
) -> None:
    out = render("table", jobs, width=width, color=color, absolute_times=absolute)
    rows = out.split("\n")
    assert rows[-1] == ""
    if jobs:  # one line per job, two when its error continues on a line of its own
        assert len(jobs) + 1 <= len(rows) - 1 <= 2 * len(jobs) + 1
    else:
        assert rows == [""]
    if not color:
        assert all(ch >= " " for row in rows for ch in row)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.dictionaries(st.sampled_from("abc"), _json_values), max_size=4))
def test_csv_and_tsv_round_trip_the_flattened_cells(rows: list[dict[str, Any]]) -> None:
    import csv

    cols = columns_for_keys(["a", "b", "c"])
    expected = [["a", "b", "c"]] + [[flatten(r.get(k)) for k in "abc"] for r in rows]
    text = render("csv", rows, columns=cols)
    if sys.version_info >= (3, 11) or "\x00" not in text:  # 3.10's reader refuses NUL
        assert list(csv.reader(io.StringIO(text, newline=""))) == expected
    tsv_lines = render("tsv", rows, columns=cols).split("\n")
    assert tsv_lines[-1] == ""
    assert [[_tsv_unescape(c) for c in line.split("\t")] for line in tsv_lines[:-1]] == expected


@settings(max_examples=150, deadline=None)
@given(st.lists(st.dictionaries(st.text(max_size=5), _json_values, max_size=4), max_size=4))
def test_json_formats_round_trip(items: list[dict[str, Any]]) -> None:
    import json

    assert json.loads(render("json", items)) == items
    jsonl = render("jsonl", items)  # split on \n only: U+0085 and U+2028 stay raw in strings
    assert [json.loads(line) for line in jsonl.split("\n")[:-1]] == items
