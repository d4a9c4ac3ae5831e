"""Write the rows of `jobs result A B...` and `jobs export` in any format.

Rows come from `jobs.result_rows` (wide, or long with `--metadata`), job by job.

- json/jsonl: every row as built (nested result fields, `citations` kept), streamed.
- `--fields`: exactly those columns in that order, in every format, streamed.
- `--metadata` in csv/tsv/table: the fixed long columns, streamed.
- wide rows in csv/tsv/table need their header before the first row. The schema comes
  from `schema_of(job)` (the job's configuration: embedded, or looked up once per
  configuration ID by the caller). When the jobs are known to share one configuration
  (`shared_schema`, as with `export --config ID`) and the first job's rows fit its
  `data_schema`, the header is the schema's leaf fields in schema order and rows stream
  straight through (a later field outside the schema is named on stderr: it cannot join
  a header already written). Otherwise rows are spooled to an anonymous temporary file
  (`output.spool`) while the header is learnt: the schema's fields when every job had
  the same configuration (one configuration ID, or embedded configurations with equal
  schemas and targets), then any field outside it; else the union of the rows' fields
  in first-seen order. Nested objects are dot-path columns; arrays are one JSON cell.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any

from llamaextract_cli.jobs import result_rows as rr
from llamaextract_cli.output.columns import Column

FLUSH_ROWS = 200

SchemaOf = Callable[[Mapping[str, Any]], Any]  # a job -> its configuration (or None)
RowsOf = Callable[[Mapping[str, Any]], Iterator[dict[str, Any]]]


@dataclass(frozen=True)
class RowsSpec:
    metadata: bool = False  # long rows (one per leaf value)
    with_input: bool = False  # rows carry `input` (export)
    fields: Sequence[str] | None = None  # --fields
    shared_schema: bool = False  # every job shares one configuration (export --config)


# The long (--metadata) columns in a table: numbers whole; on a narrow terminal the two
# partial confidences leave first, then the reasoning, the input, the cited text.
LONG_TABLE: dict[str, dict[str, Any]] = {
    "field": {"min_width": 12, "flex": True},
    "value": {"min_width": 10, "flex": True},
    "confidence": {"header": "CONF", "truncate": False},
    "extraction_confidence": {"header": "EXTRACTION", "truncate": False, "drop": 6},
    "parsing_confidence": {"header": "PARSING", "truncate": False, "drop": 5},
    "page": {"truncate": False},
    "citation": {"min_width": 10, "flex": True, "drop": 2},
    "reasoning": {"min_width": 10, "flex": True, "drop": 4},
}


def column(name: str, identity: Sequence[str], *, objects: bool = True) -> Column:
    """The column `name` of rows; `objects=False` for a column with columns below it
    (`vendor` beside `vendor.name`): an object there is shown by those, not repeated."""
    getter = rr.cell_getter(name)
    if not objects:
        whole = getter

        def getter(row: Mapping[str, Any]) -> Any:
            value = whole(row)
            return None if isinstance(value, Mapping) and value else value

    if name == "job_id" and name in identity:
        return Column(name=name, getter=getter, header="JOB_ID", truncate=False)
    if name == "row" and name in identity:
        return Column(name=name, getter=getter, header="ROW", min_width=3)
    if name == "input" and name in identity:
        return Column(name=name, getter=getter, header="INPUT", min_width=12, flex=True, drop=3)
    return Column(name=name, getter=getter, min_width=6, flex=True)


def embedded_configuration(job: Mapping[str, Any]) -> Any:
    """The configuration a job carries (with expand=configuration), else None."""
    config = job.get("configuration")
    return config if isinstance(config, Mapping) else None


def write_rows(
    stream: IO[str],
    jobs: Iterable[Mapping[str, Any]],
    fmt: str,
    spec: RowsSpec,
    *,
    color: bool = False,
    warn: Callable[[str], None] = lambda _m: None,
    schema_of: SchemaOf = embedded_configuration,
) -> int:
    """Write every row of `jobs` to `stream` in `fmt`; returns the number of rows."""
    from llamaextract_cli.output import make_renderer

    identity = rr.identity(spec.with_input)

    def rows_of(job: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        if spec.metadata:
            return rr.long_rows(job, with_input=spec.with_input)
        return rr.wide_rows(job, with_input=spec.with_input)

    rows = (row for job in jobs for row in rows_of(job))
    if spec.fields:
        columns = [column(f, identity) for f in spec.fields]
        renderer = make_renderer(fmt, stream, columns=columns, color=color)
    elif fmt in ("json", "jsonl"):
        renderer = make_renderer(fmt, stream, color=color)
    elif spec.metadata:
        names = rr.long_columns(spec.with_input)
        if fmt == "table":
            from llamaextract_cli.output import make_renderer

            cols = [
                Column(name=n, getter=rr.cell_getter(n), **LONG_TABLE[n])
                if n in LONG_TABLE
                else column(n, identity)
                for n in names
            ]
            renderer = make_renderer(fmt, stream, columns=cols, color=color)
        else:
            return _write_long_delimited(stream, jobs, fmt, spec.with_input)
    else:
        return _Headed(stream, fmt, spec, identity, color, warn, schema_of).run(jobs, rows_of)
    count = _pour(rows, renderer)
    renderer.close()
    return count


def _renderer(
    stream: IO[str], fmt: str, names: Sequence[str], identity: Sequence[str], color: bool
) -> Any:
    if fmt in ("csv", "tsv"):
        return CellWriter(stream, fmt, names)
    from llamaextract_cli.output import make_renderer

    above = rr.dot_prefixes(list(names))
    cols = [column(n, identity, objects=n not in above) for n in names]
    return make_renderer(fmt, stream, columns=cols, color=color)


def _write_long_delimited(
    stream: IO[str], jobs: Iterable[Mapping[str, Any]], fmt: str, with_input: bool
) -> int:
    """`--metadata` rows as csv/tsv, cells made straight from each `Leaf` (no row dicts:
    a job has a row per value, so this is the hot loop of `export --metadata -o csv`)."""
    from llamaextract_cli.jobs.fields import job_input
    from llamaextract_cli.jobs.metadata import leaves
    from llamaextract_cli.output import delimited

    csv = fmt == "csv"
    escape = delimited.csv_cell if csv else delimited.tsv_escape
    special = frozenset(',"\r\n' if csv else "\\\t\n\r")
    flatten = delimited.flatten
    sep = "," if csv else "\t"

    def text(value: Any) -> str:
        if value is None:
            return ""
        kind = type(value)
        out = value if kind is str else repr(value) if kind is float else flatten(value)
        return out if special.isdisjoint(out) else escape(out)

    stream.write((delimited.csv_row if csv else delimited.tsv_row)(rr.long_columns(with_input)))
    count = 0
    try:
        for job in jobs:
            head = text(job.get("id"))
            if with_input:
                head += sep + text(job_input(job))
            for leaf in leaves(job):
                row, conf, extraction, parsing, page = (
                    leaf.row,
                    leaf.confidence,
                    leaf.extraction_confidence,
                    leaf.parsing_confidence,
                    leaf.page,
                )
                line = sep.join(
                    (
                        head,
                        "" if row is None else str(row),
                        text(leaf.field),
                        text(leaf.value),
                        "" if conf is None else repr(conf),
                        "" if extraction is None else repr(extraction),
                        "" if parsing is None else repr(parsing),
                        "" if page is None else str(page),
                        text(leaf.citation),
                        text(leaf.reasoning),
                    )
                )
                stream.write(line + "\n")
                count += 1
                if count % FLUSH_ROWS == 0:
                    stream.flush()
    finally:
        stream.flush()
    return count


def _pour(rows: Iterable[Mapping[str, Any]], renderer: Any) -> int:
    count = 0
    try:
        for row in rows:
            renderer.write(row)
            count += 1
            if count % FLUSH_ROWS == 0:
                renderer.flush()
    except BaseException:
        renderer.flush()  # what was written reaches the reader
        raise
    return count


class CellWriter:
    """csv/tsv of rows under a header of flat column names, by the cells a row has.

    A row's keys are walked, descending into objects whose name is not a column (or is a
    column with columns below it); every other value fills the cell of its name, so a row
    costs what it holds, not what the header holds (a wide header of several schemas is
    mostly empty cells). Cells follow `output.delimited` (flattening, quoting, escaping).
    """

    def __init__(self, stream: IO[str], fmt: str, names: Sequence[str]) -> None:
        from llamaextract_cli.output import delimited

        self._stream = stream
        self._flatten = delimited.flatten
        csv = fmt == "csv"
        self._escape = delimited.csv_cell if csv else delimited.tsv_escape
        # the characters that make a cell need `_escape` (most cells have none)
        self._special = frozenset(',"\r\n' if csv else "\\\t\n\r")
        self._sep = "," if csv else "\t"
        self._index = {name: i for i, name in enumerate(names)}
        self._above = rr.dot_prefixes(list(names))
        self._width = len(names)
        self._closed = False
        stream.write((delimited.csv_row if csv else delimited.tsv_row)(list(names)))

    def _cell(self, value: Any) -> str:
        kind = type(value)
        text = value if kind is str else repr(value) if kind is float else self._flatten(value)
        return text if self._special.isdisjoint(text) else self._escape(text)

    def _fill(self, node: Mapping[str, Any], prefix: str, cells: list[str]) -> None:
        index, above = self._index, self._above
        for key, value in node.items():
            name = prefix + key
            if type(value) is dict and value and (name in above or name not in index):
                self._fill(value, name + ".", cells)
                continue
            i = index.get(name)
            if i is not None and value is not None:
                cells[i] = self._cell(value)

    def write(self, row: Mapping[str, Any]) -> None:
        cells = [""] * self._width
        index, above, special = self._index, self._above, self._special
        for key, value in row.items():  # the top level inline: most rows are flat
            kind = type(value)
            if kind is str:  # the commonest cell, without a call
                i = index.get(key)
                if i is not None:
                    cells[i] = value if special.isdisjoint(value) else self._escape(value)
            elif kind is dict and value and (key in above or key not in index):
                self._fill(value, key + ".", cells)
            elif value is not None:
                i = index.get(key)
                if i is not None:
                    cells[i] = self._cell(value)
        self._stream.write(self._sep.join(cells) + "\n")

    def flush(self) -> None:
        self._stream.flush()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._stream.flush()


class _Headed:
    """Wide rows in csv/tsv/table: decide the header, then write (see the module docstring)."""

    def __init__(
        self,
        stream: IO[str],
        fmt: str,
        spec: RowsSpec,
        identity: tuple[str, ...],
        color: bool,
        warn: Callable[[str], None],
        schema_of: SchemaOf,
    ) -> None:
        self.stream, self.fmt, self.spec, self.identity = stream, fmt, spec, identity
        self.color, self.warn, self.schema_of = color, warn, schema_of

    def renderer(self, names: Sequence[str]) -> Any:
        return _renderer(self.stream, self.fmt, names, self.identity, self.color)

    def run(self, jobs: Iterable[Mapping[str, Any]], rows_of: RowsOf) -> int:
        it = iter(jobs)
        for job in it:
            first = list(rows_of(job))
            if first:
                break
        else:  # no rows at all: the header alone
            renderer = self.renderer(self.identity)
            renderer.close()
            return 0
        if self.spec.shared_schema:
            cols = self.schema_columns(job, _flat_counts(first))
            if cols is not None and not self.uncovered(first, cols):
                rest = (row for later in it for row in rows_of(later))
                return self.stream_with(cols, first, rest)
        return self.spooled(job, first, it, rows_of)

    # --- the schema's columns -------------------------------------------------------------

    def schema_columns(self, job: Mapping[str, Any], keys: Mapping[str, Any]) -> list[str] | None:
        """The job's schema as columns of rows with these flat `keys`: the whole schema,
        or for an array result the item schema of one of its arrays, whichever covers more
        of the keys; None when there is no schema or it covers none of them."""
        from llamaextract_cli.jobs import schema as sch

        config = self.schema_of(job)
        data_schema = config.get("data_schema") if isinstance(config, Mapping) else None
        if not isinstance(data_schema, Mapping):
            return None
        candidates = [sch.columns(data_schema)]
        if isinstance(job.get("extract_result"), list):
            candidates += [sch.columns(item) for _name, item in sch.array_items(data_schema)]
        names = [k for k in keys if k not in self.identity]
        best, best_score = None, 0
        for candidate in candidates:
            cols = [self.rename(n) for n in candidate]
            colset, prefixes = set(cols), rr.dot_prefixes(cols)
            score = sum(rr.covered(k, False, colset, prefixes) for k in names)
            if score > best_score:
                best, best_score = cols, score
        return best

    def rename(self, name: str) -> str:
        head, dot, tail = name.partition(".")
        return rr.renamed(head, self.identity) + dot + tail

    def uncovered(self, rows: Iterable[Mapping[str, Any]], cols: list[str]) -> list[str]:
        colset, prefixes = set(cols), rr.dot_prefixes(cols)
        out: dict[str, None] = {}
        for row in rows:
            for key, empty in _flat_items(row):
                if key not in self.identity and not rr.covered(key, empty, colset, prefixes):
                    out.setdefault(key, None)
        return list(out)

    # --- the two ways to write -------------------------------------------------------------

    def stream_with(
        self, cols: list[str], first: list[dict[str, Any]], rest: Iterator[dict[str, Any]]
    ) -> int:
        renderer = self.renderer([*self.identity, *cols])
        colset, prefixes = set(cols), rr.dot_prefixes(cols)
        warned: set[str] = set()
        checked: set[tuple[Any, ...]] = set()

        def checked_rows() -> Iterator[dict[str, Any]]:
            yield from first
            for row in rest:
                shape = tuple((k, type(v)) for k, v in row.items())
                if shape not in checked:  # rows of one shape are checked once
                    if len(checked) < 4096:
                        checked.add(shape)
                    for key, empty in _flat_items(row):
                        if key in self.identity or key in warned:
                            continue
                        if not rr.covered(key, empty, colset, prefixes):
                            warned.add(key)
                            self.warn(
                                f"lx: field {key!r} (job {row.get('job_id')}) is not in the "
                                "configuration's data_schema, so it is not in this output; "
                                "-o jsonl shows every field"
                            )
                yield row

        count = _pour(checked_rows(), renderer)
        renderer.close()
        return count

    def spooled(
        self,
        first_job: Mapping[str, Any],
        first: list[dict[str, Any]],
        jobs: Iterator[Mapping[str, Any]],
        rows_of: RowsOf,
    ) -> int:
        from llamaextract_cli.output.spool import RowSpool

        union: dict[str, None] = {}
        filled: set[str] = set()
        sameness = _Sameness(first_job)
        with RowSpool() as spool:

            def note(key: str, value: Any) -> None:
                if key not in union:
                    union[key] = None
                if key not in filled and not (value is None or value == [] or value == {}):
                    filled.add(key)

            def park(row: dict[str, Any]) -> None:
                for key, value in row.items():  # the top level inline: most rows are flat
                    if type(value) is dict and value:
                        for sub, sub_empty in _flat_items(value, key + "."):
                            note(sub, None if sub_empty else True)
                    elif key not in filled:  # (a filled key is in the union)
                        note(key, value)
                spool.write(row)

            for row in first:
                park(row)
            for job in jobs:
                wrote = False
                for row in rows_of(job):
                    park(row)
                    wrote = True
                if wrote:
                    sameness.add(job)
            fields = [k for k in union if k not in self.identity]
            cols = self.schema_columns(first_job, union) if sameness.shared else None
            if cols is not None:
                colset, prefixes = set(cols), rr.dot_prefixes(cols)
                extra = [k for k in fields if not rr.covered(k, k not in filled, colset, prefixes)]
                names = [*self.identity, *cols, *extra]
            else:  # a column above others that was never more than null or empty: left out
                above = rr.dot_prefixes(fields)
                names = [*self.identity, *(k for k in fields if k in filled or k not in above)]
            renderer = self.renderer(names)
            count = _pour(spool.rows(), renderer)
            renderer.close()
        return count


class _Sameness:
    """Whether every job seen has the first one's configuration: the same configuration ID,
    or (jobs without one) an embedded configuration of equal schema and target."""

    def __init__(self, job: Mapping[str, Any]) -> None:
        self.config_id = job.get("configuration_id")
        self.signature = self.of(job) if self.config_id is None else None
        self.shared = self.config_id is not None or self.signature is not None

    @staticmethod
    def of(job: Mapping[str, Any]) -> tuple[Any, Any] | None:
        config = embedded_configuration(job)
        if config is None:
            return None
        return config.get("data_schema"), config.get("extraction_target")

    def add(self, job: Mapping[str, Any]) -> None:
        if not self.shared:
            return
        same_id = job.get("configuration_id") == self.config_id
        self.shared = same_id and (self.config_id is not None or self.of(job) == self.signature)


def _flat_counts(rows: Iterable[Mapping[str, Any]]) -> dict[str, None]:
    keys: dict[str, None] = {}
    for row in rows:
        for key, _empty in _flat_items(row):
            keys.setdefault(key, None)
    return keys


def _flat_items(row: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, bool]]:
    """(column, value is null or empty) for each flat column of a wide row."""
    for key, value in row.items():
        if type(value) is dict and value:
            yield from _flat_items(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value is None or value == [] or value == {}
