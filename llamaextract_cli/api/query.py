"""The filters shared by `jobs list`, `stats`, `errors` and `watch`, as API parameters."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime


def iso_utc(when: datetime) -> str:
    """UTC ISO 8601 with a Z, microseconds only when present."""
    text = when.strftime("%Y-%m-%dT%H:%M:%S")
    if when.microsecond:
        text += f".{when.microsecond:06d}"
    return text + "Z"


@dataclass(frozen=True)
class JobFilter:
    statuses: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    configuration_id: str | None = None
    input_value: str | None = None  # sent as document_input_value (the seed page's name)
    file_input: str | None = None  # the same filter under the API's current name
    input_type: str | None = None
    job_ids: tuple[str, ...] = ()
    expand: tuple[str, ...] = ()
    project_id: str | None = None
    organization_id: str | None = None
    extra: tuple[tuple[str, str], ...] = field(default=())

    def with_status(self, status: str | None) -> JobFilter:
        return replace(self, statuses=(status,) if status else ())

    def params(self, status: str | None = None) -> list[tuple[str, str]]:
        """Query parameters for one request; arrays repeat the key (as the SDK does).

        ``status`` picks one of several ``statuses``: the API takes one per request.
        """
        p: list[tuple[str, str]] = []
        if status is not None:
            p.append(("status", status))
        elif len(self.statuses) == 1:
            p.append(("status", self.statuses[0]))
        if self.configuration_id:
            p.append(("configuration_id", self.configuration_id))
        if self.since is not None:
            p.append(("created_at_on_or_after", iso_utc(self.since)))
        if self.until is not None:
            p.append(("created_at_on_or_before", iso_utc(self.until)))
        if self.input_type:
            p.append(("document_input_type", self.input_type))
        if self.input_value:
            p.append(("document_input_value", self.input_value))
        if self.file_input:
            p.append(("file_input", self.file_input))
        p.extend(("job_ids", j) for j in self.job_ids)
        p.extend(("expand", e) for e in self.expand)
        if self.project_id:
            p.append(("project_id", self.project_id))
        if self.organization_id:
            p.append(("organization_id", self.organization_id))
        p.extend(self.extra)
        return p
