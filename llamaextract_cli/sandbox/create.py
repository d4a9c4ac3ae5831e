"""Job creation (`POST /api/v2/extract`): the body's validation, new jobs and their contents.

`parse_body` checks a request body the way the service's FastAPI/pydantic layer does (every
problem in one 422 list). `Creator.new_job` makes the job: its ID, its plan (PENDING ->
RUNNING -> COMPLETED or FAILED within about ten seconds of its creation) and its outcome
come from a RNG seeded by the data set's seed and the job's creation number, so the same
creations in the same order give the same jobs. A configuration fails about as often as it
did in the data set, with the same kinds of errors. `materialize` renders a created job in
the same shapes as the data set's jobs.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from llamaextract_cli.sandbox import documents, failures, metadata
from llamaextract_cli.sandbox.configs import (
    PARSE_TIERS,
    TARGETS,
    TIERS,
    ConfigSpec,
)
from llamaextract_cli.sandbox.data import (
    CANCELLED,
    COMPLETED,
    EXPAND_CONFIGURATION,
    EXPAND_METADATA,
    FAILED,
    META_SEED,
    NO_ERROR,
    PENDING,
    RUNNING,
    STATUSES,
    Dataset,
    _result,
    add_usage,
    input_pages,
    input_type,
)
from llamaextract_cli.sandbox.failures import uuid_from
from llamaextract_cli.sandbox.rng import FastRandom
from llamaextract_cli.sandbox.timeutil import iso_ms

ErrorList = list[dict[str, Any]]

# the seed page's two extract tiers and three parse tiers, for the seed shape
_SEED_TIER = {"cost_effective": "cost_effective", "agentic": "agentic"}
_SEED_TIER.update(agentic_plus="agentic", turbo="cost_effective")
_SEED_PARSE_TIER = {"fast": "fast", "cost_effective": "cost_effective", "agentic": "agentic"}
_SEED_PARSE_TIER.update(agentic_plus="agentic")

_BOOL_KEYS = (
    "advanced_citations",
    "cite_sources",
    "confidence_scores",
    "disable_cache",
    "spreadsheet_mode",
)
_STR_KEYS = ("parse_config_id", "system_prompt", "target_pages", "version", "lang")
_EVENTS = {
    "batch": "cancelled error pending running success",
    "classify": "cancelled error partial_success pending running success",
    "extract": "cancelled error partial_success pending success",
    "parse": "cancelled error partial_success pending running success",
    "sheets": "cancelled error partial_success pending success",
    "split": "cancelled error pending processing success",
    "verify": "cancelled error pending running success",
}
# the SDK's webhook event names, in its (alphabetical) order
WEBHOOK_EVENTS = tuple(
    sorted(
        [f"{p}.{e}" for p, events in _EVENTS.items() for e in events.split()] + ["unmapped_event"]
    )
)
_TARGET_PAGES = re.compile(r"\s*\d+\s*(?:-\s*\d+\s*)?(?:,\s*\d+\s*(?:-\s*\d+\s*)?)*")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
_INPUT_PREFIXES = ("dfl-", "pjb-")
MAX_PAGE_NUMBER = 10_000
EXACTLY_ONE = "Provide exactly one of configuration or configuration_id"
_TRUE = frozenset(("true", "1", "yes", "on", "t", "y"))
_FALSE = frozenset(("false", "0", "no", "off", "f", "n"))
# how strongly the data set's overall failure rate pulls a configuration's own rate
_PRIOR_WEIGHT = 4.0
_DEFAULT_FAIL_RATE = 0.17  # 15 / (72 + 15): the data set's mix, when it has no jobs


# ---------------------------------------------------------------------- validation
def _quoted(values: tuple[str, ...]) -> str:
    q = [f"'{v}'" for v in values]
    return q[0] if len(q) == 1 else ", ".join(q[:-1]) + " or " + q[-1]


def _err(kind: str, loc: list[Any], msg: str, value: Any, **ctx: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"type": kind, "loc": loc, "msg": msg, "input": value}
    if ctx:
        out["ctx"] = ctx
    return out


def _enum(loc: list[Any], value: Any, allowed: tuple[str, ...]) -> dict[str, Any]:
    expected = _quoted(allowed)
    return _err("enum", loc, f"Input should be {expected}", value, expected=expected)


def _value_error(loc: list[Any], message: str, value: Any) -> dict[str, Any]:
    return _err("value_error", loc, f"Value error, {message}", value, error=message)


def _string(loc: list[Any], value: Any, errors: ErrorList) -> str | None:
    if isinstance(value, str):
        return value
    errors.append(_err("string_type", loc, "Input should be a valid string", value))
    return None


def _bool(loc: list[Any], value: Any, errors: ErrorList) -> bool | None:
    """pydantic's lax bool: true/false, 0/1 and the usual words."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        low = value.strip().lower()
        if low in _TRUE or low in _FALSE:
            return low in _TRUE
        msg = "Input should be a valid boolean, unable to interpret input"
        errors.append(_err("bool_parsing", loc, msg, value))
        return None
    errors.append(_err("bool_type", loc, "Input should be a valid boolean", value))
    return None


def _int(loc: list[Any], value: Any, errors: ErrorList) -> int | None:
    if isinstance(value, bool):
        errors.append(_err("int_type", loc, "Input should be a valid integer", value))
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        msg = "Input should be a valid integer, got a number with a fractional part"
        errors.append(_err("int_from_float", loc, msg, value))
        return None
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            msg = "Input should be a valid integer, unable to parse string as an integer"
            errors.append(_err("int_parsing", loc, msg, value))
            return None
    errors.append(_err("int_type", loc, "Input should be a valid integer", value))
    return None


def _str_list(loc: list[Any], value: Any, errors: ErrorList) -> list[str] | None:
    if not isinstance(value, list):
        errors.append(_err("list_type", loc, "Input should be a valid list", value))
        return None
    out = [_string([*loc, i], v, errors) for i, v in enumerate(value)]
    return [v for v in out if v is not None]


@dataclass(eq=False)
class InlineConfig(ConfigSpec):
    """A configuration sent inline: rendered as it was given, plus the service's defaults."""

    data_schema: dict[str, Any] = field(default_factory=dict)
    given: dict[str, Any] = field(default_factory=dict)  # the keys set (not null), checked

    def _render(self, shape: str) -> dict[str, Any]:
        out: dict[str, Any] = {"data_schema": self.data_schema}
        values = {
            **self.given,
            "extraction_target": self.extraction_target,
            "tier": self.tier,
            "version": self.version,
        }
        if shape == "seed":
            seed_keys = (
                "cite_sources",
                "confidence_scores",
                "extraction_target",
                "max_pages",
                "parse_config_id",
                "parse_tier",
                "system_prompt",
                "target_pages",
                "tier",
            )
            values = {k: v for k, v in values.items() if k in seed_keys}
            values["extract_version"] = self.version
            values["lang"] = self.lang
            values["tier"] = _SEED_TIER[self.tier]
            if self.parse_tier is not None:
                values["parse_tier"] = _SEED_PARSE_TIER[self.parse_tier]
        else:
            values.pop("lang", None)
        for key in sorted(values):
            out[key] = values[key]
        return out


def parse_configuration(value: Any, errors: ErrorList) -> InlineConfig | None:
    """An ExtractConfiguration from the body, or None with the problems in `errors`."""
    loc: list[Any] = ["body", "configuration"]
    if not isinstance(value, dict):
        msg = "Input should be a valid dictionary or object to extract fields from"
        errors.append(_err("model_attributes_type", loc, msg, value))
        return None
    n_errors = len(errors)
    given: dict[str, Any] = {}
    schema = value.get("data_schema")
    if "data_schema" not in value:
        errors.append(_err("missing", [*loc, "data_schema"], "Field required", value))
    elif not isinstance(schema, dict):
        msg = "Input should be a valid dictionary"
        errors.append(_err("dict_type", [*loc, "data_schema"], msg, schema))
    elif schema.get("type", "object") != "object":
        errors.append(
            _value_error(
                [*loc, "data_schema"], "data_schema must describe an object (type: object)", schema
            )
        )
    for key in _BOOL_KEYS:
        if value.get(key) is not None:
            b = _bool([*loc, key], value[key], errors)
            if b is not None:
                given[key] = b
    for key in (*_STR_KEYS, "extract_version"):
        if value.get(key) is not None:
            s = _string([*loc, key], value[key], errors)
            if s is not None:
                given[key] = s
    if "extract_version" in given:  # the seed page's name of `version`
        given.setdefault("version", given["extract_version"])
        del given["extract_version"]
    if value.get("max_pages") is not None:
        n = _int([*loc, "max_pages"], value["max_pages"], errors)
        if n is not None and n < 1:
            errors.append(
                _err(
                    "greater_than_equal",
                    [*loc, "max_pages"],
                    "Input should be greater than or equal to 1",
                    value["max_pages"],
                    ge=1,
                )
            )
        elif n is not None:
            given["max_pages"] = n
    if value.get("sheet_names") is not None:
        names = _str_list([*loc, "sheet_names"], value["sheet_names"], errors)
        if names is not None:
            given["sheet_names"] = names
    tier = value.get("tier")
    if tier is not None:
        if tier in TIERS:
            given["tier"] = tier
        else:
            errors.append(_enum([*loc, "tier"], tier, TIERS))
    target = value.get("extraction_target")
    if target is not None:
        if target in TARGETS:
            given["extraction_target"] = target
        else:
            errors.append(_enum([*loc, "extraction_target"], target, TARGETS))
    parse_tier = value.get("parse_tier")
    if parse_tier is not None:
        allowed = tuple(sorted(PARSE_TIERS))
        if parse_tier in PARSE_TIERS:
            given["parse_tier"] = parse_tier
        else:
            errors.append(_enum([*loc, "parse_tier"], parse_tier, allowed))
    pages = given.get("target_pages")
    if pages is not None:
        problem = _target_pages_problem(pages)
        if problem:
            errors.append(_value_error([*loc, "target_pages"], problem, pages))
    if len(errors) > n_errors:
        return None
    # rules across fields (pydantic model validators): checked once the fields are valid
    tier = given.get("tier", "cost_effective")
    target = given.get("extraction_target", "per_doc")
    if tier == "agentic_plus" and target != "per_doc":
        errors.append(
            _value_error(loc, "agentic_plus supports extraction_target per_doc only", value)
        )
    if tier == "turbo" and (given.get("parse_tier") or given.get("parse_config_id")):
        errors.append(
            _value_error(loc, "turbo does not support parse_tier or parse_config_id", value)
        )
    if given.get("spreadsheet_mode") and tier != "agentic_plus":
        errors.append(_value_error(loc, "spreadsheet_mode requires the agentic_plus tier", value))
    if len(errors) > n_errors:
        return None
    assert isinstance(schema, dict)
    kind = next((k for k, s in documents.SCHEMAS.items() if s == schema), "")
    return InlineConfig(
        kind,
        tier,
        target,
        given.get("version", "latest"),
        cite_sources=given.get("cite_sources"),
        confidence_scores=given.get("confidence_scores"),
        max_pages=given.get("max_pages"),
        target_pages=given.get("target_pages"),
        parse_tier=given.get("parse_tier"),
        parse_config_id=given.get("parse_config_id"),
        system_prompt=given.get("system_prompt"),
        lang=given.get("lang", "en"),
        advanced_citations=given.get("advanced_citations"),
        disable_cache=given.get("disable_cache"),
        data_schema=schema,
        given=given,
    )


def _target_pages_problem(text: str) -> str | None:
    if not _TARGET_PAGES.fullmatch(text):
        return "target_pages must be comma-separated page numbers or ranges, such as '1,3,5-7'"
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        a, b = int(lo), int(hi or lo)
        if a < 1 or b < a:
            return f"invalid page range '{part.strip()}': pages are 1-based, low to high"
        if b > MAX_PAGE_NUMBER:
            return f"page numbers above {MAX_PAGE_NUMBER} are not supported"
    return None


@dataclass
class CreateRequest:
    file_input: str
    configuration_id: str | None
    configuration: InlineConfig | None
    webhooks: list[dict[str, Any]]
    webhook_configuration_ids: list[str]


def _is_json(content_type: str | None) -> bool:
    if not content_type:
        return True  # FastAPI reads a body without a content type as JSON
    media = content_type.split(";", 1)[0].strip().lower()
    main, _, sub = media.partition("/")
    return main == "application" and (sub == "json" or sub.endswith("+json"))


def parse_body(body: bytes, content_type: str | None) -> tuple[CreateRequest | None, ErrorList]:
    """The create request, or the FastAPI-style 422 error list."""
    if not body:
        return None, [_err("missing", ["body"], "Field required", None)]
    data: Any
    if _is_json(content_type):
        try:
            data = json.loads(body)
        except (UnicodeDecodeError, ValueError) as e:
            pos = getattr(e, "pos", 0)
            reason = getattr(e, "msg", str(e))
            err = _err("json_invalid", ["body", pos], "JSON decode error", {}, error=reason)
            return None, [err]
    else:  # FastAPI hands the raw bytes to the model
        data = body.decode("utf-8", "replace")
    if not isinstance(data, dict):
        msg = "Input should be a valid dictionary or object to extract fields from"
        return None, [_err("model_attributes_type", ["body"], msg, data)]
    errors: ErrorList = []
    file_input = None
    if "file_input" not in data:
        errors.append(_err("missing", ["body", "file_input"], "Field required", data))
    else:
        file_input = _string(["body", "file_input"], data["file_input"], errors)
        if file_input is not None and not _is_input_id(file_input):
            message = "file_input must be a file ID (dfl-...) or a parse job ID (pjb-...)"
            errors.append(_value_error(["body", "file_input"], message, file_input))
            file_input = None
    config_id = None
    if data.get("configuration_id") is not None:
        config_id = _string(["body", "configuration_id"], data["configuration_id"], errors)
    config = None
    if data.get("configuration") is not None:
        config = parse_configuration(data["configuration"], errors)
    webhooks = _webhooks(data.get("webhook_configurations"), errors)
    hook_ids: list[str] = []
    if data.get("webhook_configuration_ids") is not None:
        loc = ["body", "webhook_configuration_ids"]
        hook_ids = _str_list(loc, data["webhook_configuration_ids"], errors) or []
    has_config = data.get("configuration") is not None
    has_id = data.get("configuration_id") is not None
    if has_config == has_id and not errors:
        errors.append(_value_error(["body"], EXACTLY_ONE, data))
    if errors:
        return None, errors
    assert file_input is not None
    return CreateRequest(file_input, config_id, config, webhooks, hook_ids), []


def _is_input_id(value: str) -> bool:
    """dfl-/pjb- IDs, and bare UUIDs (the parse job IDs of the data set's older jobs)."""
    value = value.strip()
    if value.startswith(_INPUT_PREFIXES):
        return len(value) > 4
    return bool(_UUID.fullmatch(value))


def _webhooks(value: Any, errors: ErrorList) -> list[dict[str, Any]]:
    loc: list[Any] = ["body", "webhook_configurations"]
    if value is None:
        return []
    if not isinstance(value, list):
        errors.append(_err("list_type", loc, "Input should be a valid list", value))
        return []
    out: list[dict[str, Any]] = []
    for i, hook in enumerate(value):
        if not isinstance(hook, dict):
            msg = "Input should be a valid dictionary or object to extract fields from"
            errors.append(_err("model_attributes_type", [*loc, i], msg, hook))
            continue
        for key in ("webhook_url", "webhook_output_format", "webhook_signing_secret"):
            if hook.get(key) is not None:
                _string([*loc, i, key], hook[key], errors)
        events = hook.get("webhook_events")
        if events is not None:
            if not isinstance(events, list):
                msg = "Input should be a valid list"
                errors.append(_err("list_type", [*loc, i, "webhook_events"], msg, events))
            else:
                for j, event in enumerate(events):
                    if event not in WEBHOOK_EVENTS:
                        errors.append(_enum([*loc, i, "webhook_events", j], event, WEBHOOK_EVENTS))
        headers = hook.get("webhook_headers")
        if headers is not None and not (
            isinstance(headers, dict) and all(isinstance(v, str) for v in headers.values())
        ):
            msg = "Input should be a valid dictionary with string values"
            errors.append(_err("dict_type", [*loc, i, "webhook_headers"], msg, headers))
        out.append(hook)
    return out


# ---------------------------------------------------------------------- created jobs
@dataclass(eq=False)
class CreatedJob:
    """A job made by POST. Its state follows `plan` from `start_ms` (ms after app start)."""

    seq: int
    id: str
    created_ms: int
    start_ms: int
    project: int
    input: str
    config: ConfigSpec
    configuration_id: str | None
    jseed: int
    err: int
    plan: tuple[int, int, int]  # (pending until, running until, outcome), ms after start_ms
    webhooks: list[dict[str, Any]] = field(default_factory=list)
    override: tuple[int, int] | None = None  # (status, updated_ms) once cancelled

    @property
    def key(self) -> tuple[int, str]:
        return self.created_ms, self.id

    def state(self, elapsed_ms: int) -> tuple[int, int]:
        """(status, updated_ms) when the app has run `elapsed_ms`."""
        if self.override is not None:
            return self.override
        pend, run, outcome = self.plan
        t = elapsed_ms - self.start_ms
        if t < pend:
            return PENDING, self.created_ms
        if t < run:
            return RUNNING, self.created_ms + pend
        return outcome, self.created_ms + run


@dataclass
class _History:
    """Per configuration: (failed, finished) and error family counts in the data set."""

    overall: float
    by_config: dict[int, tuple[int, int]]
    families: dict[int, list[int]]
    by_tier: dict[str, tuple[int, int]]


class Creator:
    """Makes new jobs for one data set; the caller serializes calls (the app's lock)."""

    def __init__(self, data: Dataset) -> None:
        self.data = data
        self.count = 0
        self._history: _History | None = None

    def history(self) -> _History:
        if self._history is None:
            d = self.data
            by_config: dict[int, list[int]] = {}
            families: dict[int, list[int]] = {}
            for c, s, e in zip(d.cfg, d.status, d.err, strict=True):
                if s != COMPLETED and s != FAILED:
                    continue
                counts = by_config.setdefault(c, [0, 0])
                counts[1] += 1
                if s == FAILED:
                    counts[0] += 1
                    if e != NO_ERROR:
                        families.setdefault(c, [0] * len(failures.FAMILIES))[e] += 1
            failed = sum(v[0] for v in by_config.values())
            done = sum(v[1] for v in by_config.values())
            by_tier: dict[str, list[int]] = {}
            for c, (f, n) in by_config.items():
                t = by_tier.setdefault(d.configs[c].tier, [0, 0])
                t[0] += f
                t[1] += n
            self._history = _History(
                overall=failed / done if done else _DEFAULT_FAIL_RATE,
                by_config={c: (v[0], v[1]) for c, v in by_config.items()},
                families=families,
                by_tier={t: (v[0], v[1]) for t, v in by_tier.items()},
            )
        return self._history

    def failure_odds(self, cfg_index: int | None, tier: str) -> tuple[float, list[float]]:
        """P(failure) and the error family weights of a configuration, from the data set:
        its own record when it has one (a saved configuration, or an inline one that equals a
        data set job's), else its tier's; pulled toward the overall rate by a weak prior."""
        h = self.history()
        if cfg_index is not None and cfg_index in h.by_config:
            failed, done = h.by_config[cfg_index]
        else:
            failed, done = h.by_tier.get(tier, (0, 0))
        rate = (failed + _PRIOR_WEIGHT * h.overall) / (done + _PRIOR_WEIGHT)
        seen = h.families.get(cfg_index, []) if cfg_index is not None else []
        weights = [w + (seen[i] if seen else 0) * 2.0 for i, w in enumerate(failures.WEIGHTS)]
        return rate, weights

    def matching_config(self, config: InlineConfig) -> int | None:
        """The data set configuration an inline one equals (a rerun of an inline job)."""
        if not config.kind:
            return None
        mine = config.as_json("current")
        for i, spec in enumerate(self.data.configs):
            if spec.as_json("current") == mine:
                return i
        return None

    def new_job(
        self,
        *,
        file_input: str,
        config: ConfigSpec,
        cfg_index: int | None,
        configuration_id: str | None,
        project: int,
        created_ms: int,
        start_ms: int,
        taken: Mapping[str, object],
        webhooks: list[dict[str, Any]],
    ) -> CreatedJob:
        seq = self.count
        self.count += 1
        rng = FastRandom(f"lx-sandbox-create:{self.data.seed}:{seq}")
        job_id = "ext-" + uuid_from(rng.getrandbits(128))
        while job_id in taken or job_id in self.data.rank:
            job_id = "ext-" + uuid_from(rng.getrandbits(128))
        jseed = rng.getrandbits(63)
        rate, weights = self.failure_odds(cfg_index, config.tier)
        fails = rng.random() < rate
        family = _pick(weights, rng.random())
        pend = 800 + rng.randint(0, 1700)
        pages = max(1, config.pages_extracted(input_pages(file_input)))
        if fails:
            run = pend + 1000 + rng.randint(0, 5000)
        else:
            run = min(pend + 3000 + min(pages, 50) * 60 + rng.randint(0, 2000), 9500)
        return CreatedJob(
            seq=seq,
            id=job_id,
            created_ms=created_ms,
            start_ms=start_ms,
            project=project,
            input=file_input,
            config=config,
            configuration_id=configuration_id,
            jseed=jseed,
            err=family if fails else NO_ERROR,
            plan=(pend, run, FAILED if fails else COMPLETED),
            webhooks=webhooks,
        )


def _pick(weights: list[float], u: float) -> int:
    total = sum(weights)
    acc = 0.0
    for i, w in enumerate(weights):
        acc += w / total
        if u < acc:
            return i
    return len(weights) - 1


# ---------------------------------------------------------------------- contents
def materialize(
    job: CreatedJob, status: int, updated_ms: int, flags: int, shape: str, data: Dataset
) -> dict[str, Any]:
    """The job as the API shows it, like `Dataset.materialize` does for the data set's."""
    current = shape == "current"
    cfg = job.config
    value = job.input
    created = job.created_ms
    out: dict[str, Any] = {
        "id": job.id,
        "created_at": iso_ms(created),
        "file_input" if current else "document_input_value": value,
        "project_id": data.project_ids[job.project],
        "status": STATUSES[status],
        "updated_at": iso_ms(updated_ms),
    }
    if flags & EXPAND_CONFIGURATION:
        out["configuration"] = cfg.as_json(shape)
    if job.configuration_id:
        out["configuration_id"] = job.configuration_id
    rng = FastRandom(job.jseed)
    parse_tier = cfg.effective_parse_tier
    if parse_tier is None:
        parse_job_id = None
    elif input_type(value) == "parse_job_id":
        parse_job_id = value
    else:
        parse_job_id = uuid_from(rng.getrandbits(128))
    pages = cfg.pages_extracted(input_pages(value))
    processed = doc_tokens = out_tokens = 0
    if status == COMPLETED:
        pages = processed = max(pages, 1)
        doc_tokens = pages * rng.randint(350, 1400)
        if cfg.kind:
            result, per_page = _result(cfg, rng, created, pages)
        else:
            result, per_page = _schema_result(cfg, rng, created, pages)
        out_tokens = rng.randint(60, 400) + 45 * (len(result) if per_page else 1)
        if flags & EXPAND_METADATA:
            out["extract_metadata"] = {
                "field_metadata": metadata.field_metadata(
                    cfg,
                    result,
                    seed=job.jseed + META_SEED,
                    doc_pages=input_pages(value),
                    shape=shape,
                ),
                "parse_job_id": parse_job_id,
                "parse_tier": parse_tier,
            }
        out["extract_result"] = result
    elif status == FAILED:
        family = job.err if job.err != NO_ERROR else 5
        if cfg.kind or failures.FAMILIES[family] != "schema":
            kind = cfg.kind or "invoice"
            msg, processed = failures.failure(
                family, rng, input_value=value, pages=pages, kind=kind
            )
        else:
            msg, processed = _schema_failure(cfg, rng), pages
        doc_tokens = processed * rng.randint(350, 1400)
        out_tokens = rng.randint(0, 200) if processed else 0
        out["error_message"] = msg
        if flags & EXPAND_METADATA:
            out["extract_metadata"] = {"parse_job_id": parse_job_id, "parse_tier": parse_tier}
    elif flags & EXPAND_METADATA:
        started = status in (RUNNING, CANCELLED)
        out["extract_metadata"] = (
            {"parse_job_id": parse_job_id, "parse_tier": parse_tier} if started else None
        )
    add_usage(
        out, status, processed, (doc_tokens, out_tokens), current, flags, cfg.tier, parse_tier
    )
    return out


_WORDS = ("alpha", "north", "sample", "blue", "standard", "primary", "draft", "final")


class _Gen:
    """Values conforming to a JSON Schema (the subset extraction schemas use)."""

    def __init__(self, root: dict[str, Any], rng: FastRandom, base_ms: int) -> None:
        self.root = root
        self.rng = rng
        self.base_ms = base_ms

    def resolve(self, schema: Any, depth: int) -> dict[str, Any]:
        while isinstance(schema, dict) and isinstance(schema.get("$ref"), str) and depth < 8:
            ref = schema["$ref"]
            node: Any = self.root
            if not ref.startswith("#"):
                return {}
            for part in ref.lstrip("#/").split("/"):
                node = node.get(part) if isinstance(node, dict) and part else node
            schema = node if isinstance(node, dict) else {}
            depth += 1
        if isinstance(schema, dict):
            for key in ("anyOf", "oneOf", "allOf"):
                options = schema.get(key)
                if isinstance(options, list) and options:
                    usable = [
                        o for o in options if not (isinstance(o, dict) and o.get("type") == "null")
                    ]
                    pick = usable[0] if usable else options[0]
                    rest = {k: v for k, v in schema.items() if k != key}
                    return {**rest, **self.resolve(pick, depth + 1)}
            return schema
        return {}

    def value(self, schema: Any, name: str = "", depth: int = 0) -> Any:
        s = self.resolve(schema, depth)
        rng = self.rng
        if depth > 6:
            return None
        if isinstance(s.get("enum"), list) and s["enum"]:
            return rng.choice(s["enum"])
        if "const" in s:
            return s["const"]
        kind = s.get("type")
        if isinstance(kind, list):
            kinds = [k for k in kind if k != "null"]
            if not kinds or rng.random() < 0.15:
                return None
            kind = kinds[0]
        if kind is None:
            kind = "object" if "properties" in s else "array" if "items" in s else "string"
        if kind == "object":
            props = s.get("properties")
            if not isinstance(props, dict):
                return {}
            return {k: self.value(v, k, depth + 1) for k, v in props.items()}
        if kind == "array":
            return [
                self.value(s.get("items", {}), name, depth + 1) for _ in range(rng.randint(1, 3))
            ]
        if kind == "integer":
            return rng.randint(1, 100)
        if kind == "number":
            return round(rng.uniform(1, 1000), 2)
        if kind == "boolean":
            return rng.random() < 0.5
        if kind == "null":
            return None
        fmt = s.get("format")
        if fmt == "date":
            days = rng.randint(0, 90)
            return time.strftime("%Y-%m-%d", time.gmtime(self.base_ms // 1000 - days * 86400))
        if fmt == "date-time":
            return iso_ms(self.base_ms - rng.randint(0, 90) * 86_400_000)
        if fmt == "email":
            return f"{rng.choice(_WORDS)}.{rng.randint(1, 99)}@example.com"
        label = name.replace("_", " ").strip() or "value"
        return f"{rng.choice(_WORDS).capitalize()} {label} {rng.randint(1, 999)}"

    def rows_schema(self) -> dict[str, Any]:
        """What a table row is: the items of the first array of objects, else the root."""
        props = self.resolve(self.root, 0).get("properties")
        if isinstance(props, dict):
            for sub in props.values():
                s = self.resolve(sub, 1)
                if s.get("type") == "array":
                    items = self.resolve(s.get("items", {}), 2)
                    if isinstance(items.get("properties"), dict):
                        return items
        return self.root


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {"value": value}


def _schema_result(cfg: ConfigSpec, rng: FastRandom, created: int, pages: int) -> tuple[Any, bool]:
    assert isinstance(cfg, InlineConfig)
    gen = _Gen(cfg.data_schema, rng, created)
    if cfg.extraction_target == "per_doc":
        return _object(gen.value(cfg.data_schema)), False
    if cfg.extraction_target == "per_page":
        out = []
        for p in range(max(1, min(pages, 12))):
            doc = _object(gen.value(cfg.data_schema))
            if p:
                for key in list(doc)[:2]:
                    doc[key] = None
            out.append(doc)
        return out, True
    row = gen.rows_schema()
    return [_object(gen.value(row)) for _ in range(rng.randint(1, 25))], True


def _leaf_paths(
    gen: _Gen, schema: Any, prefix: str, depth: int, out: list[tuple[str, str]]
) -> None:
    s = gen.resolve(schema, depth)
    if depth > 6:
        return
    props = s.get("properties")
    if isinstance(props, dict):
        for k, v in props.items():
            _leaf_paths(gen, v, f"{prefix}.{k}" if prefix else k, depth + 1, out)
        return
    if s.get("type") == "array":
        _leaf_paths(gen, s.get("items", {}), prefix + "[{i}]", depth + 1, out)
        return
    kind = s.get("type", "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if prefix:
        out.append((prefix, str(kind)))


def _schema_failure(cfg: ConfigSpec, rng: FastRandom) -> str:
    assert isinstance(cfg, InlineConfig)
    gen = _Gen(cfg.data_schema, rng, 0)
    paths: list[tuple[str, str]] = []
    _leaf_paths(gen, cfg.data_schema, "", 0, paths)
    if not paths:
        return "Schema validation failed: the extracted data is not an object"
    path, want = rng.choice(paths)
    got = rng.choice([t for t in ("string", "number", "null", "object") if t != want])
    path = path.format(i=rng.randint(0, 9))
    return f"Schema validation failed: field '{path}' expected {want}, got {got}"
