"""`lx sandbox serve` behind its options: check them, build the fault model, serve.

The command (`cli/commands/sandbox.py`) only declares the options; the emulator
(`llamaextract_cli.sandbox`) is imported here inside the functions, so `lx --help`
pays for neither.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

import typer

if TYPE_CHECKING:
    from llamaextract_cli.sandbox.faults import FaultConfig


@dataclass(frozen=True)
class Served:
    """What to serve, and where."""

    host: str
    port: int
    jobs: int
    seed: int
    api_shape: str
    api_key: str | None
    live: int
    now: str | None
    max_page_size: int
    span_ms: int | None = None  # every job within this long before `now` (--span)


def check_args(
    api_shape: str, retry_after: str, api_key: str | None, host: str, now: str | None
) -> None:
    """The checks click cannot make; a bad value is a usage error naming the option."""
    if api_shape not in ("current", "seed"):
        raise typer.BadParameter(
            f"must be current or seed, not {api_shape!r}", param_hint="--api-shape"
        )
    if retry_after not in ("seconds", "ms", "date", "none"):
        raise typer.BadParameter(
            f"must be seconds, ms, date or none, not {retry_after!r}", param_hint="--retry-after"
        )
    if api_key is not None and not api_key.strip():
        raise typer.BadParameter("must not be empty", param_hint="--api-key")
    if not host.strip():  # "" would bind every interface
        raise typer.BadParameter(
            "must not be empty (the default is 127.0.0.1)", param_hint="--host"
        )
    if now is not None:
        from llamaextract_cli.sandbox.timeutil import parse_datetime_us

        try:
            parse_datetime_us(now)
        except ValueError as e:
            raise typer.BadParameter(
                f"{now!r} is not an ISO 8601 date-time ({e})", param_hint="--now"
            ) from None


def span_ms(span: str | None) -> int | None:
    """--span as milliseconds (more than 0, at most the data set's 30 days), or None."""
    if span is None:
        return None
    from llamaextract_cli.timeparse import TimeParseError, parse_duration

    try:
        ms = int(parse_duration(span) * 1000)
    except TimeParseError as e:
        raise typer.BadParameter(str(e), param_hint="--span") from None
    if not 0 < ms <= 30 * 86_400_000:
        raise typer.BadParameter("must be more than 0 and at most 30d", param_hint="--span")
    return ms


def _rate(name: str, value: float | None) -> float:
    if value is None:
        return 0.0
    if not 0.0 <= value <= 1.0:
        raise typer.BadParameter(
            f"must be a probability between 0 and 1, not {value:g}", param_hint=name
        )
    return value


def fault_config(
    *,
    latency_ms: float,
    rates: Mapping[str, float | None],
    rate_limit: float | None,
    retry_after: str,
    stall: float,
    schedule: str | None,
    fault_seed: int,
) -> FaultConfig:
    """The fault model of the options; `rates` maps each --*-rate option to its value."""
    from llamaextract_cli.sandbox.faults import FaultConfig

    p = {name: _rate(name, value) for name, value in rates.items()}
    steps = [s for s in (schedule or "").split(",") if s.strip()]
    try:
        return FaultConfig(
            latency=latency_ms / 1000.0,
            error_rate=p["--error-rate"],
            rate_limit=rate_limit,
            retry_after=retry_after,
            malformed_rate=p["--malformed-rate"],
            truncate_rate=p["--truncate-rate"],
            drop_rate=p["--drop-rate"],
            html_rate=p["--html-rate"],
            stall_rate=p["--stall-rate"],
            stall=stall,
            no_retry_rate=p["--no-retry-rate"],
            repeat_token_rate=p["--repeat-token-rate"],
            schedule=steps,
            fault_seed=fault_seed,
        )
    except ValueError as e:
        hint = "--fault-schedule" if "schedule" in str(e) else None
        raise typer.BadParameter(str(e), param_hint=hint) from None


def _is_loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def run(served: Served, faults: FaultConfig, err: TextIO) -> None:
    """Serve until SIGINT or SIGTERM; what it serves and where goes to `err`."""
    import signal
    import threading

    from llamaextract_cli.output.text import plural
    from llamaextract_cli.sandbox.app import SandboxApp
    from llamaextract_cli.sandbox.server import SandboxServer

    host, port, jobs, seed = served.host, served.port, served.jobs, served.seed
    api_shape, api_key = served.api_shape, served.api_key
    sandbox = SandboxApp(
        jobs=jobs,
        seed=seed,
        api_shape=api_shape,
        api_key=api_key,
        live=served.live,
        now=served.now,
        faults=faults,
        max_page_size=served.max_page_size,
        span_ms=served.span_ms,
    )
    server = SandboxServer(sandbox, host=host, port=port)
    stop = threading.Event()
    previous: dict[int, object] = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, lambda signum, frame: stop.set())
    try:
        try:
            server.start()
        except OSError as e:
            raise typer.BadParameter(
                f"cannot listen on {host}:{port}: {e.strerror or e}", param_hint="--host/--port"
            ) from None
        print(
            f"lx sandbox: serving {plural(jobs, 'job')} (seed {seed}, shape {api_shape}) "
            f"on {server.url}",
            file=err,
        )
        ids = sandbox.live_job_ids()
        if ids:
            print(f"lx sandbox: {plural(len(ids), 'live job')}: {' '.join(ids)}", file=err)
        if not _is_loopback(host):
            print(
                f"lx sandbox: warning: listening on {host}, reachable beyond this machine"
                + ("" if api_key else "; any API key is accepted (set --api-key)"),
                file=err,
            )
        print("lx sandbox: press Ctrl-C to stop", file=err, flush=True)
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]
    print("lx sandbox: stopped", file=err, flush=True)
