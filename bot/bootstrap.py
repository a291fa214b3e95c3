"""The one place where the parts are wired together: settings -> database -> templates ->
engine -> service. Entry points (serve, chat, the CLI, tests) call ``build`` and nothing else."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from bot.in_flight import InFlight
from bot.pacing import Pacer
from bot.settings import ConfigError, Settings
from bot.tracker_setup import TRACKER, TrackerSetup, load_trackers
from bot.webhooks import WEBHOOK
from bot.work_slots import WorkSlots
from intake.assistant import Assistant, RuleAssistant
from intake.clock import Clock, SystemClock
from intake.engine import IntakeEngine
from intake.milestone_service import MilestoneService
from intake.review import ReviewService
from intake.service import IntakeService
from intake.similar_asks import SimilarAsks
from intake.similarity import Embedder
from intake.templates import TemplateError, load_templates
from intake.templates.model import TemplateSet
from storage import db
from storage.assistant import SqlTokenLedger, SqlVectorStore
from storage.errors import UpgradeRefused
from storage.pace import MemoryPaceStore, SqlPaceStore
from storage.uow import SqlUnitOfWorkFactory

if TYPE_CHECKING:
    from llm import LlmGateway

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
    similar: SimilarAsks
    llm: LlmGateway | None = None  # the model's gateway, when one is configured (for metrics)
    # The pacer of every Web API call this process makes (bot.pacing): one per process.
    pacer: Pacer = field(default_factory=lambda: Pacer(MemoryPaceStore()))
    # Connections of their own for what people wait on (storage.db.make_engine's urgent):
    # the replay check before each ack, and the pacer's token before each Web API call.
    ack_db_engine: Engine | None = None
    pace_db_engine: Engine | None = None
    # A worker's jobs run Python a few at a time; the gateway and the pacer lend a job's slot
    # while it waits on the model or for a pacing token (bot.work_slots). Outside a job
    # nothing changes.
    work_slots: WorkSlots = field(default_factory=WorkSlots)
    # The work this process has started and not finished: listener runs after their ack and
    # notified sender rounds (bot.in_flight). /metrics shows it; tests wait for it to drain.
    in_flight: InFlight = field(default_factory=InFlight)
    # Wakes this process's queue runner after a commit that queued work, so it runs at once
    # rather than at the next poll: bot.background sets it to the runner's notify.
    notify_queue: Callable[[], None] = lambda: None
    # The trackers accepted asks go to (INTAKE_TRACKERS_FILE), when configured.
    trackers: TrackerSetup | None = None


def build(
    settings: Settings, *, clock: Clock | None = None, migrate: bool | None = None
) -> Container:
    """Everything the bot needs. ``migrate`` brings the database schema up to date; by default
    only an SQLite database is migrated automatically (PostgreSQL: ``intake-bot db upgrade``)."""
    try:
        templates = load_templates(settings.intake_templates_dir)
    except TemplateError as exc:
        raise ConfigError(f"Request-type template error: {exc}") from None
    trackers = load_trackers(settings, templates)
    db_engine = db.make_engine(settings.database_url)
    if migrate is None:
        migrate = db_engine.dialect.name == "sqlite"
    try:
        if migrate:
            db.upgrade(db_engine)
        else:
            _require_current_schema(db_engine)
    except UpgradeRefused as exc:
        raise ConfigError(f"The database upgrade is refused: {exc}") from None
    except OperationalError as exc:
        where = db_engine.url.render_as_string(hide_password=True)
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else "no answer"
        raise ConfigError(f"Cannot reach the database DATABASE_URL={where}: {reason}") from None
    clock = clock or SystemClock()
    work_slots = WorkSlots()
    # Every Web API call of every listener takes a token here: more connections, and no ping
    # round trip before each take (a take that fails sends its call unpaced).
    pace_engine = db.make_engine(settings.database_url, urgent=True, connections=10, pre_ping=False)
    assistant, embedder, llm = _assistant(settings, db_engine, clock, work_slots)
    engine = IntakeEngine(templates, assistant)
    in_flight = InFlight()
    uow_factory = SqlUnitOfWorkFactory(
        db_engine,
        event_kinds=_event_subscribers(settings, trackers),
        on_queued=lambda: container.notify_queue(),  # the container's, once it exists
    )
    service = IntakeService(uow_factory, engine, clock, id_prefix=settings.intake_id_prefix)
    review = ReviewService(uow_factory, clock)
    milestones = MilestoneService(uow_factory, clock)
    similar = SimilarAsks(
        uow_factory,
        embedder=embedder,
        vectors=SqlVectorStore(db_engine) if embedder else None,
        model=settings.intake_llm_embedding_model,
    )
    container = Container(
        settings,
        db_engine,
        templates,
        service,
        review,
        clock,
        milestones,
        similar,
        llm,
        pacer=Pacer(SqlPaceStore(pace_engine), waiting=work_slots.waiting),
        ack_db_engine=db.make_engine(settings.database_url, urgent=True),
        pace_db_engine=pace_engine,
        work_slots=work_slots,
        in_flight=in_flight,
        trackers=trackers,
    )
    return container


def _event_subscribers(settings: Settings, trackers: TrackerSetup | None) -> list[str]:
    """The queue kinds each integration event is queued for (``SqlUnitOfWork.enqueue_event``);
    each kind's handler is listed in ``bot.queue_kinds``. A subscriber is one line here."""
    subscribers = {
        WEBHOOK: bool(settings.intake_webhook_url and settings.intake_webhook_secret),
        TRACKER: trackers is not None,
    }
    return [kind for kind, wanted in subscribers.items() if wanted]


def _assistant(
    settings: Settings, db_engine: Engine, clock: Clock, work_slots: WorkSlots
) -> tuple[Assistant, Embedder | None, LlmGateway | None]:
    """The rule assistant, or the OpenAI one (with rules behind it) when an LLM is configured.
    One gateway per process: the assistant and the embedder share its breaker and budgets."""
    if not settings.llm_enabled:
        return RuleAssistant(), None, None
    # Imported only with a model configured: the openai package takes a second to import, and
    # every CLI command and the rule-engine default would pay it at start.
    from llm import LlmConfig, LlmGateway, OpenAIAssistant, OpenAIEmbedder
    from llm.ledger import BufferedTokenLedger

    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "unused"
    config = LlmConfig(
        api_key=key,  # local OpenAI-compatible servers take any key
        base_url=settings.openai_base_url,
        model=settings.intake_llm_model,
        embedding_model=settings.intake_llm_embedding_model,
        timeout_s=settings.intake_llm_timeout,
        per_ask_tokens=settings.intake_llm_tokens_per_ask,
        per_day_tokens=settings.intake_llm_tokens_per_day,
        usd_per_1m_input=settings.intake_llm_usd_per_1m_input,
        usd_per_1m_output=settings.intake_llm_usd_per_1m_output,
    )
    gateway = LlmGateway(
        config,
        BufferedTokenLedger(SqlTokenLedger(db_engine)),
        wall_clock=clock,
        waiting=work_slots.waiting,
    )
    where = settings.openai_base_url or "the OpenAI API"
    log.info("LLM assistant: model %s at %s", config.model, where)
    return OpenAIAssistant(gateway), OpenAIEmbedder(gateway), gateway


def _require_current_schema(db_engine: Engine) -> None:
    current, head = db.current_revision(db_engine), db.head_revision()
    if current != head:
        raise ConfigError(
            f"The database schema is at {current or 'nothing'} but this version needs {head}. "
            "Run `intake-bot db upgrade` first."
        )
