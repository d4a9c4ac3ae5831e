"""Creating jobs, apart from the terminal: what to create, the paced run, what it means.

`Planned` is one job to create (an input, a saved or inline configuration, its scope
and, for a rerun, its original); `Skipped` an original that cannot be rerun. `run`
creates the planned jobs one after another at the `Pacer`'s pace and hands each
`Created` to a callback as it ends, so the caller can print it at once. A create the
server may have acted on without answering is `unknown`: never repeated, so never
duplicated. `exit_status` turns the results into the status of CLI.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from llamaextract_cli.errors import (
    AuthError,
    ExitStatus,
    Interrupted,
    LxError,
    NetworkError,
    OutcomeUnknown,
)

if TYPE_CHECKING:
    from llamaextract_cli.api.client import ApiClient
    from llamaextract_cli.jobs.pace import Pacer

UNKNOWN = "UNKNOWN"  # the create may have been acted on: check before trying again
NOT_CREATED = "NOT_CREATED"  # certainly not created
PLANNED = "PLANNED"  # --dry-run: would be created

RECORD_KEYS = ("original_id", "id", "status", "input", "configuration_id", "error")


@dataclass(frozen=True)
class Planned:
    """One job to create."""

    input: str
    configuration_id: str | None = None
    configuration: Mapping[str, Any] | None = None
    project_id: str | None = None
    organization_id: str | None = None
    original_id: str | None = None
    webhooks: tuple[str, ...] = ()
    tier: str | None = None  # for the estimate: the configuration's tier when known
    pages: int | None = None  # for the estimate: the original's pages, when known

    def body(self) -> dict[str, Any]:
        """The JSON body of POST /api/v2/extract (the official SDK's create)."""
        body: dict[str, Any] = {"file_input": self.input}
        if self.configuration_id is not None:
            body["configuration_id"] = self.configuration_id
        else:
            body["configuration"] = dict(self.configuration or {})
        if self.webhooks:
            body["webhook_configurations"] = [{"webhook_url": url} for url in self.webhooks]
        return body

    def params(self) -> list[tuple[str, str]]:
        """The query: project_id and organization_id when known."""
        p: list[tuple[str, str]] = []
        if self.project_id:
            p.append(("project_id", self.project_id))
        if self.organization_id:
            p.append(("organization_id", self.organization_id))
        return p

    @property
    def config_label(self) -> str:
        return self.configuration_id or "inline"


@dataclass(frozen=True)
class Skipped:
    """An original that is not rerun, and why."""

    original_id: str
    reason: str
    not_found: bool = False
    input: str | None = None
    configuration_id: str | None = None

    def record(self, dry_run: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "original_id": self.original_id,
            "id": None,
            "status": NOT_CREATED,
            "input": self.input,
            "configuration_id": self.configuration_id,
            "error": self.reason,
        }
        if dry_run:
            out["dry_run"] = True
        return out


@dataclass
class Created:
    """One planned job after its create: the new job, or why there is none."""

    planned: Planned
    job: dict[str, Any] | None = None
    error: str | None = None
    unknown: bool = False

    @property
    def ok(self) -> bool:
        return self.job is not None

    @property
    def id(self) -> str | None:
        return self.job.get("id") if self.job else None

    @property
    def status(self) -> str:
        if self.job is not None:
            status = self.job.get("status")
            return status if isinstance(status, str) else "?"
        return UNKNOWN if self.unknown else NOT_CREATED

    def record(self) -> dict[str, Any]:
        job = self.job or {}
        return {
            "original_id": self.planned.original_id,
            "id": self.id,
            "status": self.status,
            "input": self.planned.input,
            "configuration_id": job.get("configuration_id", self.planned.configuration_id),
            "error": self.error,
        }


def planned_record(item: Planned) -> dict[str, Any]:
    """--dry-run's record of a job that would be created."""
    return {
        "original_id": item.original_id,
        "id": None,
        "status": PLANNED,
        "input": item.input,
        "configuration_id": item.configuration_id,
        "error": None,
        "dry_run": True,
    }


Entry = Planned | Skipped
OnDone = Callable[[Created], None]


@dataclass
class Run:
    """The results of a run, in the order planned."""

    created: list[Created] = field(default_factory=list)
    stopped: LxError | None = None  # the failure that stopped the run early
    interrupted: bool = False

    @property
    def ok(self) -> list[Created]:
        return [c for c in self.created if c.ok]

    @property
    def unknown(self) -> list[Created]:
        return [c for c in self.created if c.unknown]

    @property
    def failed(self) -> list[Created]:
        return [c for c in self.created if not c.ok and not c.unknown]


SAME_FAILURES = 3  # the first creates all failing alike: the rest would too


def stops_the_run(error: LxError) -> bool:
    """A failure every later create would meet too: a refused key; the service
    unreachable or still rate-limiting after the client's retries."""
    if isinstance(error, AuthError):
        return True
    if isinstance(error, OutcomeUnknown):
        return False
    return isinstance(error, NetworkError) or getattr(error, "status_code", None) == 429


def run(
    client: ApiClient,
    items: Sequence[Planned],
    pacer: Pacer,
    *,
    on_done: OnDone = lambda created: None,
    throttled: Callable[[], bool] = lambda: False,
) -> Run:
    """Create every item in order, at the pacer's pace; never repeat an ambiguous create.

    `throttled()` tells whether the client met a 429 since it was last asked (the
    client retried it after the server's Retry-After); the pace then halves. A failure
    that would stop every later create too (`stops_the_run`), or the first
    `SAME_FAILURES` creates failing with the same error (a configuration the service
    refuses), leaves the rest NOT_CREATED with the reason. Ctrl-C (or SIGTERM) stops the
    run: the create in flight is UNKNOWN, the rest NOT_CREATED, and `Run.interrupted` is set.
    """
    result = Run()
    alike: list[str] = []  # the messages of the failures so far, while nothing succeeded

    def done(created: Created) -> None:
        result.created.append(created)
        on_done(created)

    for item in items:
        if result.stopped is not None or result.interrupted:
            why = "interrupted" if result.interrupted else f"stopped after {result.stopped}"
            done(Created(item, error=f"not attempted: {why}"))
            continue
        try:
            pacer.start()
        except (KeyboardInterrupt, Interrupted):
            result.interrupted = True
            done(Created(item, error="not attempted: interrupted"))
            continue
        try:
            job = client.create_job(item.body(), item.params())
        except (KeyboardInterrupt, Interrupted):  # Ctrl-C, SIGTERM
            result.interrupted = True
            done(Created(item, error="interrupted while creating", unknown=True))
            continue
        except OutcomeUnknown as e:
            done(Created(item, error=e.message, unknown=True))
            continue
        except LxError as e:
            alike.append(e.message)
            if stops_the_run(e) or (len(alike) >= SAME_FAILURES and len(set(alike)) == 1):
                result.stopped = e
            done(Created(item, error=e.message))
            continue
        finally:
            if throttled():
                pacer.throttled()
        alike.append("")  # a success: failures alike no longer tell the rest would fail
        done(Created(item, job=job))
    return result


def exit_status(run_: Run, skipped: Sequence[Skipped] = ()) -> int:
    """1 when a create failed or is unknown, or an original could not be rerun; else 4
    when an original is unknown; else 0 (an AuthError that stopped the run: 3)."""
    if run_.interrupted:
        return int(ExitStatus.INTERRUPTED)
    if isinstance(run_.stopped, AuthError):
        return int(ExitStatus.AUTH)
    if run_.failed or run_.unknown or any(not s.not_found for s in skipped):
        return int(ExitStatus.ERROR)
    if any(s.not_found for s in skipped):
        return int(ExitStatus.NOT_FOUND)
    return int(ExitStatus.OK)
