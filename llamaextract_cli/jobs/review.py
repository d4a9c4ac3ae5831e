"""`lx jobs review`: per-field confidence over a stream of jobs, one job at a time.

The accumulator is fed the flattened leaf values of each job (`jobs.metadata.leaves`);
memory holds one `FieldStats` per field path (indices collapsed to `*`, so the number
of fields of the schemas, not of the values), two bounded heaps (the flagged values,
the worst values) and a few counters, whatever the number of jobs.

Definitions (also in `lx jobs review --help` and the README):

- ``values``: the leaf values the results hold for the field, nulls included (the rows
  `lx jobs export --metadata` writes for it).
- ``with_confidence``: those that carry a confidence (the entry's ``confidence``, else
  the lower of ``extraction_confidence`` / ``parsing_confidence``).
- ``mean_confidence`` / ``min_confidence``: over those; null when there are none.
- ``below``: values whose confidence is below the threshold (strictly);
  ``share_below`` = below / with_confidence (null when none has a confidence).
- ``empty``: null values, plus the values a row lacks although the schema declares
  the field or another row or array item of the same job has it.
- ``worst_job_id``: the job of ``min_confidence`` (the newest, on a tie).
- ``flagged``: every value below the threshold, newest job first (document order
  within a job), at most ``max_flagged``.
- ``jobs_with_confidence``: jobs where at least one value carries a confidence.
"""

from __future__ import annotations

import heapq
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from llamaextract_cli.jobs.metadata import Leaf, collapse
from llamaextract_cli.timeparse import parse_api_time

DEFAULT_THRESHOLD = 0.8
DEFAULT_MAX_FLAGGED = 100
WORST_KEPT = 10
ROUND = 4
_INDEX = re.compile(r"\[(\d+|\*)\]")

Path = tuple[str, ...]


def field_pattern(text: str) -> str:
    """A `--field` value as a collapsed path: `items[0].price`, `items.0.price` and
    `items.*.price` all give `items.*.price`; surrounding dots and spaces go."""
    return collapse(_INDEX.sub(r".\1", text.strip()).strip("."))


def matches(field: str, wanted: Sequence[str]) -> bool:
    """True when `field` is one of `wanted` or lies under one (`line_items` covers
    `line_items.*.amount`). No `wanted`: every field."""
    if not wanted:
        return True
    return any(field == w or field.startswith(w + ".") for w in wanted)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


# ------------------------------------------------------------------------- the schema


def job_schema_paths(job: Mapping[str, Any]) -> list[str]:
    """The leaf paths the job's configuration declares (`expand=configuration`)."""
    from llamaextract_cli.jobs.schema import leaf_paths

    config = job.get("configuration")
    schema = config.get("data_schema") if isinstance(config, Mapping) else None
    return leaf_paths(schema) if isinstance(schema, Mapping) else []


def fitting_schema(declared: Sequence[str], seen: set[str]) -> list[str]:
    """The schema paths as they apply to the job's rows.

    A per_table_row job's rows are the items of one of the schema's arrays
    (`line_items.*.amount` is a row's `amount`): of the whole schema and each array's
    item paths, the one sharing most paths with what the result holds; none shared,
    the schema says nothing about these rows and declares nothing.
    """
    candidates = [list(declared)]
    prefixes = dict.fromkeys(p.split(".*.", 1)[0] for p in declared if ".*." in p)
    for prefix in prefixes:
        head = prefix + ".*."
        candidates.append([p[len(head) :] for p in declared if p.startswith(head)])
    best, score = [], 0
    for candidate in candidates:
        shared = sum(1 for p in candidate if p in seen)
        if shared > score:
            best, score = candidate, shared
    return best


# -------------------------------------------------------------------- absent values


class RowShape:
    """The paths one row of a result holds, to tell which expected values it lacks."""

    __slots__ = ("_heads", "concrete", "inner")

    def __init__(self) -> None:
        self.concrete: set[Path] = set()  # the leaves' paths, with indices
        self.inner: set[Path] = set()  # every path above a leaf
        self._heads: dict[Path, set[Path]] | None = None

    def add(self, path: Path) -> None:
        self.concrete.add(path)
        self.inner.update(path[:i] for i in range(1, len(path)))

    def _present(self, path: Path) -> bool:
        """The row holds `path`, a value above it (a null object) or a value under it."""
        if path in self.concrete or path in self.inner:
            return True
        return any(path[:i] in self.concrete for i in range(1, len(path)))

    def _instances(self, head: Path) -> set[Path]:
        """The array items the row has under a collapsed head (`items.*`: items.0, ...)."""
        if self._heads is None:
            heads: dict[Path, set[Path]] = {}
            for path in self.inner | self.concrete:
                if path and path[-1].isdigit():
                    key = tuple("*" if p.isdigit() else p for p in path)
                    heads.setdefault(key, set()).add(path)
            self._heads = heads
        return self._heads.get(head, set())

    def absent(self, pattern: str) -> int:
        """How many values of the collapsed `pattern` the row lacks: once for a plain
        path; under arrays, once per array item the row has but without the value."""
        parts = tuple(pattern.split("."))
        if "*" not in parts:
            return 0 if self._present(parts) else 1
        k = len(parts) - 1 - parts[::-1].index("*")
        tail = parts[k + 1 :]
        return sum(1 for i in self._instances(parts[: k + 1]) if not self._present(i + tail))


# -------------------------------------------------------------------- the accumulator


class FieldStats:
    """The figures of one collapsed field path."""

    __slots__ = (
        "below",
        "configuration",
        "empty",
        "field",
        "min_confidence",
        "sum_confidence",
        "values",
        "with_confidence",
        "worst_job_id",
    )

    def __init__(self, field: str, configuration: str | None = None) -> None:
        self.field = field
        self.configuration = configuration
        self.values = 0
        self.with_confidence = 0
        self.sum_confidence = 0.0
        self.min_confidence: float | None = None
        self.below = 0
        self.empty = 0
        self.worst_job_id: str | None = None

    @property
    def share_below(self) -> float | None:
        return self.below / self.with_confidence if self.with_confidence else None

    def row(self) -> dict[str, Any]:
        n = self.with_confidence
        share = self.share_below
        head = {} if self.configuration is None else {"configuration": self.configuration}
        return {
            **head,
            "field": self.field,
            "values": self.values,
            "with_confidence": n,
            "mean_confidence": round(self.sum_confidence / n, ROUND) if n else None,
            "min_confidence": self.min_confidence,
            "below": self.below,
            "share_below": round(share, ROUND) if share is not None else None,
            "empty": self.empty,
            "worst_job_id": self.worst_job_id,
        }


@dataclass(frozen=True)
class Flag:
    """One value below the threshold."""

    job_id: str
    row: int | None
    field: str
    value: Any
    confidence: float
    page: Any
    citation: Any
    reasoning: Any

    def as_dict(self) -> dict[str, Any]:
        return {
            "job_id": self.job_id,
            "row": self.row,
            "field": self.field,
            "value": self.value,
            "confidence": self.confidence,
            "page": self.page,
            "citation": self.citation,
        }


class _Bounded:
    """The `size` largest items by key; ties keep the one pushed first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._heap: list[tuple[Any, int, Flag]] = []
        self._seq = 0

    def push(self, key: Any, flag: Flag) -> None:
        if self.size <= 0:
            return
        self._seq += 1
        entry = (key, -self._seq, flag)
        if len(self._heap) < self.size:
            heapq.heappush(self._heap, entry)
        elif entry[:2] > self._heap[0][:2]:
            heapq.heapreplace(self._heap, entry)

    def largest(self) -> list[Flag]:
        return [e[2] for e in sorted(self._heap, key=lambda e: e[:2], reverse=True)]


def _when(job: Mapping[str, Any]) -> float:
    raw = job.get("created_at")
    moment = parse_api_time(raw) if isinstance(raw, str) else None
    return moment.timestamp() if moment is not None else -math.inf


def configuration_key(job: Mapping[str, Any]) -> str:
    """`configuration_id`, or `inline` for a job without one (as `jobs stats` groups)."""
    config = job.get("configuration_id")
    return config if isinstance(config, str) and config else "inline"


MIXED = "several configurations"


class ConfigTally:
    """What the terminal says of one configuration: its jobs, scores, kind."""

    __slots__ = ("below", "jobs", "jobs_with_confidence", "label", "scored")

    def __init__(self, label: str) -> None:
        self.label = label
        self.jobs = 0
        self.jobs_with_confidence = 0
        self.scored = 0
        self.below = 0

    @property
    def share_below(self) -> float | None:
        return self.below / self.scored if self.scored else None


def configuration_label(job: Mapping[str, Any]) -> str:
    """`Invoice · cost_effective · per_doc`: the schema's title, tier and target."""
    config = job.get("configuration")
    if not isinstance(config, Mapping):
        return ""
    schema = config.get("data_schema")
    title = schema.get("title") if isinstance(schema, Mapping) else None
    parts = [title, config.get("tier"), config.get("extraction_target")]
    return " · ".join(str(p) for p in parts if isinstance(p, str) and p)


class Review:
    """Feed jobs with `add` (a job and its leaves); `result()` is `-o json`.

    `by_configuration`: one row per configuration and field (rows gain a leading
    `configuration`), configurations worst first.
    """

    def __init__(
        self,
        threshold: float = DEFAULT_THRESHOLD,
        *,
        fields: Sequence[str] = (),
        max_flagged: int = DEFAULT_MAX_FLAGGED,
        worst: int = WORST_KEPT,
        by_configuration: bool = False,
    ) -> None:
        self.threshold = threshold
        self.by_configuration = by_configuration
        self.configs: dict[str, ConfigTally] = {}
        self._config: ConfigTally | None = None
        self._group: str | None = None
        self.wanted = tuple(dict.fromkeys(field_pattern(f) for f in fields))
        self.jobs = 0
        self.jobs_with_confidence = 0
        self.values = 0
        self.scored = 0
        self.below = 0
        self._fields: dict[tuple[str | None, str], FieldStats] = {}
        self._flagged = _Bounded(max_flagged)
        self._worst = _Bounded(worst)
        self._job_seq = 0
        self.example_job_id: str | None = None

    def _stats(self, field: str) -> FieldStats:
        key = (self._group, field)
        stats = self._fields.get(key)
        if stats is None:
            stats = self._fields[key] = FieldStats(field, self._group)
        return stats

    def add(
        self,
        job: Mapping[str, Any],
        leaves: Iterable[Leaf],
        schema: Sequence[str] = (),
    ) -> None:
        """One job: its envelope (id, created_at), its leaf values, its schema paths."""
        self.jobs += 1
        self._job_seq += 1
        job_id = str(job.get("id") or "")
        if self.example_job_id is None and job_id:
            self.example_job_id = job_id
        when = _when(job)
        name = configuration_key(job)
        config = self.configs.get(name)
        label = configuration_label(job)
        if config is None:
            config = self.configs[name] = ConfigTally(label)
        elif config.label != label:  # inline jobs each bring their own
            config.label = MIXED
        config.jobs += 1
        self._config = config
        self._group = name if self.by_configuration else None
        rows: dict[Any, RowShape] = {}
        seen: set[str] = set()
        had_confidence = False
        for leaf in leaves:
            confidence = _number(leaf.confidence)
            had_confidence = had_confidence or confidence is not None
            shape = rows.get(leaf.row)
            if shape is None:
                shape = rows[leaf.row] = RowShape()
            shape.add(tuple(str(leaf.field).split(".")))
            field = collapse(leaf.field)
            seen.add(field)
            if not matches(field, self.wanted):
                continue
            self._value(job_id, when, leaf, field, confidence)
        if had_confidence:
            self.jobs_with_confidence += 1
            config.jobs_with_confidence += 1
        if rows:
            expected = fitting_schema(schema, seen)
        elif isinstance(job.get("extract_result"), Mapping):
            # an object without a single value: every field the schema declares is empty
            rows, expected = {None: RowShape()}, list(schema)
        else:
            return
        self._absent(rows, seen, expected)

    def add_job(self, job: Mapping[str, Any]) -> None:
        """One job as the API sent it (with extract_metadata and configuration)."""
        from llamaextract_cli.jobs.metadata import leaves

        self.add(job, leaves(job), job_schema_paths(job))

    def _value(
        self, job_id: str, when: float, leaf: Leaf, field: str, confidence: float | None
    ) -> None:
        stats = self._stats(field)
        stats.values += 1
        self.values += 1
        if leaf.value is None:
            stats.empty += 1
        if confidence is None:
            return
        self.scored += 1
        assert self._config is not None
        self._config.scored += 1
        stats.with_confidence += 1
        stats.sum_confidence += confidence
        # strictly lower only: of equal minimums the first job fed (the newest) stays
        if stats.min_confidence is None or confidence < stats.min_confidence:
            stats.min_confidence = confidence
            stats.worst_job_id = job_id
        if confidence < self.threshold:
            stats.below += 1
            self.below += 1
            self._config.below += 1
            flag = Flag(
                job_id,
                leaf.row,
                str(leaf.field),
                leaf.value,
                confidence,
                leaf.page,
                leaf.citation,
                leaf.reasoning,
            )
            self._flagged.push((when, -self._job_seq), flag)
            self._worst.push((-confidence, when, -self._job_seq), flag)

    def _absent(
        self,
        rows: Mapping[Any, RowShape],
        seen: set[str],
        declared: Sequence[str],
    ) -> None:
        expected = dict.fromkeys(declared)
        expected.update(dict.fromkeys(sorted(seen)))
        wanted = [p for p in expected if matches(p, self.wanted)]
        for shape in rows.values():
            for pattern in wanted:
                missing = shape.absent(pattern)
                if missing:
                    self._stats(pattern).empty += missing

    # ---------------------------------------------------------------------- results
    def fields(self) -> list[FieldStats]:
        """Worst first: share below, then count below, then mean confidence, then name."""

        rank = {name: i for i, name in enumerate(self.configurations())}

        def key(s: FieldStats) -> tuple[Any, ...]:
            share = s.share_below
            mean = s.sum_confidence / s.with_confidence if s.with_confidence else math.inf
            group = rank[s.configuration] if s.configuration is not None else 0
            return (group, share is None, -(share or 0.0), -s.below, mean, s.field)

        return sorted(self._fields.values(), key=key)

    def configurations(self) -> list[str]:
        """The configurations seen, worst first (share of scored values below, then
        count below, then jobs), unscored ones last."""

        def key(name: str) -> tuple[Any, ...]:
            c = self.configs[name]
            share = c.share_below
            return (share is None, -(share or 0.0), -c.below, -c.jobs, name)

        return sorted(self.configs, key=key)

    def rows(self) -> list[dict[str, Any]]:
        return [s.row() for s in self.fields()]

    def flagged(self) -> list[Flag]:
        """Newest job first, in document order within a job."""
        return self._flagged.largest()

    def worst(self) -> list[Flag]:
        """The lowest confidences, lowest first."""
        return self._worst.largest()

    def unmatched(self) -> list[str]:
        """The `fields` given that matched no field of any job."""
        return [w for w in self.wanted if not any(matches(f, (w,)) for _, f in self._fields)]

    def flagged_fields(self) -> list[str]:
        """The fields with a value below the threshold."""
        return list(dict.fromkeys(s.field for s in self._fields.values() if s.below))

    def summary(self) -> dict[str, Any]:
        """The totals of the terminal view's header."""
        return {
            "jobs": self.jobs,
            "jobs_with_confidence": self.jobs_with_confidence,
            "threshold": self.threshold,
            "values": self.values,
            "scored": self.scored,
            "below": self.below,
        }

    def result(self) -> dict[str, Any]:
        return {
            "jobs": self.jobs,
            "jobs_with_confidence": self.jobs_with_confidence,
            "threshold": self.threshold,
            "fields": self.rows(),
            "flagged": [f.as_dict() for f in self.flagged()],
        }
