"""The configuration of `lx jobs create`: a saved one, or one built from a schema file.

Exactly one source: `--config ID` (saved), `--schema FILE` (a JSON Schema, becoming
`data_schema`), or `--configuration FILE` (a whole ExtractConfiguration object). The
flags `--tier`, `--target`, `--system-prompt`, `--cite`, `--confidence` set keys of an
inline configuration (over those of a `--configuration` file) and make no sense with
a saved one. Every problem is a UsageError (exit 2), raised before any request.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import IO, Any

from llamaextract_cli.errors import UsageError

STDIN = "-"
TIERS = ("cost_effective", "agentic", "agentic_plus", "turbo")
TARGETS = ("per_doc", "per_page", "per_table_row")

# credits a page by extract tier, as the seed page states them; other tiers: pages only
SEED_RATES: dict[str, float] = {"cost_effective": 5.0, "agentic": 15.0}


@dataclass(frozen=True)
class Options:
    """The inline keys given as flags (None: not given)."""

    tier: str | None = None
    target: str | None = None
    system_prompt: str | None = None
    cite: bool | None = None
    confidence: bool | None = None

    def keys(self) -> dict[str, Any]:
        pairs = {
            "tier": self.tier,
            "extraction_target": self.target,
            "system_prompt": self.system_prompt,
            "cite_sources": self.cite,
            "confidence_scores": self.confidence,
        }
        return {k: v for k, v in pairs.items() if v is not None}

    def flags(self) -> list[str]:
        names = {
            "tier": "--tier",
            "extraction_target": "--target",
            "system_prompt": "--system-prompt",
            "cite_sources": "--cite/--no-cite",
            "confidence_scores": "--confidence/--no-confidence",
        }
        return [names[k] for k in self.keys()]


@dataclass(frozen=True)
class Choice:
    """The configuration every created job gets: `configuration_id` or `configuration`."""

    configuration_id: str | None = None
    configuration: Mapping[str, Any] | None = None

    @property
    def tier(self) -> str | None:
        tier = (self.configuration or {}).get("tier")
        return tier if isinstance(tier, str) else None


def choose(
    *,
    config_id: str | None,
    schema: str | None,
    configuration: str | None,
    options: Options,
    stdin: IO[str] | None,
    stdin_isatty: bool = False,
) -> Choice:
    """The configuration of the flags; UsageError for a missing, mixed or bad one."""
    given = [f for f, v in (("--config", config_id), ("--schema", schema)) if v is not None]
    if configuration is not None:
        given.append("--configuration")
    if not given:
        raise UsageError(
            "a job needs a configuration: pass --config ID, --schema FILE or --configuration FILE",
            hint="lx jobs create --file-input dfl-… --schema schema.json",
        )
    if len(given) > 1:
        raise UsageError(
            f"{' and '.join(given)} cannot be combined: a job has exactly one configuration",
            hint="a saved one (--config ID), or an inline one (--schema or --configuration)",
        )
    if config_id is not None:
        if not config_id.strip():
            raise UsageError("--config must not be empty", hint="name a saved configuration ID")
        if options.keys():
            raise UsageError(
                f"{', '.join(options.flags())} set keys of an inline configuration; the "
                f"saved configuration {config_id} has its own",
                hint="drop them, or use --schema FILE instead of --config",
            )
        return Choice(configuration_id=config_id.strip())
    if schema is not None:
        value = _read_json("--schema", schema, stdin, stdin_isatty)
        if not isinstance(value, dict):
            raise UsageError(
                f"--schema {schema}: a JSON Schema is an object ({{...}}), not a {_kind(value)}"
            )
        return Choice(configuration={"data_schema": value, **options.keys()})
    assert configuration is not None
    value = _read_json("--configuration", configuration, stdin, stdin_isatty)
    if not isinstance(value, dict):
        raise UsageError(
            f"--configuration {configuration}: a configuration is a JSON object, not a "
            f"{_kind(value)}"
        )
    if "configuration" in value and "data_schema" not in value:
        raise UsageError(
            f"--configuration {configuration}: that looks like a job or a request body; "
            "the file holds the configuration object itself (with data_schema)",
            hint="jq .configuration job.json > configuration.json",
        )
    if not isinstance(value.get("data_schema"), dict):
        raise UsageError(
            f"--configuration {configuration}: needs a data_schema object (the JSON Schema "
            "of the fields to extract)"
        )
    return Choice(configuration={**value, **options.keys()})


def _read_json(flag: str, source: str, stdin: IO[str] | None, stdin_isatty: bool) -> Any:
    if not source.strip():
        raise UsageError(f"{flag} must not be empty", hint=f"{flag} FILE, or {flag} - for stdin")
    if source == STDIN:
        if stdin is None or getattr(stdin, "closed", False):
            raise UsageError(f"{flag} -: stdin is closed")
        if stdin_isatty:
            raise UsageError(
                f"{flag} - reads JSON from stdin, but stdin is a terminal",
                hint=f"pipe it in: cat schema.json | lx jobs create … {flag} -",
            )
        try:
            text = stdin.read()
        except (OSError, UnicodeDecodeError, ValueError) as e:
            raise UsageError(f"{flag} -: cannot read stdin: {e}") from None
        where = "stdin"
    else:
        from pathlib import Path

        path = Path(source).expanduser()
        try:
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise UsageError(f"{flag} {source}: no such file") from None
        except IsADirectoryError:
            raise UsageError(f"{flag} {source}: is a directory, not a JSON file") from None
        except UnicodeDecodeError:
            raise UsageError(f"{flag} {source}: not UTF-8 text") from None
        except OSError as e:
            raise UsageError(f"{flag} {source}: cannot read it ({e.strerror or e})") from None
        where = source
    if not text.strip():
        raise UsageError(f"{flag} {where}: empty, not JSON")
    try:
        return json.loads(text)
    except ValueError as e:
        line = getattr(e, "lineno", None)
        col = getattr(e, "colno", None)
        msg = getattr(e, "msg", str(e))
        at = f" (line {line}, column {col})" if line is not None else ""
        raise UsageError(f"{flag} {where} is not valid JSON: {msg}{at}") from None


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "list"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    return type(value).__name__


def describe(choice: Choice) -> str:
    """`saved configuration cfg-1` or `inline configuration (tier agentic, 7 fields)`."""
    if choice.configuration_id is not None:
        return f"saved configuration {choice.configuration_id}"
    conf = choice.configuration or {}
    parts = [f"tier {choice.tier}" if choice.tier else "the service's default tier"]
    target = conf.get("extraction_target")
    if isinstance(target, str):
        parts.append(target)
    schema = conf.get("data_schema")
    props = schema.get("properties") if isinstance(schema, dict) else None
    title = schema.get("title") if isinstance(schema, dict) else None
    if isinstance(title, str) and title:
        parts.append(f"schema {title!r}")
    if isinstance(props, dict):
        parts.append(f"{len(props)} field{'s' if len(props) != 1 else ''}")
    return f"inline configuration ({', '.join(parts)})"
