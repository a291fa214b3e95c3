"""How many asks are in each status, of one workspace or of all: one ``GROUP BY`` instead of
loading the asks (a Home tab, ``bot.home``; the ``intake_asks`` gauge of /metrics)."""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from storage.models import AskRow


def by_status(
    connection: Connection, team_id: str | None = None, requester: str | None = None
) -> dict[str, int]:
    """``{status: count}`` of the statuses that have asks (``team_id``'s only, and
    ``requester``'s only, when given)."""
    query = select(AskRow.status, func.count()).group_by(AskRow.status)
    if team_id is not None:
        query = query.where(AskRow.team_id == team_id)
    if requester is not None:
        query = query.where(AskRow.requester == requester)
    return {str(status): int(count) for status, count in connection.execute(query)}
