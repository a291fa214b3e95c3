"""The tracker issue of each accepted ask and its milestones' sub-items (``tracker_links``).

Exactly once, with ``bot.tracker_sync``: ``prepare`` writes the idempotency keys and commits
**before** the tracker is called; ``record`` writes what the tracker answered. A worker that
dies in between leaves the keys; the next attempt passes the same keys, and the adapter finds
what was created by them (``intake.tracker.Tracker.ensure_issue``).

Sub-items are named for good: a milestone without a row gets the next free suffix ("m3"),
and ``match`` pairs the plan's milestones with the rows by title, in order (milestones are
known by their title, as their buttons are), so a milestone removed or added never moves a
sub-item onto another milestone. Every function takes the caller's session (its transaction).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Engine, Table, select, update
from sqlalchemy.orm import Session

from intake.tracker import TrackerKind, TrackerRef, sub_item_key
from storage.db import transaction
from storage.models import AskRow, TrackerLinkRow
from storage.models.trackers import ISSUE
from storage.statements import dialect_insert, inserted, require_aware

_LINKS = cast(Table, TrackerLinkRow.__table__)


@dataclass(frozen=True)
class Link:
    """The issue's row (``suffix`` "") or a sub-item's; ``ref`` None: not created yet (as
    far as we know)."""

    suffix: str
    title: str
    issue_key: str
    ref: TrackerRef | None
    announced: bool = False
    refused: str | None = None


@dataclass(frozen=True)
class Links:
    ask_id: int
    team_id: str
    tracker: TrackerKind
    project: str
    issue: Link
    subs: tuple[Link, ...] = ()


def _link(row: TrackerLinkRow) -> Link:
    ref = None
    if row.ref_key is not None:
        ref = TrackerRef(
            kind=TrackerKind(row.tracker),
            project=row.project,
            key=row.ref_key,
            id=row.ref_id or "",
            url=row.url or "",
        )
    return Link(
        row.suffix, row.title, row.issue_key, ref, row.announced_at is not None, row.refused
    )


def links_of(session: Session, ask_id: int) -> Links | None:
    """The ask's links; None when it never went to a tracker."""
    rows = list(
        session.scalars(
            select(TrackerLinkRow)
            .where(TrackerLinkRow.ask_id == ask_id)
            .order_by(TrackerLinkRow.id)
        )
    )
    issue = next((r for r in rows if r.suffix == ISSUE), None)
    if issue is None:
        return None
    return Links(
        ask_id=ask_id,
        team_id=issue.team_id,
        tracker=TrackerKind(issue.tracker),
        project=issue.project,
        issue=_link(issue),
        subs=tuple(_link(r) for r in rows if r.suffix != ISSUE),
    )


def read_links(engine: Engine, ask_id: int) -> Links | None:
    """``links_of`` in a transaction of its own."""
    with transaction(engine) as session:
        return links_of(session, ask_id)


def prepare(
    session: Session,
    *,
    ask_id: int,
    team_id: str,
    tracker: TrackerKind,
    project: str,
    issue_key: str,
    title: str,
    milestones: Sequence[str],
    at: datetime,
    known: Links | None = None,
) -> Links:
    """The ask's links with a row for the issue and for every milestone (by title), written
    now where missing. An issue row written before keeps its tracker, project and key (the
    ask stays where it went, whatever the routes say since). ``known``: the links the caller
    read in this transaction, so they are not read again (nothing written: returned as is)."""
    require_aware(at)
    links = known
    if links is None:
        _insert(session, ask_id, team_id, ISSUE, title, tracker.value, project, issue_key, at)
        links = links_of(session, ask_id)
        assert links is not None
    taken = [int(s.suffix[1:]) for s in links.subs if s.suffix[1:].isdigit()]
    number = max(taken, default=0)
    paired = match(milestones, links.subs)
    if len(paired) == len(milestones):
        return links
    for index, milestone in enumerate(milestones):
        if index in paired:
            continue
        number += 1
        suffix = f"m{number}"
        key = sub_item_key(links.issue.issue_key, suffix)
        _insert(
            session, ask_id, team_id, suffix, milestone, links.tracker.value, links.project, key, at
        )
    found = links_of(session, ask_id)
    assert found is not None
    return found


def _insert(
    session: Session,
    ask_id: int,
    team_id: str,
    suffix: str,
    title: str,
    tracker: str,
    project: str,
    issue_key: str,
    at: datetime,
) -> bool:
    statement = dialect_insert(session, _LINKS).values(
        team_id=team_id,
        ask_id=ask_id,
        suffix=suffix,
        title=title,
        tracker=tracker,
        project=project,
        issue_key=issue_key,
        created_at=at,
    )
    return inserted(session, statement.on_conflict_do_nothing(index_elements=["ask_id", "suffix"]))


def match(milestones: Sequence[str], subs: Sequence[Link]) -> dict[int, Link]:
    """Milestone index -> its sub-item: the first unpaired row with the milestone's title."""
    free = list(subs)
    paired: dict[int, Link] = {}
    for index, title in enumerate(milestones):
        found = next((s for s in free if s.title == title), None)
        if found is not None:
            paired[index] = found
            free.remove(found)
    return paired


def record(session: Session, ask_id: int, suffix: str, ref: TrackerRef, at: datetime) -> None:
    """What the tracker answered for the ask's issue (``suffix`` "") or a sub-item."""
    require_aware(at)
    session.execute(
        update(_LINKS)
        .where(_LINKS.c.ask_id == ask_id, _LINKS.c.suffix == suffix)
        .values(
            ref_key=ref.key, ref_id=ref.id, url=ref.url, label=ref.label, linked_at=at, refused=None
        )
    )


def refuse(session: Session, ask_id: int, reason: str) -> None:
    """The tracker refused the ask's issue: why, for the leads (cleared by ``record``)."""
    session.execute(
        update(_LINKS)
        .where(_LINKS.c.ask_id == ask_id, _LINKS.c.suffix == ISSUE)
        .values(refused=reason[:1000])
    )


def announce(session: Session, ask_id: int, at: datetime) -> bool:
    """Mark the issue's link as posted in the requester's thread; False when it was."""
    require_aware(at)
    result = session.execute(
        update(_LINKS)
        .where(
            _LINKS.c.ask_id == ask_id,
            _LINKS.c.suffix == ISSUE,
            _LINKS.c.announced_at.is_(None),
        )
        .values(announced_at=at)
        .execution_options(preserve_rowcount=True)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def ask_of_key(session: Session, issue_key: str) -> tuple[int, str] | None:
    """``(ask id, workspace)`` of the ask whose issue has this idempotency key."""
    row = session.execute(
        select(TrackerLinkRow.ask_id, TrackerLinkRow.team_id).where(
            TrackerLinkRow.issue_key == issue_key, TrackerLinkRow.suffix == ISSUE
        )
    ).first()
    return (int(row[0]), str(row[1])) if row is not None else None


def linked_asks(session: Session, statuses: Sequence[str]) -> list[tuple[int, str]]:
    """``(ask id, workspace)`` of every ask in ``statuses`` that went to a tracker (its
    issue created, or still to be: a refused one is tried again)."""
    rows = session.execute(
        select(TrackerLinkRow.ask_id, TrackerLinkRow.team_id)
        .join(AskRow, AskRow.id == TrackerLinkRow.ask_id)
        .where(TrackerLinkRow.suffix == ISSUE, AskRow.status.in_(list(statuses)))
        .order_by(TrackerLinkRow.ask_id)
    )
    return [(int(ask_id), str(team)) for ask_id, team in rows]
