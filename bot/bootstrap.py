"""The one place where the parts are wired together: settings -> database -> templates ->
engine -> service. Entry points (serve, chat, the CLI, tests) call ``build`` and nothing else."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from bot.settings import ConfigError, Settings
from bot.webhooks import WebhookSender
from intake.assistant import RuleAssistant
from intake.clock import Clock, SystemClock
from intake.engine import IntakeEngine
from intake.milestone_service import MilestoneService
from intake.review import ReviewService
from intake.service import IntakeService
from intake.templates import TemplateError, load_templates
from intake.templates.model import TemplateSet
from storage import db
from storage.uow import SqlUnitOfWorkFactory

log = logging.getLogger(__name__)


@dataclass
class Container:
    settings: Settings
    db_engine: Engine
    templates: TemplateSet
    intake: IntakeService
    review: ReviewService
    clock: Clock
    milestones: MilestoneService
    webhooks: WebhookSender | None = None  # started by `serve` when INTAKE_WEBHOOK_URL is set


def build(
    settings: Settings, *, clock: Clock | None = None, migrate: bool | None = None
) -> Container:
    """Everything the bot needs. ``migrate`` brings the database schema up to date; by default
    only an SQLite database is migrated automatically (PostgreSQL: ``intake-bot db upgrade``)."""
    try:
        templates = load_templates(settings.intake_templates_dir)
    except TemplateError as exc:
        raise ConfigError(f"Request-type template error: {exc}") from None
    db_engine = db.make_engine(settings.database_url)
    if migrate is None:
        migrate = db_engine.dialect.name == "sqlite"
    try:
        if migrate:
            db.upgrade(db_engine)
        else:
            _require_current_schema(db_engine)
    except OperationalError as exc:
        where = db_engine.url.render_as_string(hide_password=True)
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else "no answer"
        raise ConfigError(f"Cannot reach the database DATABASE_URL={where}: {reason}") from None
    clock = clock or SystemClock()
    engine = IntakeEngine(templates, RuleAssistant())
    webhooks = None
    if settings.intake_webhook_url and settings.intake_webhook_secret:
        secret = settings.intake_webhook_secret.get_secret_value()
        webhooks = WebhookSender(db_engine, settings.intake_webhook_url, secret, clock=clock)
    uow_factory = SqlUnitOfWorkFactory(
        db_engine,
        events_enabled=webhooks is not None,
        on_events=webhooks.notify if webhooks else None,  # deliver at once, not at next poll
    )
    service = IntakeService(uow_factory, engine, clock, id_prefix=settings.intake_id_prefix)
    review = ReviewService(uow_factory, clock)
    milestones = MilestoneService(uow_factory, clock)
    return Container(settings, db_engine, templates, service, review, clock, milestones, webhooks)


def _require_current_schema(db_engine: Engine) -> None:
    current, head = db.current_revision(db_engine), db.head_revision()
    if current != head:
        raise ConfigError(
            f"The database schema is at {current or 'nothing'} but this version needs {head}. "
            "Run `intake-bot db upgrade` first."
        )
