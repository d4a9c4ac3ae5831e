"""What `lx auth login|logout|status` print: notes on stderr, the status report on stdout.

The key only ever appears masked (``llx-…abcd``).
"""

from __future__ import annotations

from typing import IO, TYPE_CHECKING, Any

from llamaextract_cli.output.text import emit

if TYPE_CHECKING:
    from llamaextract_cli.settings.profiles import Resolved


def write_login(
    stream: IO[str],
    *,
    checked: bool,
    target: str,
    profile: str,
    key: str,
    check_url_only: bool,
    env_key: str | None,
) -> None:
    """`Logged in to URL as profile 'NAME' (key llx-…abcd)`, and what else to know."""
    from llamaextract_cli.settings.secrets import mask

    done = "Logged in to" if checked else "Saved (unchecked)"
    emit(stream, f"{done} {target} as profile '{profile}' (key {mask(key)})")
    if check_url_only:
        emit(
            stream,
            "note: the global --base-url was used for this check only; "
            "store it with `lx auth login --base-url URL`",
        )
    if env_key is not None:
        emit(stream, f"note: {env_key} is set and takes precedence over the stored key")


def status_info(resolved: Resolved, check: str, *, ok: bool) -> dict[str, Any]:
    """The settings in effect, each with its source, and the outcome of the check."""
    from llamaextract_cli.settings.secrets import mask

    return {
        "profile": resolved.profile,
        "profile_source": resolved.profile_source,
        "base_url": resolved.base_url,
        "base_url_source": resolved.base_url_source,
        "project_id": resolved.project_id,
        "project_id_source": resolved.source("project_id"),
        "organization_id": resolved.organization_id,
        "organization_id_source": resolved.source("organization_id"),
        "api_key": mask(resolved.api_key) if resolved.api_key else None,
        "api_key_source": resolved.api_key_source,
        "config_path": str(resolved.config_path),
        "config_exists": resolved.config_path.exists(),
        "check": check,
        "ok": ok,
    }


def status_lines(info: dict[str, Any]) -> list[str]:
    def show(value: Any) -> str:
        return "(none)" if value is None else str(value)

    rows = [
        ("Profile", info["profile"], info["profile_source"]),
        ("Base URL", info["base_url"], info["base_url_source"]),
        ("Project", info["project_id"], info["project_id_source"]),
        ("Organization", info["organization_id"], info["organization_id_source"]),
        ("API key", info["api_key"], info["api_key_source"]),
    ]
    width = max(len(show(value)) for _, value, _ in rows)
    lines = [
        f"{label + ':':<14}{show(value):<{width}}  from {source}".rstrip()
        if source != "none"
        else f"{label + ':':<14}{show(value)}"
        for label, value, source in rows
    ]
    exists = "" if info["config_exists"] else " (not created yet)"
    lines.append(f"{'Settings:':<14}{info['config_path']}{exists}")
    lines.append(f"{'Key check:':<14}{info['check']}")
    return lines


def write_status(stream: IO[str], info: dict[str, Any], fmt: str) -> None:
    """`text`: one aligned line per setting; `json` / `jsonl` / `yaml`: the object."""
    if fmt == "text":
        for line in status_lines(info):
            emit(stream, line)
        return
    if fmt == "yaml":
        from llamaextract_cli.output.yamlout import write_yaml

        write_yaml(stream, info)
        return
    import json

    emit(stream, json.dumps(info, indent=2 if fmt == "json" else None, ensure_ascii=False))
