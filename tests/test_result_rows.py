"""Result rows (jobs/result_rows.py) and how they are written (output/rows_out.py)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest

from llamaextract_cli.jobs import result_rows as rr
from llamaextract_cli.output.rows_out import RowsSpec, write_rows

SCHEMA = {
    "type": "object",
    "properties": {
        "number": {"type": "string"},
        "vendor": {"type": "object", "properties": {"name": {}, "city": {}}},
        "lines": {
            "type": "array",
            "items": {"type": "object", "properties": {"desc": {}, "amount": {}}},
        },
        "total": {"type": "number"},
    },
}


def job(
    job_id: str, result: Any, schema: Any = None, target: str = "per_doc", **extra: Any
) -> dict[str, Any]:
    j: dict[str, Any] = {"id": job_id, "status": "COMPLETED", "file_input": f"dfl-{job_id}"}
    if schema is not None:
        j["configuration"] = {"data_schema": schema, "extraction_target": target}
    j["extract_result"] = result
    j.update(extra)
    return j


def out(jobs: list[dict[str, Any]], fmt: str, **spec: Any) -> tuple[str, list[str]]:
    stream, warnings = io.StringIO(), []
    write_rows(stream, jobs, fmt, RowsSpec(**spec), warn=warnings.append)
    return stream.getvalue(), warnings


def table(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


# --- wide rows ---------------------------------------------------------------------------


def test_wide_rows_per_doc_and_arrays() -> None:
    assert list(rr.wide_rows(job("a", {"x": 1, "n": {"y": 2}}))) == [
        {"job_id": "a", "row": None, "x": 1, "n": {"y": 2}}
    ]
    assert list(rr.wide_rows(job("b", [{"x": 1}, "loose", {"x": 3}]), with_input=True)) == [
        {"job_id": "b", "input": "dfl-b", "row": 0, "x": 1},
        {"job_id": "b", "input": "dfl-b", "row": 1, "value": "loose"},
        {"job_id": "b", "input": "dfl-b", "row": 2, "x": 3},
    ]
    assert list(rr.wide_rows(job("c", []))) == []
    assert list(rr.wide_rows({"id": "d", "status": "COMPLETED"})) == []


def test_colliding_keys_are_renamed_not_overwritten() -> None:
    result = {"job_id": "theirs", "row": 7, "input": "in", "x": 1}
    assert list(rr.wide_rows(job("a", result))) == [
        {
            "job_id": "a",
            "row": None,
            "result.job_id": "theirs",
            "result.row": 7,
            "input": "in",
            "x": 1,
        }
    ]
    [row] = rr.wide_rows(job("a", result), with_input=True)
    assert (row["job_id"], row["input"], row["result.input"], row["result.job_id"]) == (
        "a",
        "dfl-a",
        "in",
        "theirs",
    )
    text, _ = out([job("a", result)], "csv")
    assert table(text) == [
        ["job_id", "row", "result.job_id", "result.row", "input", "x"],
        ["a", "", "theirs", "7", "in", "1"],
    ]


def test_long_rows() -> None:
    cite = [{"page": 3, "matching_text": "ACME"}]
    j = job("a", {"v": "ACME", "n": None})
    j["extract_metadata"] = {
        "field_metadata": {"document_metadata": {"v": {"confidence": 0.9, "citation": cite}}}
    }
    assert list(rr.long_rows(j, with_input=True)) == [
        {
            "job_id": "a",
            "input": "dfl-a",
            "row": None,
            "field": "v",
            "value": "ACME",
            "confidence": 0.9,
            "extraction_confidence": None,
            "parsing_confidence": None,
            "page": 3,
            "citation": "ACME",
            "reasoning": None,
            "citations": cite,
        },
        {
            "job_id": "a",
            "input": "dfl-a",
            "row": None,
            "field": "n",
            "value": None,
            "confidence": None,
            "extraction_confidence": None,
            "parsing_confidence": None,
            "page": None,
            "citation": None,
            "reasoning": None,
            "citations": None,
        },
    ]


@pytest.mark.parametrize(
    ("column", "row", "value"),
    [
        ("a", {"a": 1}, 1),
        ("a.b", {"a": {"b": 2}}, 2),
        ("a.b", {"a.b": 3}, 3),
        ("result.job_id.x", {"result.job_id": {"x": 4}}, 4),
        ("l.1.y", {"l": [{"y": 0}, {"y": 5}]}, 5),
        ("l.9", {"l": [1]}, None),
        ("a.b", {"a": "text"}, None),
        ("missing", {}, None),
    ],
)
def test_cell_getter(column: str, row: dict[str, Any], value: Any) -> None:
    assert rr.cell_getter(column)(row) == value


def test_flat_keys() -> None:
    row = {"job_id": "a", "v": {"n": 1, "a": {"c": 2}}, "e": {}, "l": [1], "z": None}
    assert list(rr.flat_keys(row)) == ["job_id", "v.n", "v.a.c", "e", "l", "z"]


# --- writing: streamed formats ------------------------------------------------------------


def test_jsonl_and_json_stream_rows_as_built() -> None:
    jobs = [job("a", {"v": {"n": 1}}), job("b", [{"x": 1}, {"x": 2}])]
    text, _ = out(jobs, "jsonl")
    assert [json.loads(x) for x in text.splitlines()] == [
        {"job_id": "a", "row": None, "v": {"n": 1}},
        {"job_id": "b", "row": 0, "x": 1},
        {"job_id": "b", "row": 1, "x": 2},
    ]
    text, _ = out(jobs, "json")
    assert len(json.loads(text)) == 3
    assert out([], "json")[0] == "[]\n" and out([], "jsonl")[0] == ""


def test_fields_are_exact_in_every_format() -> None:
    jobs = [job("a", {"v": {"n": 1}, "l": [{"q": 9}]})]
    assert out(jobs, "csv", fields=["l.0.q", "job_id", "v.n"])[0] == "l.0.q,job_id,v.n\n9,a,1\n"
    text, _ = out(jobs, "jsonl", fields=["v.n", "nope"])
    assert json.loads(text) == {"v.n": 1, "nope": None}


def test_metadata_columns() -> None:
    j = job("a", {"v": 1})
    j["extract_metadata"] = {
        "field_metadata": {"v": {"confidence": 0.5, "citations": [{"page": 2}]}}
    }
    text, _ = out([j], "csv", metadata=True, with_input=True)
    assert table(text) == [
        list(rr.long_columns(True)),
        ["a", "dfl-a", "", "v", "1", "0.5", "", "", "2", "", ""],
    ]
    text, _ = out([j], "jsonl", metadata=True)
    assert json.loads(text)["citations"] == [{"page": 2}]


# --- writing: the csv header --------------------------------------------------------------


class SpoolSpy:
    """Counts the spools made and closed (to tell spooled from streamed output)."""

    made: ClassVar[list[Any]] = []

    def __init__(self, real: Any) -> None:
        self.real = real

    def __call__(self, *a: Any, **kw: Any) -> Any:
        spool = self.real(*a, **kw)
        SpoolSpy.made.append(spool)
        return spool


@pytest.fixture
def spools(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    from llamaextract_cli.output import spool

    SpoolSpy.made = []
    monkeypatch.setattr(spool, "RowSpool", SpoolSpy(spool.RowSpool))
    return SpoolSpy.made


def test_union_of_fields_in_first_seen_order(spools: list[Any]) -> None:
    jobs = [
        job("a", {"b": 1, "v": {"n": "x"}}),
        job("c", [{"z": 1}, {"b": 2, "l": [1, 2]}]),
        job("d", {"v": None}),
    ]
    text, warnings = out(jobs, "csv")
    assert table(text) == [
        ["job_id", "row", "b", "v.n", "z", "l"],
        ["a", "", "1", "x", "", ""],
        ["c", "0", "", "", "1", ""],
        ["c", "1", "2", "", "", "[1,2]"],
        ["d", "", "", "", "", ""],
    ]
    assert warnings == [] and len(spools) == 1


def test_a_field_both_object_and_text_keeps_both_columns() -> None:
    jobs = [job("a", {"v": {"n": 1}}), job("b", {"v": "plain"})]
    text, _ = out(jobs, "csv")
    assert table(text) == [
        ["job_id", "row", "v.n", "v"],
        ["a", "", "1", ""],
        ["b", "", "", "plain"],
    ]


def test_shared_schema_in_schema_order_streams(spools: list[Any]) -> None:
    jobs = [
        job("a", {"total": 3, "number": "N1", "vendor": {"name": "V", "city": "C"}}, SCHEMA),
        job("b", {"number": "N2", "vendor": None, "lines": [{"desc": "d", "amount": 1}]}, SCHEMA),
    ]
    text, warnings = out(jobs, "csv", with_input=True, shared_schema=True)
    assert table(text) == [
        ["job_id", "input", "row", "number", "vendor.name", "vendor.city", "lines", "total"],
        ["a", "dfl-a", "", "N1", "V", "C", "", "3"],
        ["b", "dfl-b", "", "N2", "", "", '[{"desc":"d","amount":1}]', ""],
    ]
    assert warnings == [] and spools == []


def test_shared_schema_field_outside_it_is_named(spools: list[Any]) -> None:
    jobs = [job("a", {"number": "N1"}, SCHEMA), job("b", {"number": "N2", "extra": 1}, SCHEMA)]
    text, warnings = out(jobs, "tsv", shared_schema=True)
    assert text.splitlines()[0].split("\t") == [
        "job_id",
        "row",
        "number",
        "vendor.name",
        "vendor.city",
        "lines",
        "total",
    ]
    assert len(warnings) == 1 and "'extra'" in warnings[0] and "job b" in warnings[0]
    assert spools == []


def test_first_job_not_fitting_its_schema_is_spooled(spools: list[Any]) -> None:
    jobs = [job("a", {"number": "N1", "other": 2}, SCHEMA)]
    text, warnings = out(jobs, "csv", shared_schema=True)
    assert table(text)[0] == [
        "job_id",
        "row",
        "number",
        "vendor.name",
        "vendor.city",
        "lines",
        "total",
        "other",
    ]
    assert warnings == [] and len(spools) == 1


def test_same_schema_without_config_is_learnt_by_spooling(spools: list[Any]) -> None:
    jobs = [job("a", {"total": 1}, SCHEMA), job("b", {"number": "N", "extra": {"k": 1}}, SCHEMA)]
    text, _ = out(jobs, "csv")
    assert table(text)[0] == [
        "job_id", "row", "number", "vendor.name", "vendor.city", "lines", "total", "extra.k"
    ]  # fmt: skip
    assert len(spools) == 1


def test_different_schemas_give_the_union(spools: list[Any]) -> None:
    other = {"properties": {"total": {}, "number": {}}}
    jobs = [job("a", {"total": 1}, SCHEMA), job("b", {"number": "N"}, other)]
    text, _ = out(jobs, "csv")
    assert table(text)[0] == ["job_id", "row", "total", "number"]


def test_per_table_row_rows_follow_the_array_item_schema() -> None:
    rows = [{"amount": 1, "desc": "a"}, {"desc": "b"}]
    text, _ = out([job("a", rows, SCHEMA, "per_table_row")], "csv", shared_schema=True)
    assert table(text) == [
        ["job_id", "row", "desc", "amount"],
        ["a", "0", "a", "1"],
        ["a", "1", "b", ""],
    ]


def test_schema_field_named_like_a_leading_column() -> None:
    schema = {"properties": {"row": {}, "job_id": {"properties": {"x": {}}}}}
    jobs = [job("a", {"row": 5, "job_id": {"x": 1}}, schema)]
    text, _ = out(jobs, "csv", shared_schema=True)
    assert table(text) == [["job_id", "row", "result.row", "result.job_id.x"], ["a", "", "5", "1"]]


def test_no_rows_is_the_header_alone() -> None:
    assert out([job("a", [])], "csv", with_input=True)[0] == "job_id,input,row\n"
    assert out([], "tsv")[0] == "job_id\trow\n"


def test_the_spool_is_closed_when_interrupted(spools: list[Any]) -> None:
    def jobs() -> Iterator[dict[str, Any]]:
        yield job("a", {"x": 1})
        yield job("b", {"x": 2})
        raise KeyboardInterrupt

    stream = io.StringIO()
    with pytest.raises(KeyboardInterrupt):
        write_rows(stream, jobs(), "csv", RowsSpec())
    [spool] = spools
    assert spool.closed
    assert stream.getvalue() == ""  # no header was written for rows never shown


def test_the_spool_keeps_every_value_kind(spools: list[Any]) -> None:
    values = {"s": 'é\n"q"', "i": 2**40, "f": 0.1, "b": False, "n": None, "l": [{"a": 1}]}
    text, _ = out([job("a", values)], "jsonl")
    direct = json.loads(text)
    text, _ = out([job("a", values)], "csv")
    assert len(spools) == 1
    [header, row] = table(text)
    assert dict(zip(header, row, strict=True)) == {
        "job_id": "a", "row": "", "s": values["s"], "i": str(2**40), "f": "0.1", "b": "false",
        "n": "", "l": '[{"a":1}]',
    }  # fmt: skip
    assert direct["s"] == values["s"]


def test_the_spool_has_no_name_on_disk(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    seen: list[list[str]] = []

    def jobs() -> Iterator[dict[str, Any]]:
        for i in range(300):
            yield job(f"j{i}", {"x": i})
        seen.append([p.name for p in tmp_path.iterdir()])  # while rows are parked

    text, _ = out(list(jobs()), "csv")
    stream = io.StringIO()
    write_rows(stream, jobs(), "csv", RowsSpec())
    assert seen[-1] == [] and list(tmp_path.iterdir()) == []
    assert stream.getvalue() == text and len(text.splitlines()) == 301
