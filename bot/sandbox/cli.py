"""`intake-bot sandbox`: the real bot and an emulated Slack workspace, in the browser."""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from pathlib import Path

import click

DEFAULT_PORT = 3838


@click.command(
    "sandbox",
    help="Try the bot without a Slack workspace: the real bot (HTTP mode, SQLite, rule engine) "
    "and a local emulation of Slack, in your browser on 127.0.0.1. Nothing leaves your machine; "
    "every run starts from an empty workspace.",
)
@click.option(
    "--port",
    type=int,
    default=DEFAULT_PORT,
    show_default=True,
    help="Port of the page (0, or a port in use: any free port).",
)
@click.option(
    "--start",
    "start_at",
    default=None,
    metavar="ISO-TIME",
    help="Start the sandbox's clock here, e.g. 2026-11-20T10:00+01:00 (default: now).",
)
@click.option(
    "--templates",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="A directory of request-type YAML files to try (default: INTAKE_TEMPLATES_DIR).",
)
@click.option("--verbose", is_flag=True, help="Log the bot's INFO lines too.")
def sandbox(port: int, start_at: str | None, templates: Path | None, verbose: bool) -> None:
    from bot.sandbox.runtime import Sandbox, utc
    from bot.sandbox.server import PageServer
    from bot.settings import ConfigError

    began = time.perf_counter()
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        start = utc(start_at) if start_at else None
    except ValueError:
        raise click.BadParameter(f"{start_at!r} is not an ISO time", param_hint="--start") from None
    box = Sandbox(start_at=start, templates_dir=templates)
    try:
        box.start()
    except ConfigError as exc:
        box.stop()
        click.echo(f"intake-bot: {exc}", err=True)
        sys.exit(2)
    try:
        page = PageServer(box, port).start()
    except OSError:
        page = PageServer(box, 0).start()
        click.echo(f"Port {port} is in use; using {page.port} instead.")
    click.echo(f"Sandbox ready in {time.perf_counter() - began:.1f} s: {page.url}")
    click.echo(
        "Open it in your browser. People: Alice (requester), Lee (lead), Owen (owner). "
        "Ctrl-C stops it (the sandbox's data is thrown away)."
    )
    click.echo(f"Its GitHub, where approved asks become issues: {page.url}/github")
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    while not stopping.wait(0.5):
        pass
    click.echo("Stopping the sandbox...")
    page.close()
    box.stop()
