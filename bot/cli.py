"""The `intake-bot` command: chat in the terminal, serve Slack, inspect and export asks, migrate."""

from __future__ import annotations

import getpass
import logging
import os
import shlex
import sys
from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

import click

from bot.sandbox.cli import sandbox
from intake.ticket import Status

# Only what `intake-bot --help` needs is imported here (click, the sandbox command's options,
# the status names): each command imports the rest (Slack, SQLAlchemy, pydantic, the LLM
# client) when it runs, so the help and a mistyped option answer at once.
if TYPE_CHECKING:
    from bot.bootstrap import Container
    from bot.settings import Settings

F = TypeVar("F", bound=Callable[..., Any])


def friendly_errors(func: F) -> F:
    """Configuration problems, and a migration refused until the operator acts, end the
    command with the message, never a stack trace."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from bot.settings import ConfigError
        from storage import UpgradeRefused

        try:
            return func(*args, **kwargs)
        except (ConfigError, UpgradeRefused) as exc:
            click.echo(f"intake-bot: {exc}", err=True)
            sys.exit(2)

    return wrapper  # type: ignore[return-value]


def _settings(log_format: str = "text") -> Settings:
    """The settings, with logging set up: ``log_format`` ("json" for the services, "text" for
    the commands people run at a terminal) unless ``--log-format`` says otherwise; secrets
    are redacted from every line (bot.observability.logs)."""
    from bot.observability.logs import configure_logging, secret_values
    from bot.settings import load_settings

    settings = load_settings()
    chosen = _log_format_option() or log_format
    configure_logging(settings.log_level, chosen, secrets=secret_values(settings))
    return settings


def _log_format_option() -> str | None:
    context = click.get_current_context(silent=True)
    if context is None:
        return None
    value = context.find_root().params.get("log_format")
    return str(value) if value else None


def _container(log_format: str = "text", **kwargs: Any) -> Container:
    from bot.bootstrap import build

    return build(_settings(log_format), **kwargs)


@click.group(help="Platform Intake: turn vague platform asks into scoped tickets.")
@click.option(
    "--log-format",
    type=click.Choice(["json", "text"]),
    default=None,
    help="Log lines as JSON or text (default: json for serve and worker, text otherwise).",
)
def main(log_format: str | None) -> None:
    pass


main.add_command(sandbox)


@main.command(help="Try an intake in the terminal (same engine and database as the Slack bot).")
@click.option(
    "--user", default=lambda: getpass.getuser(), show_default="your login", help="Who is asking."
)
@click.option("--tz", default=None, help="Your time zone (default INTAKE_TIMEZONE).")
@friendly_errors
def chat(user: str, tz: str | None) -> None:
    from bot.terminal import TerminalChat

    container = _container()
    logging.getLogger().setLevel(logging.WARNING)  # keep the conversation readable
    tz = tz or container.settings.intake_timezone
    chat = TerminalChat(
        container.intake, user, tz, sys.stdout, sys.stdin, resume_command=_resume_command(user)
    )
    sys.exit(chat.run())


def _resume_command(user: str) -> str:
    """The command that brings this person back to their saved intake: the way this chat was
    launched (``./dev`` sets INTAKE_LAUNCHER="./dev chat", since ``intake-bot`` is not on the
    PATH there), with ``--user`` when it was not the login name."""
    command = os.environ.get("INTAKE_LAUNCHER", "").strip() or "intake-bot chat"
    if user != getpass.getuser():
        command += f" --user {shlex.quote(user)}"
    return command


@main.command(help="Run the Slack bot: Socket Mode when SLACK_APP_TOKEN is set, else HTTP on PORT.")
@click.option("--host", default="0.0.0.0", show_default=True)
@click.option(
    "--port", type=int, default=None, help="HTTP port (default PORT, 3000; 0: any free port)."
)
@click.option(
    "--metrics-port",
    type=int,
    default=None,
    help="Also serve only GET /metrics and /healthz on this port (in HTTP mode they are on "
    "PORT too; in Socket Mode this is the only way to get them).",
)
@friendly_errors
def serve(host: str, port: int | None, metrics_port: int | None) -> None:
    from bot.serving import serve as run

    container = _container("json")
    run(
        container,
        host=host,
        port=port if port is not None else container.settings.port,  # 0: any free port
        metrics_port=metrics_port,
    )


@main.group(help="Look at asks.")
def asks() -> None:
    pass


@asks.command("list", help="Asks, newest first.")
@click.option("--status", type=click.Choice([s.value for s in Status]), default=None)
@friendly_errors
def asks_list(status: str | None) -> None:
    container = _container()
    tickets = container.intake.list(statuses=[Status(status)] if status else None)
    if not tickets:
        click.echo("No asks yet.")
    for t in tickets:
        label = t.key or f"draft-{t.id}"
        deadline = t.deadline.isoformat() if t.deadline else ("none" if t.no_deadline else "-")
        click.echo(
            f"{label:<10} {t.status.value:<11} {t.priority or '-':<3} {deadline:<10} "
            f"{t.title or t.problem[:60]}"
        )


@asks.command("show", help="One ask with its history (ID: PLAT-12, or draft-3).")
@click.argument("ask_id")
@friendly_errors
def asks_show(ask_id: str) -> None:
    from bot.terminal import render_ticket
    from intake import readiness

    container = _container()
    conversation = _find(container, ask_id)
    if conversation is None:
        click.echo(f"No ask {ask_id}.", err=True)
        sys.exit(1)
    ticket = conversation.ticket
    template = container.templates.get(ticket.category)
    click.echo(render_ticket(ticket, container.intake, readiness.check(ticket, template)))
    click.echo(f"Status: {ticket.status.value}   Requester: {ticket.requester}")
    click.echo("History:")
    for h in ticket.history:
        origin = h.from_status.value if h.from_status else "-"
        note = f"  ({h.note})" if h.note else ""
        click.echo(f"    {h.at:%Y-%m-%d %H:%M} {h.actor}: {origin} -> {h.to_status.value}{note}")
    if not ticket.history:
        click.echo("    (none yet: still a draft)")
    audit = container.review.audit(ticket.id) if ticket.id is not None else []
    if audit:
        click.echo("Audit trail:")
    for a in audit:
        note = f"  ({a.note})" if a.note else ""
        click.echo(f"    {a.at:%Y-%m-%d %H:%M} {a.actor}: {a.action} -> {a.outcome}{note}")


@asks.command("export", help="Every ask in the canonical schema, on stdout.")
@click.option(
    "--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True
)
@friendly_errors
def asks_export(fmt: str) -> None:
    from intake import export

    container = _container()
    tickets = [
        container.intake.get(t.id).ticket for t in container.intake.list() if t.id is not None
    ]
    click.echo(
        export.to_json(tickets) if fmt == "json" else export.to_csv(tickets), nl=fmt == "json"
    )


@main.group(help="The weekly follow-through: owner nudges, progress replies, channel digest.")
def digest() -> None:
    pass


@digest.command("preview", help="Print what a run now would send. Sends nothing.")
@friendly_errors
def digest_preview() -> None:
    from bot.background import follow_through
    from bot.blocks.kit import text_of

    container = _container()
    planned = follow_through(container, client=None).preview()
    if not planned:
        click.echo("Nothing to send: no milestones due, no active asks, no digest channel.")
    for item in planned:
        where = f"{item.channel} (thread {item.thread_ts})" if item.thread_ts else item.channel
        click.echo(f"=== {item.kind} to {where} · {item.period}")
        click.echo(text_of(item.payload))
        for reply in item.payload.get("thread") or []:
            click.echo("  --- in the thread:")
            click.echo(text_of(reply))
        click.echo()


@digest.command(
    "run",
    help="Run this week's nudges, progress replies and digest now and send them "
    "(the scheduled path; once per ISO week however often it runs).",
)
@friendly_errors
def digest_run() -> None:
    from bot.app import make_client
    from bot.background import follow_through
    from bot.sender import send_due

    container = _container()
    container.settings.require_slack(socket_mode=True)
    client = make_client(container)
    follow = follow_through(container, client)
    now = container.clock.now()
    report = follow.tick(now, force=True)
    sent = send_due(container.db_engine, container.clock, follow.clients)
    click.echo(
        f"Queued {report.nudges} nudges, {report.progress} progress replies and "
        f"{report.digests} digest(s); sent {sent} message(s). Messages to people outside their "
        "08:00-18:00 wait for their morning."
    )
    if container.settings.intake_digest_channel and not report.digests:
        week, claimed = follow.digest_sent_at(now)
        if claimed is not None:
            when = claimed.astimezone(ZoneInfo(container.settings.intake_timezone))
            click.echo(
                f"This week's digest ({week}) already went: queued {when:%a %d %b %H:%M} "
                f"({container.settings.intake_timezone}). It is sent once a week."
            )


@main.command(
    help="Run the scheduler, the senders and the work that serve queued (INTAKE_DEFER_WORK) "
    "without the HTTP server (a separate worker process; set INTAKE_RUN_SCHEDULER=false on "
    "the serve replicas then)."
)
@click.option("--metrics-host", default="0.0.0.0", show_default=True)
@click.option(
    "--metrics-port",
    type=int,
    default=None,
    help="Serve GET /metrics and /healthz on this port (0: any free port; default: none).",
)
@friendly_errors
def worker(metrics_host: str, metrics_port: int | None) -> None:
    from bot.app import worker_client
    from bot.background import start_background
    from bot.serving import make_metrics, start_ops_server
    from bot.shutdown import Shutdown, close_databases, drain_worker, exit_process

    container = _container("json")
    container.settings.require_slack(socket_mode=True)  # no requests: no signing secret
    client = worker_client(container)
    metrics = make_metrics(container)
    metrics.watch_slack(client)
    background = start_background(container, client, schedule=True, worker=True)
    metrics.watch_background(background)
    ops = None
    if metrics_port is not None:
        ops = start_ops_server(container.db_engine, metrics, metrics_host, metrics_port)
    # On SIGTERM/SIGINT: no new work; finish or hand back what it holds within the grace.
    shutdown = Shutdown(container.settings.intake_shutdown_grace).install()
    click.echo(
        "worker running: the queue (commands, Slack messages, webhooks, tracker syncs), "
        "follow-through scheduler"
    )
    shutdown.wait()
    clean = drain_worker(shutdown, background)
    if ops is not None:
        ops.close()
    close_databases(container)
    exit_process(clean, shutdown.grace_left())


@main.group(help="Database schema.")
def db() -> None:
    pass


@db.command(help="Apply the database migrations (Alembic) up to the latest.")
@friendly_errors
def upgrade() -> None:
    from storage import db as storage_db

    settings = _settings()
    engine = storage_db.make_engine(settings.database_url)
    storage_db.upgrade(engine)
    click.echo(f"Database is at revision {storage_db.current_revision(engine)}.")


def _find(container: Container, ask_id: str) -> Any:
    if ask_id.lower().startswith("draft-") and ask_id[6:].isdigit():
        from intake.service import NotFound

        try:
            return container.intake.get(int(ask_id[6:]))
        except NotFound:
            return None
    return container.intake.find(ask_id)


@main.command(
    help="Check that this install can run serve and worker: import every module and read the "
    "shipped request types and migrations. Needs no configuration; exits 1 on a problem."
)
def check() -> None:
    from bot import selfcheck

    report = selfcheck.run()
    click.echo(report.summary(), err=not report.ok)
    sys.exit(0 if report.ok else 1)
