"""The deterministic data set: compact per-job records, full jobs materialized on demand.

Jobs are stored column-wise in *rank* order: rank 0 is the newest job (the list order of
the API: created_at descending, then id descending). Live jobs, created at the anchor,
take the first ranks. A job's JSON is rebuilt on demand from its record and its own seed,
so a 100,000-job data set costs a few tens of MB, not gigabytes.
"""

from __future__ import annotations

import random
import zlib
from array import array
from typing import Any

from llamaextract_cli.sandbox import documents, failures, metadata
from llamaextract_cli.sandbox.configs import PARSE_RATE, TIER_RATE, ConfigSpec
from llamaextract_cli.sandbox.configs import inline_config as _inline_config
from llamaextract_cli.sandbox.configs import saved_configs as _saved_configs
from llamaextract_cli.sandbox.failures import uuid_from
from llamaextract_cli.sandbox.rng import FastRandom
from llamaextract_cli.sandbox.timeutil import iso_ms

STATUSES = ("PENDING", "THROTTLED", "RUNNING", "COMPLETED", "FAILED", "CANCELLED")
PENDING, THROTTLED, RUNNING, COMPLETED, FAILED, CANCELLED = range(6)
TERMINAL = frozenset((COMPLETED, FAILED, CANCELLED))
STATUS_CODE = {s: i for i, s in enumerate(STATUSES)}
_STATUS_WEIGHTS = (3, 3, 3, 72, 15, 4)  # same order as STATUSES

# what a job shows besides its base fields
EXPAND_CONFIGURATION = 1
EXPAND_METADATA = 2
EXPAND_USAGE = 4

SHAPES = ("current", "seed")
DAY_MS = 86_400_000
WINDOW_MS = 30 * DAY_MS
NO_ERROR = 255
N_INLINE_CONFIGS = 40
META_SEED = 1 << 64  # job seed + this: the seed of a job's field metadata (a stream apart)


def input_pages(value: str) -> int:
    """Page count of a document, a pure function of its ID."""
    h = zlib.crc32(value.encode())
    u, v = h & 0xFFFF, h >> 16
    if u < 36_000:
        return 1 + v % 4
    if u < 56_000:
        return 5 + v % 16
    if u < 63_600:
        return 21 + v % 100
    return 121 + v % 280


def input_type(value: str) -> str:
    return "file_id" if value.startswith("dfl-") else "parse_job_id"


class Dataset:
    """`jobs` historical jobs over the 30 days before `anchor_ms`, plus `live` new ones.

    `span_ms` squeezes the historical jobs into that much time before the anchor (a
    skewed window: every job of a 30-day listing in its last hours); the jobs are the
    same, only their times (and durations, capped at their age) shrink.
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        jobs: int = 300,
        anchor_ms: int,
        live: int = 4,
        span_ms: int | None = None,
    ) -> None:
        if jobs < 0 or live < 0:
            raise ValueError("jobs and live must be >= 0")
        self.seed = seed
        self.anchor_ms = anchor_ms
        self.n_historical = jobs
        self.n_live = live
        self.span_ms = span_ms
        rng = FastRandom(f"lx-sandbox:{seed}")
        self.organization_id = "org-" + uuid_from(rng.getrandbits(128))
        self.project_ids = (
            "prj-" + uuid_from(rng.getrandbits(128)),
            "prj-" + uuid_from(rng.getrandbits(128)),
        )
        self.configs: list[ConfigSpec] = _saved_configs(rng)
        self.n_saved = len(self.configs)
        self.configs += [_inline_config(rng) for _ in range(N_INLINE_CONFIGS)]
        self.config_ids = {c.id: i for i, c in enumerate(self.configs) if c.id}
        rows = self._historical(rng, jobs) + self._live_rows(seed, live)
        # newest first, ties broken by id (descending, like the keyset cursor)
        rows.sort(key=lambda row: (row[0], row[1]), reverse=True)
        self.n = len(rows)
        self.created_ms = array("q", [row[0] for row in rows])
        self.ids: list[str] = [row[1] for row in rows]
        self.status = bytearray(row[2] for row in rows)
        self.dur_ms = array("q", [row[3] for row in rows])
        self.cfg = array("H", [row[4] for row in rows])
        self.project = bytearray(row[5] for row in rows)
        self.inputs: list[str] = [row[6] for row in rows]
        self.jseed = array("Q", [row[7] for row in rows])
        self.err = bytearray(row[8] for row in rows)
        self.rank = {job_id: r for r, job_id in enumerate(self.ids)}
        # live jobs: their rank -> (pending until, running until, outcome), in ms after start
        self.live_plan: dict[int, tuple[int, int, int]] = {}
        for row in rows:
            if row[9] is not None:
                self.live_plan[self.rank[row[1]]] = row[9]

    # ------------------------------------------------------------------ generation
    def _historical(self, rng: random.Random, jobs: int) -> list[tuple[Any, ...]]:
        anchor_s = self.anchor_ms // 1000
        rand, randint, getrandbits = rng.random, rng.randint, rng.getrandbits
        # Timestamps come from their own stream: how many draws they take depends on the
        # anchor (working hours), and the IDs, statuses and contents must not.
        trng = FastRandom(f"lx-sandbox-time:{self.seed}")
        # busy periods: a few busy days and some busy hours (center offset s, sigma s)
        bursts = [
            (trng.uniform(0.5, 29.5) * 86400, trng.choice((900.0, 1800.0, 3 * 3600.0, 8 * 3600.0)))
            for _ in range(12)
        ]
        cum_status = _cumulative(_STATUS_WEIGHTS)
        cum_err = _cumulative(failures.WEIGHTS)
        saved_weights = _cumulative((30, 14, 18, 9, 6, 8, 5, 10))
        pools: tuple[list[str], list[str]] = ([], [])
        out: list[tuple[Any, ...]] = []
        prev: tuple[Any, ...] | None = None
        for _ in range(jobs):
            status = _pick(cum_status, rand())
            if prev is not None and rand() < 0.05 and prev[2] in TERMINAL:
                # a batch submission: same millisecond, same project and configuration
                offset_ms, project, cfg = prev[10], prev[5], prev[4]
            else:
                if status not in TERMINAL and rand() < 0.85:
                    horizon = 1800.0 if status == RUNNING else 900.0
                    offset_s = trng.uniform(5.0, horizon)
                elif rand() < 0.35:
                    center, sigma = bursts[trng.randint(0, len(bursts) - 1)]
                    offset_s = min(max(trng.gauss(center, sigma), 60.0), 30 * 86400.0 - 1)
                else:
                    offset_s = _background_offset(trng, anchor_s)
                offset_ms = int(offset_s * 1000) + trng.randint(0, 999)
                if self.span_ms is not None:
                    offset_ms = offset_ms * self.span_ms // WINDOW_MS
                project = 0 if rand() < 0.85 else 1
                if rand() < 0.6:
                    cfg = _pick(saved_weights, rand())
                else:
                    cfg = self.n_saved + randint(0, N_INLINE_CONFIGS - 1)
            pool = pools[project]
            if pool and rand() < 0.3:
                value = pool[randint(max(0, len(pool) - 400), len(pool) - 1)]
            else:
                bits = getrandbits(128)
                value = ("dfl-" + uuid_from(bits)) if rand() < 0.75 else uuid_from(bits)
                pool.append(value)
            job_id = "ext-" + uuid_from(getrandbits(128))
            pages = self.configs[cfg].pages_extracted(input_pages(value))
            if status == COMPLETED:
                dur = 4000 + pages * randint(300, 2500) + randint(0, 9000)
            elif status == FAILED:
                dur = randint(1500, 600_000)
            elif status == CANCELLED:
                dur = randint(2000, 180_000)
            elif status == PENDING:
                dur = 0
            else:
                dur = randint(500, 120_000)
            dur = min(dur, offset_ms)  # nothing is updated after the anchor
            err = _pick(cum_err, rand()) if status == FAILED else NO_ERROR
            row = (
                self.anchor_ms - offset_ms,
                job_id,
                status,
                dur,
                cfg,
                project,
                value,
                getrandbits(63),
                err,
                None,
                offset_ms,
            )
            out.append(row)
            prev = row
        return out

    def _live_rows(self, seed: int, live: int) -> list[tuple[Any, ...]]:
        rng = FastRandom(f"lx-sandbox-live:{seed}")
        out: list[tuple[Any, ...]] = []
        for i in range(live):
            pend = 1500 + rng.randint(0, 800)
            run = 6000 + rng.randint(0, 4000)
            outcome = (
                COMPLETED
                if i == 0
                else FAILED
                if i == 1
                else (COMPLETED if rng.random() < 0.75 else FAILED)
            )
            bits = rng.getrandbits(128)
            value = ("dfl-" + uuid_from(bits)) if i % 3 != 2 else uuid_from(bits)
            cfg = rng.randint(0, self.n_saved - 1)
            err = rng.choice((3, 5)) if outcome == FAILED else NO_ERROR
            job_id = "ext-" + uuid_from(rng.getrandbits(128))
            out.append(
                (
                    self.anchor_ms,
                    job_id,
                    PENDING,
                    0,
                    cfg,
                    0,
                    value,
                    rng.getrandbits(63),
                    err,
                    (pend, run, outcome),
                    0,
                )
            )
        return out

    # ------------------------------------------------------------------ state
    def live_state(self, rank: int, elapsed_ms: int) -> tuple[int, int]:
        """(status, updated_ms) of a live job `elapsed_ms` after the app started."""
        pend, run, outcome = self.live_plan[rank]
        if elapsed_ms < pend:
            return PENDING, self.anchor_ms
        if elapsed_ms < run:
            return RUNNING, self.anchor_ms + pend
        return outcome, self.anchor_ms + run

    def live_ids(self) -> list[str]:
        return [self.ids[r] for r in sorted(self.live_plan)]

    def config_of(self, rank: int) -> ConfigSpec:
        return self.configs[self.cfg[rank]]

    # ------------------------------------------------------------------ materialization
    def materialize(
        self, rank: int, status: int, updated_ms: int, flags: int, shape: str
    ) -> dict[str, Any]:
        """The job as the API shows it; `flags` are EXPAND_* bits."""
        current = shape == "current"
        cfg = self.configs[self.cfg[rank]]
        value = self.inputs[rank]
        created = self.created_ms[rank]
        job: dict[str, Any] = {
            "id": self.ids[rank],
            "created_at": iso_ms(created),
            "file_input" if current else "document_input_value": value,
            "project_id": self.project_ids[self.project[rank]],
            "status": STATUSES[status],
            "updated_at": iso_ms(updated_ms),
        }
        if flags & EXPAND_CONFIGURATION:
            job["configuration"] = cfg.as_json(shape)
        if cfg.id:
            job["configuration_id"] = cfg.id
        rng = FastRandom(self.jseed[rank])
        parse_tier = cfg.effective_parse_tier
        if parse_tier is None:
            parse_job_id = None
        elif input_type(value) == "parse_job_id":
            parse_job_id = value
        else:
            parse_job_id = uuid_from(rng.getrandbits(128))
        pages = cfg.pages_extracted(input_pages(value))
        processed = doc_tokens = out_tokens = 0
        meta: dict[str, Any] | None = None
        if status == COMPLETED:
            pages = processed = max(pages, 1)
            doc_tokens = pages * rng.randint(350, 1400)
            result, per_page = _result(cfg, rng, created, pages)
            out_tokens = rng.randint(60, 400) + 45 * (len(result) if per_page else 1)
            if flags & EXPAND_METADATA:
                # from an RNG of its own: asking for metadata changes no other byte
                meta = {
                    "field_metadata": metadata.field_metadata(
                        cfg,
                        result,
                        seed=self.jseed[rank] + META_SEED,
                        doc_pages=input_pages(value),
                        shape=shape,
                    ),
                    "parse_job_id": parse_job_id,
                    "parse_tier": parse_tier,
                }
            if meta is not None:
                job["extract_metadata"] = meta
            job["extract_result"] = result
        elif status == FAILED:
            kind_err = self.err[rank] if self.err[rank] != NO_ERROR else 5
            msg, processed = failures.failure(
                kind_err, rng, input_value=value, pages=pages, kind=cfg.kind
            )
            doc_tokens = processed * rng.randint(350, 1400)
            out_tokens = rng.randint(0, 200) if processed else 0
            job["error_message"] = msg
            if flags & EXPAND_METADATA:
                job["extract_metadata"] = {"parse_job_id": parse_job_id, "parse_tier": parse_tier}
        elif flags & EXPAND_METADATA:
            started = status in (RUNNING, CANCELLED)
            job["extract_metadata"] = (
                {"parse_job_id": parse_job_id, "parse_tier": parse_tier} if started else None
            )
        add_usage(
            job, status, processed, (doc_tokens, out_tokens), current, flags, cfg.tier, parse_tier
        )
        return job


def add_usage(
    job: dict[str, Any],
    status: int,
    processed: int,
    tokens: tuple[int, int],
    current: bool,
    flags: int,
    tier: str,
    parse_tier: str | None,
) -> None:
    """`metadata.usage` of a finished job, and (current shape, `expand=usage`) `usage`."""
    if status in (COMPLETED, FAILED):
        usage: dict[str, Any] = {
            "num_document_tokens": tokens[0],
            "num_output_tokens": tokens[1],
            "num_pages_extracted": processed,
        }
        if current:
            usage["num_pages_billed"] = processed
        job["metadata"] = {"usage": usage}
    if current and flags & EXPAND_USAGE:
        if status in TERMINAL:
            extract = processed * TIER_RATE[tier]
            parse = processed * PARSE_RATE[parse_tier] if parse_tier else 0.0
            job["usage"] = {
                "credits": extract + parse,
                "extract_credits": extract,
                "parse_credits": parse,
            }
        else:
            job["usage"] = {"credits": None, "extract_credits": None, "parse_credits": None}


def _result(cfg: ConfigSpec, rng: random.Random, created: int, pages: int) -> tuple[Any, bool]:
    if cfg.extraction_target == "per_doc":
        return documents.document(cfg.kind, rng, created, rng.randint(1, 8)), False
    if cfg.extraction_target == "per_page":
        return documents.page_results(cfg.kind, rng, created, max(1, min(pages, 12))), True
    return documents.rows(cfg.kind, rng, created, rng.randint(1, 25)), True


def _cumulative(weights: tuple[int, ...]) -> list[float]:
    total = float(sum(weights))
    acc, out = 0.0, []
    for w in weights:
        acc += w
        out.append(acc / total)
    return out


def _pick(cum: list[float], u: float) -> int:
    for i, c in enumerate(cum):
        if u < c:
            return i
    return len(cum) - 1


def _background_offset(rng: random.Random, anchor_s: int) -> float:
    """Seconds before the anchor, weighted to working hours and weekdays."""
    while True:
        off = rng.uniform(60.0, 30 * 86400.0 - 1)
        t = anchor_s - int(off)
        hour = (t // 3600) % 24
        weekday = (t // 86400 + 3) % 7  # 1970-01-01 was a Thursday (Monday = 0)
        p = 1.0 if 8 <= hour < 22 else 0.35
        if weekday >= 5:
            p *= 0.4
        if rng.random() < p:
            return off
