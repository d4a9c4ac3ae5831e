"""lx sandbox: serve the local emulator of the Extract v2 jobs API over HTTP.

This module declares the command and its options; checking them, building the fault
model and running the server are `cli.sandbox_serve`'s. The emulator itself lives in
`llamaextract_cli.sandbox` and is imported inside the command, so `lx --help` does not pay
for it (nor for httpx).
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

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
            "sends today) or `seed` (document_input_value, as the seed reference page; "
            "field metadata the older way: per_doc fields right under field_metadata, "
            "`citations`).",
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
    from llamaextract_cli.cli import sandbox_serve

    sandbox_serve.check_args(api_shape, retry_after, api_key, host, now)
    faults = sandbox_serve.fault_config(
        latency_ms=latency,
        rates={
            "--error-rate": error_rate,
            "--malformed-rate": malformed_rate,
            "--truncate-rate": truncate_rate,
            "--drop-rate": drop_rate,
            "--html-rate": html_rate,
            "--stall-rate": stall_rate,
            "--no-retry-rate": no_retry_rate,
            "--repeat-token-rate": repeat_token_rate,
        },
        rate_limit=rate_limit,
        retry_after=retry_after,
        stall=stall,
        schedule=fault_schedule,
        fault_seed=fault_seed,
    )
    env = getattr(ctx.obj, "env", None)  # the run's State, when lx's root command made one
    err = getattr(env, "stderr", None) or sys.stderr
    sandbox_serve.run(
        sandbox_serve.Served(
            host=host,
            port=port,
            jobs=jobs,
            seed=seed,
            api_shape=api_shape,
            api_key=api_key,
            live=live,
            now=now,
            max_page_size=max_page_size,
        ),
        faults,
        err,
    )
