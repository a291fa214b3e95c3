"""People (``people``): each person's IANA time zone as Slack gave it, when it was fetched,
and until when they snoozed nudges. Functions take the caller's ``Session`` and join its
transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from storage.models import PersonRow
from storage.statements import dialect_insert, from_row, require_aware

_PEOPLE = cast(Table, PersonRow.__table__)


@dataclass
class Person:
    """What is kept about a person: their IANA time zone as Slack gave it (``tz``, None when
    unknown) and when it was fetched, and until when they snoozed nudges."""

    team_id: str
    user_id: str
    tz: str | None = None
    tz_fetched_at: datetime | None = None
    snoozed_until: datetime | None = None


def get_person(session: Session, team_id: str, user_id: str) -> Person | None:
    row = session.execute(
        select(_PEOPLE).where(_PEOPLE.c.team_id == team_id, _PEOPLE.c.user_id == user_id)
    ).one_or_none()
    if row is None:
        return None
    return from_row(Person, row)


def save_person(session: Session, person: Person, at: datetime | None = None) -> None:
    """Insert or replace the person (``updated_at`` is ``at``, by default now), in the
    session's transaction. The last writer wins."""
    updated_at = at if at is not None else datetime.now(UTC)
    require_aware(updated_at)
    values = {
        "tz": person.tz,
        "tz_fetched_at": person.tz_fetched_at,
        "snoozed_until": person.snoozed_until,
        "updated_at": updated_at,
    }
    statement = dialect_insert(session, _PEOPLE).values(
        team_id=person.team_id, user_id=person.user_id, **values
    )
    session.execute(
        statement.on_conflict_do_update(index_elements=["team_id", "user_id"], set_=values)
    )


__all__ = ["Person", "get_person", "save_person"]
