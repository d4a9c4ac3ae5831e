"""The emulator itself: a pure request -> response function over the data set.

`SandboxApp.handle(method, path, query, headers, body)` knows nothing of sockets or
frameworks; `transport.SandboxTransport` serves it in-process to httpx and
`server.SandboxServer` over HTTP/1.1 on 127.0.0.1.
"""

from __future__ import annotations

import itertools
import json
import threading
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from llamaextract_cli.sandbox import tokens
from llamaextract_cli.sandbox.clock import Clock, SystemClock
from llamaextract_cli.sandbox.data import (
    CANCELLED,
    EXPAND_USAGE,
    SHAPES,
    STATUSES,
    TERMINAL,
    Dataset,
)
from llamaextract_cli.sandbox.faults import Fault, FaultConfig, FaultInjector, short_circuit
from llamaextract_cli.sandbox.query import (
    GET_EXPANDS,
    ErrorList,
    ListQuery,
    parse_bool,
    parse_expand,
    parse_list_query,
    split_query,
)
from llamaextract_cli.sandbox.timeutil import parse_datetime_us

try:  # the fast path; the output is byte-identical to the fallback for this data (ASCII)
    import orjson

    def dumps(obj: Any) -> bytes:
        return orjson.dumps(obj)

except ImportError:  # pragma: no cover - depends on the environment
    _encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode

    def dumps(obj: Any) -> bytes:
        return _encode(obj).encode()


PREFIX = "/api/v2/extract"
JSON_HEADERS: tuple[tuple[str, str], ...] = (("content-type", "application/json"),)
_CANCELLABLE = "only PENDING, THROTTLED or RUNNING jobs can be cancelled"


@dataclass
class SandboxResponse:
    """What to send. `fault` names an injected fault the carrier must act on (drop, stall);
    `delay` is how long to wait before answering (latency, stall)."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes
    fault: str | None = None
    delay: float = 0.0

    def json(self) -> Any:
        return json.loads(self.body)


def _error(status: int, detail: Any, headers: Sequence[tuple[str, str]] = ()) -> SandboxResponse:
    return SandboxResponse(status, [*JSON_HEADERS, *headers], dumps({"detail": detail}))


def _anchor_ms(now: float | str | datetime | None, clock: Clock) -> int:
    if now is None:
        return int(clock.now() * 1000)
    if isinstance(now, datetime):
        if now.tzinfo is None:
            now = now.replace(tzinfo=timezone.utc)
        return int(now.timestamp() * 1000)
    if isinstance(now, str):
        return parse_datetime_us(now) // 1000
    return int(float(now) * 1000)


class SandboxApp:
    """The Extract v2 jobs API over a deterministic data set.

    `now` anchors the data set's timestamps (epoch seconds, ISO string or datetime;
    default: the clock's now at start). `clock` drives live jobs and rate limits.
    `cache_bytes` bounds the cache of serialized jobs (0 turns it off).
    """

    def __init__(
        self,
        jobs: int = 300,
        seed: int = 0,
        api_shape: str = "current",
        api_key: str | None = None,
        live: int = 4,
        now: float | str | datetime | None = None,
        clock: Clock | None = None,
        faults: FaultConfig | None = None,
        max_page_size: int = 100,
        cache_bytes: int = 256 * 2**20,
    ) -> None:
        if api_shape not in SHAPES:
            raise ValueError(f"api_shape must be one of {', '.join(SHAPES)}, not {api_shape!r}")
        if max_page_size < 1:
            raise ValueError("max_page_size must be >= 1")
        self.clock: Clock = clock or SystemClock()
        self.api_shape = api_shape
        self.api_key = api_key
        self.max_page_size = max_page_size
        self.seed = seed
        self.started = self.clock.now()
        self.data = Dataset(seed=seed, jobs=jobs, anchor_ms=_anchor_ms(now, self.clock), live=live)
        self.faults = faults or FaultConfig()
        self._injector = FaultInjector(self.faults, self.clock)
        self._lock = threading.RLock()
        self._request_numbers = itertools.count(1)
        self._overlay: dict[int, tuple[int, int]] = {}  # rank -> (status, updated_ms)
        self._deleted: set[int] = set()
        self._version = 0
        self._matches: OrderedDict[tuple[Any, ...], Sequence[int]] = OrderedDict()
        # serialized jobs that cannot change (neither live nor touched by a mutation)
        self._cache: dict[tuple[int, int], bytes] = {}
        self._cache_max = cache_bytes
        self._cache_used = 0
        self._cache_lock = threading.Lock()

    # ------------------------------------------------------------------ public helpers
    @property
    def anchor_ms(self) -> int:
        return self.data.anchor_ms

    def live_job_ids(self) -> list[str]:
        return self.data.live_ids()

    def now_ms(self) -> int:
        """The data set's 'now': the anchor plus the time elapsed since the app started."""
        return self.data.anchor_ms + self._elapsed_ms()

    def job_state(self, job_id: str) -> tuple[str, int] | None:
        """(status, updated_ms) of a job, None if unknown or deleted (for tests)."""
        rank = self.data.rank.get(job_id)
        if rank is None or rank in self._deleted:
            return None
        status, updated = self._state(rank, self._elapsed_ms())
        return STATUSES[status], updated

    def _elapsed_ms(self) -> int:
        return max(0, int((self.clock.now() - self.started) * 1000))

    def _state(self, rank: int, elapsed_ms: int) -> tuple[int, int]:
        o = self._overlay.get(rank)
        if o is not None:
            return o
        d = self.data
        if rank < d.n_live and rank in d.live_plan:
            return d.live_state(rank, elapsed_ms)
        return d.status[rank], d.created_ms[rank] + d.dur_ms[rank]

    # ------------------------------------------------------------------ entry point
    def handle(
        self,
        method: str,
        path: str,
        query: list[tuple[str, str]],
        headers: Mapping[str, str],
        body: bytes = b"",
    ) -> SandboxResponse:
        """Answer one request; every answer names it in `x-request-id`, as services do."""
        resp = self._handle(method, path, query, headers, body)
        number = next(self._request_numbers)
        resp.headers = [*resp.headers, ("x-request-id", f"req-sandbox-{number:06d}")]
        return resp

    def _handle(
        self,
        method: str,
        path: str,
        query: list[tuple[str, str]],
        headers: Mapping[str, str],
        body: bytes = b"",
    ) -> SandboxResponse:
        method = method.upper()
        if path != PREFIX and not path.startswith(PREFIX + "/"):
            return _error(404, "Not Found")
        fault = self._injector.decide()
        delay = self.faults.latency
        if fault is not None:
            replaced = short_circuit(fault, self.clock.now())
            if replaced is not None:
                status, hdrs, payload = replaced
                return SandboxResponse(status, hdrs, payload, fault=fault.kind, delay=delay)
        resp = self._route(method, path, query, headers, fault)
        resp.delay = delay
        if fault is None:
            return resp
        resp.fault = fault.kind
        if fault.kind == "stall":
            resp.delay += self.faults.stall
        elif fault.kind == "truncate":
            resp.body = self._injector.cut(resp.body)
        return resp

    def _route(
        self,
        method: str,
        path: str,
        query: list[tuple[str, str]],
        headers: Mapping[str, str],
        fault: Fault | None,
    ) -> SandboxResponse:
        rest = path[len(PREFIX) :].strip("/")
        parts = rest.split("/") if rest else []
        if not parts:
            allowed: tuple[str, ...] = ("GET",)
        elif len(parts) == 1:
            allowed = ("GET", "DELETE")
        elif len(parts) == 2 and parts[1] == "cancel":
            allowed = ("POST",)
        else:
            return _error(404, "Not Found")
        if method == "HEAD" and "GET" in allowed:
            method = "GET"  # HEAD is GET without the body (the carrier drops it)
        if method not in allowed:
            return _error(405, "Method Not Allowed", [("allow", ", ".join(allowed))])
        denied = self._auth(headers)
        if denied is not None:
            return denied
        if not parts:
            return self._list(query, fault)
        if len(parts) == 2:
            return self._cancel(parts[0], query)
        if method == "DELETE":
            return self._delete(parts[0], query)
        return self._get(parts[0], query)

    def _auth(self, headers: Mapping[str, str]) -> SandboxResponse | None:
        value = headers.get("authorization")
        if value is None:
            value = next((v for k, v in headers.items() if k.lower() == "authorization"), None)
        scheme, _, key = (value or "").strip().partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or not key:
            return _error(401, "Not authenticated", [("www-authenticate", "Bearer")])
        if self.api_key is not None and key != self.api_key:
            return _error(401, "Invalid API key", [("www-authenticate", "Bearer")])
        return None

    # ------------------------------------------------------------------ list
    def _list(self, query: list[tuple[str, str]], fault: Fault | None) -> SandboxResponse:
        q, errors = parse_list_query(query, self.max_page_size)
        fhash = tokens.filter_hash(q.canonical())
        cursor: tuple[int, str] | None = None
        if q.page_token:
            try:
                token_hash, cursor = tokens.decode(q.page_token)
            except tokens.BadToken as e:
                errors.append(
                    {
                        "type": "value_error",
                        "loc": ["query", "page_token"],
                        "msg": f"Value error, {e}",
                        "input": q.page_token,
                        "ctx": {"error": str(e)},
                    }
                )
            else:
                if not errors and token_hash != fhash:
                    return _error(400, "page_token does not match this query")
        if errors:
            return _error(422, errors)
        elapsed = self._elapsed_ms()
        ranks = self._matching(q, elapsed)
        start = 0 if cursor is None else bisect_left(ranks, self._position(cursor))
        page = ranks[start : start + q.page_size]
        flags = q.expand | EXPAND_USAGE
        parts = [self._job_bytes(r, flags, elapsed) for r in page]
        out = [b'{"items":[', b",".join(parts), b"]"]
        next_token: str | None = None
        if fault is not None and fault.kind == "repeat-token":
            next_token = q.page_token or tokens.encode(fhash, None)
        elif start + q.page_size < len(ranks):
            last = page[-1]
            next_token = tokens.encode(fhash, (self.data.created_ms[last], self.data.ids[last]))
        if next_token:
            out.append(b',"next_page_token":"' + next_token.encode() + b'"')
        out.append(b',"total_size":' + str(len(ranks)).encode() + b"}")
        return SandboxResponse(200, list(JSON_HEADERS), b"".join(out))

    def _position(self, cursor: tuple[int, str]) -> int:
        """The first rank whose key (created_ms, id) sorts after the cursor (newest first)."""
        created, ids = self.data.created_ms, self.data.ids
        lo, hi = 0, self.data.n
        while lo < hi:
            mid = (lo + hi) // 2
            if (created[mid], ids[mid]) < cursor:
                hi = mid
            else:
                lo = mid + 1
        return lo

    def _first_rank_at_or_below(self, ms: int) -> int:
        """The first rank whose created_ms <= ms (ranks are newest first)."""
        created = self.data.created_ms
        lo, hi = 0, self.data.n
        while lo < hi:
            mid = (lo + hi) // 2
            if created[mid] <= ms:
                hi = mid
            else:
                lo = mid + 1
        return lo

    def _matching(self, q: ListQuery, elapsed_ms: int) -> Sequence[int]:
        """Ranks of the jobs matching the filters now, newest first (cached per state)."""
        d = self.data
        live_sig = tuple(d.live_state(r, elapsed_ms)[0] for r in d.live_plan)
        with self._lock:
            key = (q.canonical(), self._version, live_sig)
            hit = self._matches.get(key)
            if hit is not None:
                self._matches.move_to_end(key)
                return hit
            ranks = self._compute_matching(q, elapsed_ms)
            self._matches[key] = ranks
            if len(self._matches) > 64:
                self._matches.popitem(last=False)
            return ranks

    def _compute_matching(self, q: ListQuery, elapsed_ms: int) -> Sequence[int]:
        d = self.data
        lo, hi = 0, d.n
        if q.before_us is not None:
            lo = self._first_rank_at_or_below(q.before_us // 1000)
        if q.after_us is not None:
            after_ms = -(-q.after_us // 1000)  # ceil: created_ms * 1000 >= after_us
            hi = self._first_rank_at_or_below(after_ms - 1)
        if hi <= lo:
            return []
        ranks: Sequence[int]
        if q.job_ids is not None:
            wanted = {d.rank[j] for j in q.job_ids if j in d.rank}
            ranks = sorted(r for r in wanted if lo <= r < hi)
        else:
            ranks = range(lo, hi)
        if self._deleted:
            ranks = [r for r in ranks if r not in self._deleted]
        if q.organization_id is not None and q.organization_id != d.organization_id:
            return []
        if q.project_id is not None:
            if q.project_id not in d.project_ids:
                return []
            p = d.project_ids.index(q.project_id)
            proj = d.project
            ranks = [r for r in ranks if proj[r] == p]
        if q.configuration_id is not None:
            c = d.config_ids.get(q.configuration_id)
            if c is None:
                return []
            cfg = d.cfg
            ranks = [r for r in ranks if cfg[r] == c]
        inputs = d.inputs
        if q.input_type is not None:
            is_file = q.input_type == "file_id"
            ranks = [r for r in ranks if inputs[r].startswith("dfl-") == is_file]
        for value in q.input_values:
            ranks = [r for r in ranks if inputs[r] == value]
        if q.status is not None:
            s = q.status
            if not self._overlay and not d.live_plan:
                st = d.status
                ranks = [r for r in ranks if st[r] == s]
            else:
                ranks = [r for r in ranks if self._state(r, elapsed_ms)[0] == s]
        return ranks

    def _job_bytes(self, rank: int, flags: int, elapsed_ms: int) -> bytes:
        d = self.data
        dynamic = rank in self._overlay or rank in d.live_plan
        if not dynamic:
            key = (rank, flags)
            cached = self._cache.get(key)
            if cached is not None:
                return cached
        status, updated = self._state(rank, elapsed_ms)
        out = dumps(d.materialize(rank, status, updated, flags, self.api_shape))
        if not dynamic and self._cache_max:
            with self._cache_lock:
                cache = self._cache
                # evict the newest entries: on a scan bigger than the cache (paging through
                # everything, again and again) the oldest ones keep being hit
                while cache and self._cache_used + len(out) > self._cache_max:
                    self._cache_used -= len(cache.popitem()[1])
                if key not in cache and len(out) <= self._cache_max:
                    cache[key] = out
                    self._cache_used += len(out)
        return out

    # ------------------------------------------------------------------ one job
    def _lookup(self, job_id: str, scalars: Mapping[str, str]) -> int | None:
        d = self.data
        rank = d.rank.get(job_id)
        if rank is None or rank in self._deleted:
            return None
        project = scalars.get("project_id")
        if project is not None and project != d.project_ids[d.project[rank]]:
            return None
        org = scalars.get("organization_id")
        if org is not None and org != d.organization_id:
            return None
        return rank

    def _get(self, job_id: str, query: list[tuple[str, str]]) -> SandboxResponse:
        scalars, multi = split_query(query)
        errors: ErrorList = []
        flags = parse_expand(multi.get("expand", []), GET_EXPANDS, errors)
        if errors:
            return _error(422, errors)
        rank = self._lookup(job_id, scalars)
        if rank is None:
            return _error(404, "Job not found")
        return SandboxResponse(
            200, list(JSON_HEADERS), self._job_bytes(rank, flags, self._elapsed_ms())
        )

    def _cancel(self, job_id: str, query: list[tuple[str, str]]) -> SandboxResponse:
        scalars, _ = split_query(query)
        with self._lock:
            rank = self._lookup(job_id, scalars)
            if rank is None:
                return _error(404, "Job not found")
            elapsed = self._elapsed_ms()
            status, _ = self._state(rank, elapsed)
            if status in TERMINAL:
                return _error(400, f"Job {job_id} is {STATUSES[status]}; {_CANCELLABLE}")
            self._overlay[rank] = (CANCELLED, self.data.anchor_ms + elapsed)
            self._version += 1
        return SandboxResponse(200, list(JSON_HEADERS), self._job_bytes(rank, 0, elapsed))

    def _delete(self, job_id: str, query: list[tuple[str, str]]) -> SandboxResponse:
        scalars, _ = split_query(query)
        errors: ErrorList = []
        force = parse_bool("force", scalars["force"], errors) if "force" in scalars else False
        if errors:
            return _error(422, errors)
        with self._lock:
            rank = self._lookup(job_id, scalars)
            if rank is None:
                return _error(404, "Job not found")
            status, _ = self._state(rank, self._elapsed_ms())
            if status not in TERMINAL and not force:
                return _error(
                    400,
                    f"Job {job_id} is {STATUSES[status]}; cancel it first or use force=true "
                    "to delete a job that has not finished",
                )
            self._deleted.add(rank)
            self._overlay.pop(rank, None)
            self._version += 1
        return SandboxResponse(200, list(JSON_HEADERS), b"{}")
