"""Query parameters of the jobs API, validated the way FastAPI does (422 error lists)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from llamaextract_cli.sandbox.data import (
    EXPAND_CONFIGURATION,
    EXPAND_METADATA,
    EXPAND_USAGE,
    STATUS_CODE,
    STATUSES,
)
from llamaextract_cli.sandbox.timeutil import parse_datetime_us

ErrorList = list[dict[str, Any]]

INPUT_TYPES = ("file_id", "parse_job_id")
LIST_EXPANDS = {"configuration": EXPAND_CONFIGURATION, "extract_metadata": EXPAND_METADATA}
GET_EXPANDS = {**LIST_EXPANDS, "usage": EXPAND_USAGE}
DEFAULT_PAGE_SIZE = 50
_MULTI = frozenset(("job_ids", "expand"))
_TRUE = frozenset(("true", "1", "yes", "on", "t", "y"))
_FALSE = frozenset(("false", "0", "no", "off", "f", "n"))


def _one_of(values: tuple[str, ...] | list[str]) -> str:
    quoted = [f"'{v}'" for v in values]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def _enum_error(loc: list[Any], value: str, allowed: tuple[str, ...] | list[str]) -> dict[str, Any]:
    expected = _one_of(allowed)
    return {
        "type": "enum",
        "loc": loc,
        "msg": f"Input should be {expected}",
        "input": value,
        "ctx": {"expected": expected},
    }


def split_query(query: list[tuple[str, str]]) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Scalars (the last value wins, as in FastAPI) and repeated keys."""
    scalars: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for key, value in query:
        if key in _MULTI:
            multi.setdefault(key, []).append(value)
        else:
            scalars[key] = value
    return scalars, multi


def parse_expand(values: list[str], allowed: dict[str, int], errors: ErrorList) -> int:
    flags = 0
    for i, value in enumerate(values):
        if value in allowed:
            flags |= allowed[value]
        else:
            errors.append(_enum_error(["query", "expand", i], value, list(allowed)))
    return flags


def parse_bool(name: str, value: str, errors: ErrorList) -> bool:
    low = value.strip().lower()
    if low in _TRUE:
        return True
    if low not in _FALSE:
        errors.append(
            {
                "type": "bool_parsing",
                "loc": ["query", name],
                "msg": "Input should be a valid boolean, unable to interpret input",
                "input": value,
            }
        )
    return False


@dataclass(frozen=True)
class ListQuery:
    status: int | None = None
    configuration_id: str | None = None
    after_us: int | None = None
    before_us: int | None = None
    input_type: str | None = None
    input_values: tuple[str, ...] = ()
    job_ids: tuple[str, ...] | None = None
    project_id: str | None = None
    organization_id: str | None = None
    expand: int = 0
    page_size: int = DEFAULT_PAGE_SIZE
    page_token: str | None = None

    def canonical(self) -> str:
        """The filters (not paging, not expand) as one string: what a page token is tied to."""
        return json.dumps(
            [
                self.status,
                self.configuration_id,
                self.after_us,
                self.before_us,
                self.input_type,
                sorted(set(self.input_values)),
                None if self.job_ids is None else sorted(set(self.job_ids)),
                self.project_id,
                self.organization_id,
            ],
            separators=(",", ":"),
        )


def parse_list_query(
    query: list[tuple[str, str]], max_page_size: int
) -> tuple[ListQuery, ErrorList]:
    scalars, multi = split_query(query)
    errors: ErrorList = []
    status = None
    if "status" in scalars:
        value = scalars["status"]
        status = STATUS_CODE.get(value)
        if status is None:
            errors.append(_enum_error(["query", "status"], value, STATUSES))
    bounds: dict[str, int | None] = {}
    for name in ("created_at_on_or_after", "created_at_on_or_before"):
        bounds[name] = None
        if name in scalars:
            try:
                bounds[name] = parse_datetime_us(scalars[name])
            except ValueError as e:
                errors.append(
                    {
                        "type": "datetime_from_date_parsing",
                        "loc": ["query", name],
                        "msg": f"Input should be a valid datetime or date, {e}",
                        "input": scalars[name],
                        "ctx": {"error": str(e)},
                    }
                )
    input_type = scalars.get("document_input_type")
    if input_type is not None and input_type not in INPUT_TYPES:
        errors.append(_enum_error(["query", "document_input_type"], input_type, INPUT_TYPES))
    page_size = DEFAULT_PAGE_SIZE
    if "page_size" in scalars:
        raw = scalars["page_size"]
        loc = ["query", "page_size"]
        try:
            page_size = int(raw.strip())
        except ValueError:
            errors.append(
                {
                    "type": "int_parsing",
                    "loc": loc,
                    "msg": "Input should be a valid integer, unable to parse string as an integer",
                    "input": raw,
                }
            )
        else:
            if page_size < 1:
                errors.append(
                    {
                        "type": "greater_than_equal",
                        "loc": loc,
                        "msg": "Input should be greater than or equal to 1",
                        "input": raw,
                        "ctx": {"ge": 1},
                    }
                )
            elif page_size > max_page_size:
                errors.append(
                    {
                        "type": "less_than_equal",
                        "loc": loc,
                        "msg": f"Input should be less than or equal to {max_page_size}",
                        "input": raw,
                        "ctx": {"le": max_page_size},
                    }
                )
    expand = parse_expand(multi.get("expand", []), LIST_EXPANDS, errors)
    input_values = tuple(scalars[k] for k in ("document_input_value", "file_input") if k in scalars)
    job_ids = tuple(multi["job_ids"]) if "job_ids" in multi else None
    q = ListQuery(
        status=status,
        configuration_id=scalars.get("configuration_id"),
        after_us=bounds["created_at_on_or_after"],
        before_us=bounds["created_at_on_or_before"],
        input_type=input_type,
        input_values=input_values,
        job_ids=job_ids,
        project_id=scalars.get("project_id"),
        organization_id=scalars.get("organization_id"),
        expand=expand,
        page_size=page_size,
        page_token=scalars.get("page_token"),
    )
    return q, errors
