"""slack_sdk's SQLAlchemy installation and OAuth state stores on the project's migrated
database (SQLite and PostgreSQL): the tables migration 0005 creates are the ones the stores
define, and the stores work on them without ``create_tables()``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine, MetaData, Table, inspect

from storage.installations import installed_workspace
from storage.models import SLACK_BOTS, SLACK_INSTALLATIONS, SLACK_OAUTH_STATES

CLIENT_ID = "1111111111.2222222222"


def shape(table: Table) -> dict[str, object]:
    return {
        "columns": [
            (
                c.name,
                type(c.type).__name__,
                getattr(c.type, "length", None),
                c.nullable,
                c.primary_key,
            )
            for c in table.columns
        ],
        "indexes": sorted((i.name, tuple(c.name for c in i.columns)) for i in table.indexes),
    }


@pytest.mark.parametrize(
    ("ours", "build"),
    [
        (SLACK_INSTALLATIONS, SQLAlchemyInstallationStore.build_installations_table),
        (SLACK_BOTS, SQLAlchemyInstallationStore.build_bots_table),
        (SLACK_OAUTH_STATES, SQLAlchemyOAuthStateStore.build_oauth_states_table),
    ],
    ids=lambda value: getattr(value, "name", ""),
)
def test_our_tables_are_slack_sdks(ours: Table, build: object) -> None:
    theirs = build(MetaData(), ours.name)  # type: ignore[operator]
    assert shape(ours) == shape(theirs)


def test_the_migrated_database_has_the_stores_tables(engine: Engine) -> None:
    found = inspect(engine)
    for table in (SLACK_INSTALLATIONS, SLACK_BOTS, SLACK_OAUTH_STATES):
        columns = {c["name"]: c for c in found.get_columns(table.name)}
        assert list(columns) == [c.name for c in table.columns]
        for column in table.columns:
            assert columns[column.name]["nullable"] == column.nullable, column


def installation(team_id: str, token: str, *, enterprise_id: str | None = None) -> Installation:
    return Installation(
        app_id="A0MULTI",
        enterprise_id=enterprise_id,
        team_id=team_id,
        team_name=f"Team {team_id}",
        bot_token=token,
        bot_id=f"B{team_id}",
        bot_user_id=f"U{team_id}",
        bot_scopes="chat:write,commands",
        user_id="W0ADMIN",
        token_type="bot",
    )


def test_the_installation_store_works_on_the_migrated_database(engine: Engine) -> None:
    store = SQLAlchemyInstallationStore(client_id=CLIENT_ID, engine=engine)
    store.save(installation("T1", "xoxb-one"))
    store.save(installation("T2", "xoxb-two-old"))
    later = installation("T2", "xoxb-two-new")
    later.installed_at = (datetime.now(UTC) + timedelta(seconds=5)).timestamp()
    store.save(later)  # reinstalled: the newest token wins
    store.save(installation("T3", "xoxb-three", enterprise_id="E1"))

    found = store.find_installation(enterprise_id=None, team_id="T1")
    assert found is not None and found.bot_token == "xoxb-one"
    bot = store.find_bot(enterprise_id=None, team_id="T2")
    assert bot is not None and bot.bot_token == "xoxb-two-new"
    assert store.find_bot(enterprise_id=None, team_id="T9") is None
    other_app = SQLAlchemyInstallationStore(client_id="9.9", engine=engine)
    assert other_app.find_bot(enterprise_id=None, team_id="T1") is None

    # Asks know only their team: the org of a Grid workspace is looked up for find_bot.
    grid = installed_workspace(engine, CLIENT_ID, "T3")
    assert grid is not None and grid.enterprise_id == "E1"
    bot = store.find_bot(enterprise_id=grid.enterprise_id, team_id="T3")
    assert bot is not None and bot.bot_token == "xoxb-three"
    assert installed_workspace(engine, CLIENT_ID, "T9") is None
    assert installed_workspace(engine, "9.9", "T1") is None

    store.delete_installation(enterprise_id=None, team_id="T1")
    store.delete_bot(enterprise_id=None, team_id="T1")
    assert store.find_installation(enterprise_id=None, team_id="T1") is None
    assert installed_workspace(engine, CLIENT_ID, "T1") is None


def test_the_state_store_works_on_the_migrated_database(engine: Engine) -> None:
    states = SQLAlchemyOAuthStateStore(expiration_seconds=600, engine=engine)
    state = states.issue()
    assert states.consume(state) is True
    assert states.consume(state) is False, "a state is used once"
    assert states.consume("never-issued") is False
    expired = SQLAlchemyOAuthStateStore(expiration_seconds=-1, engine=engine)
    assert expired.consume(expired.issue()) is False
