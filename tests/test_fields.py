"""`--fields` parsing and dot-path lookup (llamaextract_cli.jobs.fields)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llamaextract_cli.jobs.fields import (
    FREE_FORM_PREFIXES,
    KNOWN_FIELDS,
    TOP_LEVEL_FIELDS,
    FieldError,
    fields_help,
    get_path,
    parse_fields,
    validate_field,
)

SEED_JOB = {
    "id": "ext-1",
    "created_at": "2026-11-29T14:00:00.000Z",
    "document_input_value": "dfl-seed",
    "project_id": "prj-1",
    "status": "COMPLETED",
    "updated_at": "2026-11-29T14:01:05.500Z",
    "configuration": {"tier": "agentic", "data_schema": {"total": {"type": "number"}}},
    "extract_result": [{"total": 3, "lines": [{"sku": "A"}]}, {"total": 4}],
    "metadata": {"usage": {"num_pages_extracted": 7}},
}
CURRENT_JOB = {
    "id": "ext-2",
    "created_at": "2026-11-29T14:00:00Z",
    "file_input": "dfl-current",
    "project_id": "prj-1",
    "status": "RUNNING",
    "updated_at": "2026-11-29T14:00:10Z",
    "usage": {"credits": 12.5, "parse_credits": 0},
    "extract_result": {"total": 9, "0": "zero key"},
}


# --- KNOWN_FIELDS --------------------------------------------------------------


def test_known_fields_cover_both_shapes_and_describe_each() -> None:
    for path in (
        "id",
        "status",
        "created_at",
        "updated_at",
        "project_id",
        "input",
        "file_input",
        "document_input_value",
        "configuration_id",
        "error_message",
        "duration_seconds",
        "configuration.data_schema",
        "configuration.tier",
        "configuration.version",
        "configuration.extract_version",
        "extract_metadata.field_metadata.page_metadata",
        "extract_metadata.parse_job_id",
        "extract_result",
        "metadata.usage.num_pages_extracted",
        "metadata.usage.num_pages_billed",
        "usage.credits",
        "usage.extract_credits",
        "usage.parse_credits",
    ):
        assert path in KNOWN_FIELDS, path
    assert all(desc and "\n" not in desc for desc in KNOWN_FIELDS.values())
    assert TOP_LEVEL_FIELDS[:2] == ("id", "status")
    assert all("." not in f for f in TOP_LEVEL_FIELDS)


def test_fields_help_lists_every_field() -> None:
    text = fields_help()
    for path in KNOWN_FIELDS:
        assert f"  {path} " in text
    assert "extract_result.0.total" in text


# --- parse_fields --------------------------------------------------------------


def test_parse_trims_and_keeps_order() -> None:
    assert parse_fields(" id , status,usage.credits ") == ["id", "status", "usage.credits"]


def test_parse_keeps_duplicates_once_at_first_position() -> None:
    assert parse_fields("status,id,status,id") == ["status", "id"]


@pytest.mark.parametrize(
    "path",
    [
        "extract_result.total",
        "extract_result.0.total",
        "extract_result.lines.3.sku",
        "configuration.data_schema.properties.total",
        "extract_metadata.field_metadata.document_metadata.total.confidence",
        "metadata.usage.some_new_counter",
        "metadata.anything",
        "usage.future_credits",
        "configuration.sheet_names.0",
        "extract_metadata.field_metadata.page_metadata.2",
    ],
)
def test_free_form_and_indexed_paths_are_valid(path: str) -> None:
    assert parse_fields(path) == [path]


@pytest.mark.parametrize("text", ["", "   ", ",", " , "])
def test_nothing_is_an_error(text: str) -> None:
    with pytest.raises(FieldError, match="at least one field"):
        parse_fields(text)


@pytest.mark.parametrize("text", ["id,,status", "id,", ",id", "id, ,status"])
def test_empty_part_is_an_error(text: str) -> None:
    with pytest.raises(FieldError, match="empty"):
        parse_fields(text)


def test_unknown_top_level_field_names_it_and_lists_valid_ones() -> None:
    with pytest.raises(FieldError) as info:
        parse_fields("id,stauts")
    message = str(info.value)
    assert "'stauts'" in message
    assert "did you mean 'status'?" in message
    assert "valid top-level fields: id, status, created_at" in message
    assert "usage" in message


def test_unknown_nested_field_lists_its_siblings() -> None:
    with pytest.raises(FieldError) as info:
        parse_fields("configuration.teir")
    message = str(info.value)
    assert "'configuration.teir'" in message
    assert "did you mean 'configuration.tier'?" in message
    assert "fields under configuration: data_schema," in message


def test_path_below_a_scalar_field_is_refused() -> None:
    with pytest.raises(FieldError, match="status has no fields below it"):
        validate_field("status.name")


@pytest.mark.parametrize("path", ["usage..credits", "id.", ".id", "."])
def test_empty_segment_is_refused(path: str) -> None:
    with pytest.raises(FieldError, match="empty segment"):
        validate_field(path)


def test_paths_are_case_sensitive() -> None:
    with pytest.raises(FieldError, match="did you mean 'id'"):
        parse_fields("ID")


def test_field_error_is_a_value_error() -> None:
    assert issubclass(FieldError, ValueError)


_segment = (
    st.text(
        alphabet=st.characters(blacklist_characters=",.", blacklist_categories=("Cs",)),
        min_size=1,
        max_size=8,
    )
    .map(str.strip)
    .filter(bool)
)
_free = st.builds(
    lambda prefix, rest: prefix + ".".join(rest),
    st.sampled_from(FREE_FORM_PREFIXES),
    st.lists(_segment, min_size=1, max_size=3),
)
_valid = st.one_of(st.sampled_from(sorted(KNOWN_FIELDS)), _free)


@given(st.lists(_valid, min_size=1, max_size=8), st.sampled_from([",", ", ", " ,", " , "]))
def test_round_trip(paths: list[str], sep: str) -> None:
    expected = list(dict.fromkeys(paths))
    assert parse_fields(sep.join(paths)) == expected
    assert parse_fields(",".join(expected)) == expected


@given(st.text())
def test_never_crashes_on_arbitrary_text(text: str) -> None:
    try:
        result = parse_fields(text)
    except FieldError as e:
        assert str(e)
    else:
        assert result and all(p == p.strip() and p for p in result)
        assert len(set(result)) == len(result)
        for path in result:
            validate_field(path)


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz_.,0123456789 ", max_size=40))
def test_never_crashes_on_path_like_text(text: str) -> None:
    try:
        result = parse_fields(text)
    except FieldError as e:
        assert str(e)
    else:
        assert all(p and "," not in p for p in result)


# --- get_path ------------------------------------------------------------------


def test_top_level_and_nested() -> None:
    assert get_path(SEED_JOB, "id") == "ext-1"
    assert get_path(SEED_JOB, "configuration.tier") == "agentic"
    assert get_path(SEED_JOB, "metadata.usage.num_pages_extracted") == 7
    assert get_path(CURRENT_JOB, "usage.credits") == 12.5
    assert get_path(CURRENT_JOB, "usage.parse_credits") == 0


def test_whole_objects_are_returned_as_is() -> None:
    assert get_path(SEED_JOB, "configuration.data_schema") == {"total": {"type": "number"}}
    assert get_path(SEED_JOB, "extract_result") is SEED_JOB["extract_result"]


def test_list_indices() -> None:
    assert get_path(SEED_JOB, "extract_result.0.total") == 3
    assert get_path(SEED_JOB, "extract_result.1.total") == 4
    assert get_path(SEED_JOB, "extract_result.0.lines.0.sku") == "A"
    assert get_path(SEED_JOB, "extract_result.2.total") is None
    assert get_path(SEED_JOB, "extract_result.-1.total") is None


def test_numeric_segment_on_an_object_is_a_key() -> None:
    assert get_path(CURRENT_JOB, "extract_result.0") == "zero key"


def test_missing_is_none() -> None:
    assert get_path(SEED_JOB, "usage.credits") is None
    assert get_path(CURRENT_JOB, "metadata.usage.num_pages_extracted") is None
    assert get_path(SEED_JOB, "error_message") is None
    assert get_path(SEED_JOB, "status.x") is None  # below a string
    assert get_path(SEED_JOB, "extract_result.total") is None  # key on a list
    assert get_path({}, "a.b.c") is None


def test_input_is_whichever_the_job_has() -> None:
    assert get_path(SEED_JOB, "input") == "dfl-seed"
    assert get_path(CURRENT_JOB, "input") == "dfl-current"
    assert get_path({"id": "x"}, "input") is None
    assert get_path({"input": "real", "file_input": "f"}, "input") == "real"


def test_duration_seconds_for_terminal_jobs_only() -> None:
    assert get_path(SEED_JOB, "duration_seconds") == 65.5
    assert get_path(CURRENT_JOB, "duration_seconds") is None  # RUNNING
    failed = {**CURRENT_JOB, "status": "FAILED"}
    assert get_path(failed, "duration_seconds") == 10.0
    assert get_path({**failed, "updated_at": "garbage"}, "duration_seconds") is None
    assert get_path({**failed, "updated_at": None}, "duration_seconds") is None
    assert get_path({**failed, "duration_seconds": 1}, "duration_seconds") == 1


def test_clock_skew_never_gives_negative_duration() -> None:
    job = {"status": "CANCELLED", "created_at": "2026-01-01T00:00:10Z"}
    job["updated_at"] = "2026-01-01T00:00:00Z"
    assert get_path(job, "duration_seconds") == 0.0


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=5),
        lambda children: (
            st.lists(children, max_size=3)
            | st.dictionaries(st.text(max_size=3), children, max_size=3)
        ),
        max_leaves=10,
    ),
    st.lists(st.text(max_size=4), min_size=1, max_size=4),
)
def test_get_path_never_crashes(value: object, segments: list[str]) -> None:
    get_path({"x": value}, ".".join(["x", *segments]))
