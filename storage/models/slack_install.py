"""The tables of slack_sdk's installation and OAuth state stores, mirrored column for column."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, Column, DateTime, Index, Integer, String, Table, func

from storage.models.columns import Base

# -- multi-workspace install (SLACK_CLIENT_ID / SLACK_CLIENT_SECRET) ------------------------------
#
# The tables of slack_sdk's SQLAlchemyInstallationStore and SQLAlchemyOAuthStateStore
# (slack_sdk/oauth/installation_store/sqlalchemy and .../state_store/sqlalchemy), which read and
# write them through their own Table objects. Mirrored here column for column (names, types,
# lengths, nullability, index) so that migration 0005 creates them and the drift test covers
# them; tests/multiworkspace/test_stores.py checks the mirror against slack_sdk's definitions.
# storage does not import slack_sdk (one-way layers), hence the copy. Unlike the rest of the
# schema their times are naive UTC (``timestamp without time zone``): slack_sdk writes them so.


def _app_and_enterprise() -> list[Column[Any]]:
    """The first columns of both tables: the row, the app and the Enterprise Grid org."""
    return [
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("client_id", String(32), nullable=False),
        Column("app_id", String(32), nullable=False),
        Column("enterprise_id", String(32)),
        Column("enterprise_name", String(200)),
    ]


def _team_and_bot() -> list[Column[Any]]:
    """The workspace and its bot token, in both tables (new objects: a column has one table)."""
    return [
        Column("team_id", String(32)),
        Column("team_name", String(200)),
        Column("bot_token", String(200)),
        Column("bot_id", String(32)),
        Column("bot_user_id", String(32)),
        Column("bot_scopes", String(1000)),
        Column("bot_refresh_token", String(200)),
        Column("bot_token_expires_at", DateTime),
    ]


SLACK_INSTALLATIONS = Table(
    "slack_installations",
    Base.metadata,
    *_app_and_enterprise(),
    Column("enterprise_url", String(200)),
    *_team_and_bot(),
    Column("user_id", String(32), nullable=False),
    Column("user_token", String(200)),
    Column("user_scopes", String(1000)),
    Column("user_refresh_token", String(200)),
    Column("user_token_expires_at", DateTime),
    Column("incoming_webhook_url", String(200)),
    Column("incoming_webhook_channel", String(200)),
    Column("incoming_webhook_channel_id", String(200)),
    Column("incoming_webhook_configuration_url", String(200)),
    Column("is_enterprise_install", Boolean, default=False, nullable=False),
    Column("token_type", String(32)),
    Column("installed_at", DateTime, nullable=False, default=func.now()),
    Index(
        "slack_installations_idx",
        "client_id",
        "enterprise_id",
        "team_id",
        "user_id",
        "installed_at",
    ),
)

SLACK_BOTS = Table(
    "slack_bots",
    Base.metadata,
    *_app_and_enterprise(),
    *_team_and_bot(),
    Column("is_enterprise_install", Boolean, default=False, nullable=False),
    Column("installed_at", DateTime, nullable=False, default=func.now()),
    Index("slack_bots_idx", "client_id", "enterprise_id", "team_id", "installed_at"),
)

SLACK_OAUTH_STATES = Table(
    "slack_oauth_states",
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("state", String(200), nullable=False),
    Column("expire_at", DateTime, nullable=False),
)
