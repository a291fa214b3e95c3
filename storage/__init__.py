"""Persistence for Platform Intake: SQLAlchemy implementations of ``intake.ports``.

Wiring::

    engine = make_engine(settings.database_url)  # sqlite:///..., postgres(ql)://...
    upgrade(engine)  # run the shipped Alembic migrations (idempotent)
    uow_factory = SqlUnitOfWorkFactory(engine)  # an intake.ports.UnitOfWorkFactory

``ConcurrentUpdate`` is raised by ``save()`` / ``commit()`` when another transaction changed
the ask since it was read: abandon the unit of work and redo the use case.

Background work has its own modules: ``storage.queue`` (the durable queue: webhook events
and more), ``storage.job_runs`` (scheduled job runs claimed once), ``storage.slack_outbox``
(the outbox of Slack messages), ``storage.people`` (people's time zones and snoozes) and
``storage.pace`` (Web API pacing shared by replicas).
"""

from intake.ports import ConcurrentUpdate
from storage.db import (
    current_revision,
    downgrade,
    head_revision,
    make_engine,
    normalise_url,
    ping,
    session_factory,
    upgrade,
)
from storage.errors import UpgradeRefused
from storage.repository import AskNotFound, SqlAskRepository
from storage.uow import SqlUnitOfWork, SqlUnitOfWorkFactory

__all__ = [
    "AskNotFound",
    "ConcurrentUpdate",
    "SqlAskRepository",
    "SqlUnitOfWork",
    "SqlUnitOfWorkFactory",
    "UpgradeRefused",
    "current_revision",
    "downgrade",
    "head_revision",
    "make_engine",
    "normalise_url",
    "ping",
    "session_factory",
    "upgrade",
]
