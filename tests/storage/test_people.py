"""People (storage.people): time zones and snoozes kept per workspace, on SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import StatementError

from storage.db import transaction
from storage.people import Person, get_person, save_person
from tests.storage.slack_messages import T0
from tests.storage.threads import in_numbered_threads


def test_people_round_trip(engine: Engine) -> None:
    with transaction(engine) as session:
        assert get_person(session, "T1", "U1") is None
        save_person(session, Person("T1", "U1"), at=T0)
        assert get_person(session, "T1", "U1") == Person("T1", "U1")

    tokyo = timezone(timedelta(hours=9))
    person = Person(
        team_id="T1",
        user_id="U1",
        tz="Asia/Tokyo",
        tz_fetched_at=datetime(2026, 11, 23, 17, 0, tzinfo=tokyo),
        snoozed_until=datetime(2026, 11, 30, 9, 0, tzinfo=tokyo),
    )
    with transaction(engine) as session:
        save_person(session, person)  # replaces
        save_person(session, Person("T2", "U1", tz="Europe/Berlin"), at=T0)  # another workspace
    with transaction(engine) as session:
        loaded = get_person(session, "T1", "U1")
        other = get_person(session, "T2", "U1")
    assert loaded == person
    assert loaded is not None and loaded.tz_fetched_at == T0
    assert loaded.tz_fetched_at is not None and loaded.tz_fetched_at.utcoffset() == timedelta(0)
    assert loaded.snoozed_until == datetime(2026, 11, 30, 0, 0, tzinfo=UTC)
    assert other == Person("T2", "U1", tz="Europe/Berlin")

    with transaction(engine) as session:  # un-snooze
        save_person(session, Person("T1", "U1", tz="Asia/Tokyo", tz_fetched_at=T0), at=T0)
    with transaction(engine) as session:
        again = get_person(session, "T1", "U1")
    assert again is not None and again.snoozed_until is None and again.tz == "Asia/Tokyo"

    with pytest.raises((StatementError, ValueError)), transaction(engine) as session:
        save_person(session, Person("T1", "U2", snoozed_until=datetime(2026, 12, 1)))
    with transaction(engine) as session:
        assert get_person(session, "T1", "U2") is None


def test_saving_a_person_from_8_threads(engine: Engine) -> None:
    def save(n: int) -> None:
        with transaction(engine) as session:
            save_person(session, Person("T1", "U1", tz=f"Etc/GMT+{n}"), at=T0)

    in_numbered_threads(8, save)
    with transaction(engine) as session:
        person = get_person(session, "T1", "U1")
    assert person is not None and person.tz in {f"Etc/GMT+{n}" for n in range(8)}
