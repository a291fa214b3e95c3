"""Which workspaces the app is installed in (multi-workspace mode).

The installation tables belong to slack_sdk's SQLAlchemy installation store, which reads and
writes them (``bot.oauth``); this module only answers the one question the store cannot: the
enterprise (Enterprise Grid org) of a workspace, which ``find_bot`` needs besides the team ID,
while stored asks know only their team.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, select

from storage.models import SLACK_BOTS


@dataclass(frozen=True)
class Workspace:
    team_id: str
    enterprise_id: str | None  # its Enterprise Grid org, None outside one


def installed_workspace(engine: Engine, client_id: str, team_id: str) -> Workspace | None:
    """The workspace ``team_id`` as the app ``client_id`` was last installed in it (with a bot
    token); None when it never was."""
    bots = SLACK_BOTS.c
    query = (
        select(bots.enterprise_id)
        .where(
            bots.client_id == client_id,
            bots.team_id == team_id,
            bots.bot_token.is_not(None),
        )
        .order_by(bots.installed_at.desc(), bots.id.desc())
        .limit(1)
    )
    with engine.connect() as connection:
        row = connection.execute(query).first()
    return Workspace(team_id, row.enterprise_id) if row is not None else None
