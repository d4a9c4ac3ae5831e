"""The pure parts of create/rerun: the pacer, a rerun's plan, the estimate, the configuration."""

from __future__ import annotations

import io
from typing import Any

import pytest

from llamaextract_cli.errors import AuthError, NetworkError, OutcomeUnknown, UsageError
from llamaextract_cli.jobs import configuration as conf
from llamaextract_cli.jobs import create
from llamaextract_cli.jobs.estimate import estimate
from llamaextract_cli.jobs.pace import MAX_INTERVAL, Pacer
from llamaextract_cli.jobs.rerun import drop_duplicates, entry_for, pages_of
from llamaextract_cli.sandbox.clock import FakeClock


def pacer(rate: float = 5.0) -> tuple[Pacer, FakeClock, list[float]]:
    clock = FakeClock(0)
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(round(seconds, 6))
        clock.advance(seconds)

    return Pacer(rate, clock.now, sleep), clock, slept


def test_the_pacer_spaces_starts_and_never_bursts_after_a_slow_answer() -> None:
    p, clock, slept = pacer(5.0)
    starts = [p.start()]
    starts.append(p.start())  # at once: 0.2 s later
    clock.advance(1.0)  # a slow answer: the next may start at once
    starts.append(p.start())
    starts.append(p.start())
    assert [round(s, 6) for s in starts] == [0.0, 0.2, 1.2, 1.4]
    assert slept == [0.2, 0.2]


def test_each_429_halves_the_pace_down_to_a_floor() -> None:
    p, clock, _ = pacer(5.0)
    p.start()
    p.throttled()
    assert p.current_rate == 2.5
    assert round(p.start(), 6) == 0.4
    for _ in range(10):
        p.throttled()
    assert p.interval == MAX_INTERVAL and p.slowed == 11


@pytest.mark.parametrize("rate", [0, -1, 16])
def test_the_rate_is_bounded(rate: float) -> None:
    with pytest.raises(ValueError):
        Pacer(rate, lambda: 0.0, lambda s: None)


class FakeClient:
    """create_job answers from a script: a job, or an exception to raise."""

    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)
        self.bodies: list[dict[str, Any]] = []

    def create_job(self, body: dict[str, Any], params: Any = ()) -> dict[str, Any]:
        self.bodies.append(body)
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer


def items(n: int) -> list[create.Planned]:
    return [
        create.Planned(f"dfl-{i}", configuration_id="cfg-1", original_id=f"ext-{i}")
        for i in range(n)
    ]


def test_run_goes_on_after_one_failure_and_never_repeats_an_unknown() -> None:
    p, _, _ = pacer()
    client = FakeClient(
        {"id": "ext-a", "status": "PENDING"},
        OutcomeUnknown("dropped"),
        UsageError("the API rejected the request (422): file_input: bad"),
        {"id": "ext-b", "status": "PENDING"},
    )
    seen: list[str] = []
    result = create.run(client, items(4), p, on_done=lambda c: seen.append(c.status))  # type: ignore[arg-type]
    assert seen == ["PENDING", "UNKNOWN", "NOT_CREATED", "PENDING"]
    assert len(client.bodies) == 4
    assert create.exit_status(result) == 1
    assert [c.record()["error"] for c in result.created][1:3] == [
        "dropped",
        "the API rejected the request (422): file_input: bad",
    ]


@pytest.mark.parametrize(
    "error,code",
    [(AuthError("refused"), 3), (NetworkError("could not reach"), 1)],
)
def test_a_failure_every_create_would_meet_stops_the_run(error: Exception, code: int) -> None:
    p, _, _ = pacer()
    client = FakeClient({"id": "ext-a", "status": "PENDING"}, error)
    result = create.run(client, items(4), p)  # type: ignore[arg-type]
    assert len(client.bodies) == 2
    assert [c.status for c in result.created] == [
        "PENDING",
        "NOT_CREATED",
        "NOT_CREATED",
        "NOT_CREATED",
    ]
    assert result.created[2].error is not None and result.created[2].error.startswith(
        "not attempted"
    )
    assert create.exit_status(result) == code


def test_ctrl_c_during_a_create_makes_it_unknown_and_stops() -> None:
    p, _, _ = pacer()
    client = FakeClient({"id": "ext-a", "status": "PENDING"}, KeyboardInterrupt())
    result = create.run(client, items(3), p)  # type: ignore[arg-type]
    assert [c.status for c in result.created] == ["PENDING", "UNKNOWN", "NOT_CREATED"]
    assert result.interrupted and create.exit_status(result) == 130


def test_the_body_is_the_sdks() -> None:
    saved = create.Planned(
        "dfl-1", configuration_id="cfg-1", project_id="prj", organization_id="org"
    )
    assert saved.body() == {"file_input": "dfl-1", "configuration_id": "cfg-1"}
    assert saved.params() == [("project_id", "prj"), ("organization_id", "org")]
    inline = create.Planned("pjb-1", configuration={"data_schema": {}}, webhooks=("https://h",))
    assert inline.body() == {
        "file_input": "pjb-1",
        "configuration": {"data_schema": {}},
        "webhook_configurations": [{"webhook_url": "https://h"}],
    }


# --- a rerun's plan -------------------------------------------------------------------------------


def job(**kw: Any) -> dict[str, Any]:
    base = {"id": "ext-1", "status": "FAILED", "file_input": "dfl-1", "project_id": "prj-1"}
    return {**base, **kw}


def test_an_original_with_a_saved_configuration_keeps_its_id() -> None:
    planned = entry_for(job(configuration_id="cfg-1", configuration={"tier": "agentic"}), "org")
    assert isinstance(planned, create.Planned)
    assert planned.body() == {"file_input": "dfl-1", "configuration_id": "cfg-1"}
    assert (planned.tier, planned.project_id, planned.organization_id) == (
        "agentic",
        "prj-1",
        "org",
    )


def test_an_inline_original_sends_its_configuration_and_the_seed_shape_is_read() -> None:
    inline = {"data_schema": {"type": "object"}, "tier": "cost_effective"}
    planned = entry_for(
        {
            "id": "ext-2",
            "status": "COMPLETED",
            "document_input_value": "pjb-9",
            "project_id": "p",
            "configuration": inline,
        }
    )
    assert isinstance(planned, create.Planned)
    assert planned.body() == {"file_input": "pjb-9", "configuration": inline}


@pytest.mark.parametrize(
    "original,why",
    [
        (job(status="RUNNING", configuration_id="c"), "only finished jobs"),
        (job(status="PENDING", configuration_id="c"), "only finished jobs"),
        (job(file_input=None, configuration_id="c"), "no file_input"),
        (job(), "neither its configuration_id nor its configuration"),
    ],
)
def test_what_cannot_be_rerun_says_why(original: dict[str, Any], why: str) -> None:
    skipped = entry_for(original)
    assert isinstance(skipped, create.Skipped) and why in skipped.reason
    assert skipped.record()["status"] == "NOT_CREATED"


@pytest.mark.parametrize(
    "status,pages,expected",
    [("COMPLETED", 7, 7), ("COMPLETED", 0, 0), ("FAILED", 0, None), ("FAILED", 3, 3),
     ("FAILED", None, None), ("COMPLETED", True, None), ("COMPLETED", -1, None)],
)  # fmt: skip
def test_pages_of_an_original(status: str, pages: Any, expected: int | None) -> None:
    original = job(status=status, metadata={"usage": {"num_pages_extracted": pages}})
    assert pages_of(original) == expected
    assert pages_of(job()) is None


def test_duplicates_are_named_once_each() -> None:
    assert drop_duplicates(["a", "b", "a", "c", "b", "a"]) == (["a", "b", "c"], ["a", "b"])


def test_the_estimate_groups_by_configuration_and_tier() -> None:
    plan = [
        create.Planned("d1", configuration_id="cfg-1", tier="agentic", pages=2),
        create.Planned("d2", configuration_id="cfg-1", tier="agentic", pages=3),
        create.Planned("d3", configuration_id="cfg-1", tier="agentic", pages=None),
        create.Planned("d4", configuration={}, tier="cost_effective", pages=10),
        create.Planned("d5", configuration={}, tier="turbo", pages=4),
    ]
    est = estimate(plan)
    rows = [
        (g.configuration, g.tier, g.jobs, g.pages, g.unknown_pages, g.credits) for g in est.groups
    ]
    assert rows == [
        ("cfg-1", "agentic", 3, 5, 1, 75.0),
        ("inline", "cost_effective", 1, 10, 0, 50.0),
        ("inline", "turbo", 1, 4, 0, None),
    ]
    assert (est.jobs, est.pages, est.credits, est.unpriced, est.complete) == (
        5,
        19,
        125.0,
        1,
        False,
    )
    assert estimate(plan[3:4]).complete


# --- the configuration of `jobs create` -----------------------------------------------------------


def choose(**kw: Any) -> conf.Choice:
    args: dict[str, Any] = {"config_id": None, "schema": None, "configuration": None,
                            "options": conf.Options(), "stdin": io.StringIO()}  # fmt: skip
    args.update(kw)
    return conf.choose(**args)


def test_a_schema_from_stdin_and_flags_over_a_configuration_file(tmp_path: Any) -> None:
    got = choose(
        schema="-", stdin=io.StringIO('{"type": "object"}'), options=conf.Options(tier="agentic")
    )
    assert got.configuration == {"data_schema": {"type": "object"}, "tier": "agentic"}
    path = tmp_path / "c.json"
    path.write_text('{"data_schema": {"type": "object"}, "tier": "cost_effective", "lang": "fr"}')
    got = choose(configuration=str(path), options=conf.Options(tier="agentic", cite=False))
    assert got.configuration == {
        "data_schema": {"type": "object"}, "tier": "agentic", "lang": "fr", "cite_sources": False,
    }  # fmt: skip
    assert conf.describe(got) == "inline configuration (tier agentic)"


@pytest.mark.parametrize(
    "text,message",
    [
        ('{"tier": "agentic"}', "needs a data_schema object"),
        ('{"configuration": {"data_schema": {}}}', "looks like a job or a request body"),
        ('"x"', "a configuration is a JSON object, not a string"),
        ("{\n  'a': 1\n}", "(line 2, column 3)"),
    ],
)
def test_bad_configuration_files(tmp_path: Any, text: str, message: str) -> None:
    path = tmp_path / "c.json"
    path.write_text(text)
    with pytest.raises(UsageError) as info:
        choose(configuration=str(path))
    assert message in info.value.message


def test_stdin_on_a_terminal_is_refused() -> None:
    with pytest.raises(UsageError, match="stdin is a terminal"):
        choose(schema="-", stdin_isatty=True)


def test_the_first_creates_failing_alike_stop_the_rest() -> None:
    p, _, _ = pacer()
    refused = [UsageError("the API rejected the request (422): configuration.tier")] * 3
    client = FakeClient(*refused)
    result = create.run(client, items(5), p)  # type: ignore[arg-type]
    assert len(client.bodies) == 3 and result.stopped is not None
    assert [c.error for c in result.created][3].startswith("not attempted: stopped after")
    # after a success, failures alike do not stop the run (they may be about the inputs)
    p, _, _ = pacer()
    client = FakeClient({"id": "ext-a", "status": "PENDING"}, *refused, {"id": "b"})
    result = create.run(client, items(5), p)  # type: ignore[arg-type]
    assert len(client.bodies) == 5 and result.stopped is None
