"""lx sandbox: serve the local emulator of the Extract v2 jobs API over HTTP.

The emulator itself lives in `llamaextract_cli.sandbox` and is imported inside the command,
so `lx --help` does not pay for it (nor for httpx).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, TextIO

import typer

if TYPE_CHECKING:
    from llamaextract_cli.sandbox.faults import FaultConfig

app = typer.Typer(
    help="Run the local emulator of the LlamaCloud Extract v2 jobs API.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@app.callback()
def sandbox() -> None:
    """Run the local emulator of the LlamaCloud Extract v2 jobs API."""


SERVE_HELP = """Serve the emulator over HTTP/1.1 on 127.0.0.1 until Ctrl-C or SIGTERM.

The data set is deterministic: the same --jobs, --seed and --now give the same jobs, byte
for byte, and --jobs N serves exactly N jobs. With --live N, N extra newest jobs created at
start go PENDING -> RUNNING -> COMPLETED or FAILED over about ten seconds, for showing
`lx jobs wait` and `lx jobs watch`; off by default so that the data set holds still while a
client compares listings. The URL (and the live job IDs) are printed to stderr.
Any `Authorization: Bearer KEY` is accepted unless --api-key is given.

Faults (all off by default) apply to /api/v2/extract requests; rates are probabilities per
request, decided by a RNG seeded with --fault-seed so a run repeats exactly.

\b
Examples:
  lx sandbox serve --port 8787
  lx sandbox serve --port 0 --jobs 600 --seed 7 --now 2026-01-01T00:00:00Z
  lx sandbox serve --api-shape seed --api-key llx-demo
  lx sandbox serve --live 4                    # 4 jobs that finish in ~10 s: try jobs wait
  lx sandbox serve --rate-limit 5 --retry-after ms --error-rate 0.1 --latency 200
  lx sandbox serve --fault-schedule 500,429:date,truncate,ok

\b
Then, in another terminal:
  lx --base-url http://127.0.0.1:8787 jobs list --status FAILED
  LLAMA_CLOUD_BASE_URL=http://127.0.0.1:8787 LLAMA_CLOUD_API_KEY=llx-any python my_script.py
"""


def _rate(name: str, value: float | None) -> float:
    if value is None:
        return 0.0
    if not 0.0 <= value <= 1.0:
        raise typer.BadParameter(
            f"must be a probability between 0 and 1, not {value:g}", param_hint=name
        )
    return value


@app.command("serve", help=SERVE_HELP, no_args_is_help=False)
def serve(
    ctx: typer.Context,
    host: Annotated[
        str,
        typer.Option(
            "--host", help="Address to bind (loopback unless you mean it).", metavar="ADDR"
        ),
    ] = "127.0.0.1",
    port: Annotated[
        int,
        typer.Option("--port", min=0, max=65535, help="TCP port; 0 picks a free one.", metavar="N"),
    ] = 8787,
    jobs: Annotated[
        int,
        typer.Option(
            "--jobs",
            min=0,
            max=2_000_000,
            help="Number of historical jobs in the data set.",
            metavar="N",
        ),
    ] = 300,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the data set.", metavar="S")] = 0,
    api_shape: Annotated[
        str,
        typer.Option(
            "--api-shape",
            help="Job shape: `current` (file_input, top-level usage: what the service "
            "sends today) or `seed` (document_input_value, as the seed reference page).",
            metavar="current|seed",
        ),
    ] = "current",
    api_key: Annotated[
        str | None,
        typer.Option(
            "--api-key", help="Accept only this Bearer key (default: any key).", metavar="KEY"
        ),
    ] = None,
    live: Annotated[
        int,
        typer.Option(
            "--live",
            min=0,
            max=1000,
            help="Extra newest jobs that advance PENDING -> RUNNING -> done after start "
            "(the built-in sandbox profile has 4).",
            metavar="N",
        ),
    ] = 0,
    now: Annotated[
        str | None,
        typer.Option(
            "--now",
            help="Anchor of the data set's timestamps, ISO 8601 (default: the current "
            "time). Fix it for reproducible output.",
            metavar="ISO",
        ),
    ] = None,
    max_page_size: Annotated[
        int,
        typer.Option(
            "--max-page-size",
            min=1,
            max=100_000,
            help="Largest page_size accepted (422 above it).",
            metavar="N",
        ),
    ] = 100,
    latency: Annotated[
        float,
        typer.Option(
            "--latency", min=0, help="Delay added to every request, in milliseconds.", metavar="MS"
        ),
    ] = 0.0,
    error_rate: Annotated[
        float | None,
        typer.Option("--error-rate", help="Share of requests answered 500/502/503.", metavar="P"),
    ] = None,
    rate_limit: Annotated[
        int,
        typer.Option(
            "--rate-limit",
            min=0,
            help="Answer 429 when more than N requests arrive within one second (0: off).",
            metavar="N",
        ),
    ] = 0,
    retry_after: Annotated[
        str,
        typer.Option(
            "--retry-after",
            help="How a 429 says when to retry: `seconds` (Retry-After: 1), `ms` "
            "(retry-after-ms), `date` (Retry-After: HTTP-date) or `none`.",
            metavar="FORM",
        ),
    ] = "seconds",
    malformed_rate: Annotated[
        float | None,
        typer.Option(
            "--malformed-rate",
            help="Share of requests answered 200 with a body that is not JSON.",
            metavar="P",
        ),
    ] = None,
    truncate_rate: Annotated[
        float | None,
        typer.Option(
            "--truncate-rate",
            help="Share of requests answered 200 with the body cut mid-JSON "
            "(Content-Length matches the cut).",
            metavar="P",
        ),
    ] = None,
    drop_rate: Annotated[
        float | None,
        typer.Option(
            "--drop-rate",
            help="Share of answers sending half the body, then closing the connection.",
            metavar="P",
        ),
    ] = None,
    html_rate: Annotated[
        float | None,
        typer.Option(
            "--html-rate", help="Share of requests answered by an nginx 502 HTML page.", metavar="P"
        ),
    ] = None,
    stall_rate: Annotated[
        float | None,
        typer.Option(
            "--stall-rate", help="Share of requests answered only after --stall.", metavar="P"
        ),
    ] = None,
    stall: Annotated[
        float,
        typer.Option("--stall", min=0, help="Seconds a stalled answer waits.", metavar="SECONDS"),
    ] = 30.0,
    no_retry_rate: Annotated[
        float | None,
        typer.Option(
            "--no-retry-rate",
            help="Share of requests answered 503 with `x-should-retry: false`.",
            metavar="P",
        ),
    ] = None,
    repeat_token_rate: Annotated[
        float | None,
        typer.Option(
            "--repeat-token-rate",
            help="Share of list pages whose next_page_token is the token sent (a looping server).",
            metavar="P",
        ),
    ] = None,
    fault_schedule: Annotated[
        str | None,
        typer.Option(
            "--fault-schedule",
            help="Comma-separated faults for the first requests, in order, then none: "
            "ok, 500, 502, 503, error, 429[:seconds|ms|date|none], malformed, truncate, "
            "drop, html, stall, no-retry, repeat-token.",
            metavar="A,B,C",
        ),
    ] = None,
    fault_seed: Annotated[
        int, typer.Option("--fault-seed", help="Seed of the fault decisions.", metavar="N")
    ] = 0,
) -> None:
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
    from llamaextract_cli.sandbox.faults import FaultConfig
    from llamaextract_cli.sandbox.timeutil import parse_datetime_us

    if now is not None:
        try:
            parse_datetime_us(now)
        except ValueError as e:
            raise typer.BadParameter(
                f"{now!r} is not an ISO 8601 date-time ({e})", param_hint="--now"
            ) from None
    schedule = [s for s in (fault_schedule or "").split(",") if s.strip()]
    try:
        faults = FaultConfig(
            latency=latency / 1000.0,
            error_rate=_rate("--error-rate", error_rate),
            rate_limit=rate_limit,
            retry_after=retry_after,
            malformed_rate=_rate("--malformed-rate", malformed_rate),
            truncate_rate=_rate("--truncate-rate", truncate_rate),
            drop_rate=_rate("--drop-rate", drop_rate),
            html_rate=_rate("--html-rate", html_rate),
            stall_rate=_rate("--stall-rate", stall_rate),
            stall=stall,
            no_retry_rate=_rate("--no-retry-rate", no_retry_rate),
            repeat_token_rate=_rate("--repeat-token-rate", repeat_token_rate),
            schedule=schedule,
            fault_seed=fault_seed,
        )
    except ValueError as e:
        hint = "--fault-schedule" if "schedule" in str(e) else None
        raise typer.BadParameter(str(e), param_hint=hint) from None
    env = getattr(ctx.obj, "env", None)  # the run's State, when lx's root command made one
    err = getattr(env, "stderr", None) or sys.stderr
    _run(host, port, jobs, seed, api_shape, api_key, live, now, max_page_size, faults, err)


def _is_loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _run(
    host: str,
    port: int,
    jobs: int,
    seed: int,
    api_shape: str,
    api_key: str | None,
    live: int,
    now: str | None,
    max_page_size: int,
    faults: FaultConfig,
    err: TextIO,
) -> None:
    import signal
    import threading

    from llamaextract_cli.output.text import plural
    from llamaextract_cli.sandbox.app import SandboxApp
    from llamaextract_cli.sandbox.server import SandboxServer

    sandbox = SandboxApp(
        jobs=jobs,
        seed=seed,
        api_shape=api_shape,
        api_key=api_key,
        live=live,
        now=now,
        faults=faults,
        max_page_size=max_page_size,
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
