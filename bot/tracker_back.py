"""Back-sync (issue 19): what people do in the tracker moves the ask in Slack.

Two ways in, one way to apply:

* a webhook delivery (``bot.tracker_http``) is queued as ``tracker.change`` items, one per
  change, keyed by the delivery so a redelivery queues nothing;
* the reconcile (``queue_reconcile``, from the follow-through scheduler, claimed once an hour
  across replicas) queues a ``tracker.reconcile`` item per open linked ask, which fetches the
  issue and its sub-items and applies the closes a webhook missed (and creates the sub-items
  of milestones added since).

Each is ordered with the ask's other tracker work (order key ``tracker:ask:<id>``) and
applied through the domain services as the tracker ("GitHub", "Jira": a lead's rights):

* a sub-item closed -> its milestone done (all done: the requester is asked to confirm);
  reopened -> the milestone back on track;
* the issue closed -> the ask done; reopened -> the ask reopened;
* the issue (re)assigned -> the ask's owner, found by e-mail in Slack (users.lookupByEmail).

The requester's thread says what happened and where. A change that is already true in Slack
is ignored: that is what the bot's own closes come back as (``bot.tracker_sync`` closes an
issue when the ask is completed in Slack), so nothing loops.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, Final

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine

from bot.announcer import post_to_requester
from bot.blocks.tracker import NAMES
from bot.runner import Kind
from bot.tracker_setup import TRACKER, TRACKER_CHANGE, TRACKER_RECONCILE
from bot.tracker_sync import WORKING, TrackerSync, warn_lookup_failed
from intake.conversation import Conversation
from intake.lifecycle import Refusal
from intake.milestone_service import MilestoneUpdate
from intake.milestones import MilestoneRefusal
from intake.service import NotFound
from intake.ticket import MilestoneStatus, Status
from intake.tracker import (
    ChangeKind,
    ItemState,
    TrackerChange,
    TrackerError,
    TrackerKind,
    TrackerRef,
)
from storage import job_runs, queue, tracker_links
from storage.db import transaction
from storage.tracker_links import Links

log = logging.getLogger(__name__)

RECONCILE_JOB: Final = "tracker_reconcile"


def order_key(ask_id: int) -> str:
    """The ask's tracker work runs one item at a time, in order (the events' order key)."""
    return f"{TRACKER}:ask:{ask_id}"


# -- queuing -----------------------------------------------------------------------------------


def change_payload(ask_id: int, change: TrackerChange) -> dict[str, Any]:
    ref = change.ref
    return {
        "ask_id": ask_id,
        "kind": change.kind.value,
        "ref": {
            "kind": ref.kind.value,
            "project": ref.project,
            "key": ref.key,
            "id": ref.id,
            "url": ref.url,
        },
        "issue_key": change.issue_key,
        "suffix": change.suffix,
        "assignee": change.assignee,
        "assignee_email": change.assignee_email,
        "actor": change.actor,
    }


def change_of(payload: dict[str, Any]) -> TrackerChange:
    ref = payload["ref"]
    return TrackerChange(
        kind=ChangeKind(payload["kind"]),
        ref=TrackerRef(TrackerKind(ref["kind"]), ref["project"], ref["key"], ref["id"], ref["url"]),
        issue_key=payload.get("issue_key"),
        suffix=payload.get("suffix"),
        assignee=payload.get("assignee"),
        assignee_email=payload.get("assignee_email"),
        actor=str(payload.get("actor") or ""),
    )


def queue_changes(engine: Engine, changes: list[TrackerChange], delivery: str, at: datetime) -> int:
    """Queue the changes of one delivery that concern our asks; how many were queued (0 for
    a redelivery, or changes to issues this install does not know)."""
    queued = 0
    with transaction(engine) as session:
        for number, change in enumerate(changes):
            found = tracker_links.ask_of_key(session, change.issue_key or "")
            if found is None:
                continue
            ask_id, team_id = found
            queued += queue.enqueue(
                session,
                TRACKER_CHANGE,
                change_payload(ask_id, change),
                at=at,
                key=f"{TRACKER_CHANGE}:{delivery}:{number}"[:200],
                order_key=order_key(ask_id),
                team_id=team_id,
            )
    return queued


def queue_reconcile(engine: Engine, now: datetime, replica: str) -> int:
    """Once an hour across replicas: a reconcile item for every open ask that went to a
    tracker. How many were queued (0 when another replica claimed this hour)."""
    period = now.strftime("%Y-%m-%dT%H")
    with transaction(engine) as session:
        if not job_runs.claim_run(session, RECONCILE_JOB, period, replica, now):
            return 0
        asks = tracker_links.linked_asks(session, [s.value for s in WORKING])
        for ask_id, team_id in asks:
            queue.enqueue(
                session,
                TRACKER_RECONCILE,
                {"ask_id": ask_id},
                at=now,
                key=f"{TRACKER_RECONCILE}:{ask_id}:{period}",
                order_key=order_key(ask_id),
                team_id=team_id,
            )
        job_runs.finish_run(session, RECONCILE_JOB, period, now)
    if asks:
        log.info("tracker reconcile queued for %d asks", len(asks))
    return len(asks)


# -- applying ----------------------------------------------------------------------------------


class BackSync:
    def __init__(self, sync: TrackerSync) -> None:
        self.sync = sync
        self.container = sync.container

    def on_change(self, item: queue.Item) -> dict[str, Any]:
        return self.apply(int(item.payload["ask_id"]), change_of(item.payload))

    def on_reconcile(self, item: queue.Item) -> dict[str, Any]:
        """The issue as the tracker has it now; closes that Slack does not know yet are
        applied (a reopen is left to the webhook: an issue the bot failed to close must not
        reopen the ask)."""
        ask_id = int(item.payload["ask_id"])
        conversation = self._ask(ask_id)
        if conversation is None or conversation.ticket.status not in WORKING:
            return {"skipped": "not open"}
        # Milestones added since get their sub-items.
        links = self.sync.ensure_links(conversation)
        if links is None or links.issue.ref is None:
            return {"skipped": "not linked"}
        try:
            state = self.sync.adapter(links).fetch(links.issue.ref)
        except TrackerError as error:
            self.sync.failed(conversation, links, error, "fetch", links.issue.ref)
        applied = []
        for sub in state.sub_items:
            if sub.closed and sub.suffix:
                applied.append(self.apply(ask_id, _closed(links, sub, sub.suffix)))
        if state.issue.closed:
            applied.append(self.apply(ask_id, _closed(links, state.issue, None)))
        return {"applied": [a for a in applied if "ignored" not in a]}

    def apply(self, ask_id: int, change: TrackerChange) -> dict[str, Any]:
        conversation = self._ask(ask_id)
        links = tracker_links.read_links(self.sync.engine, ask_id)
        if conversation is None or links is None:
            return {"ignored": "no such ask"}
        where = NAMES.get(links.tracker.value, links.tracker.value)
        try:
            if change.suffix is not None:
                return self._milestone(conversation, links, change, where)
            return self._issue(conversation, change, where)
        except (Refusal, MilestoneRefusal) as refusal:
            log.info("tracker change to %s not applied: %s", conversation.ticket.key, refusal)
            return {"ignored": str(refusal)}

    def _milestone(
        self, conversation: Conversation, links: Links, change: TrackerChange, where: str
    ) -> dict[str, Any]:
        ticket = conversation.ticket
        assert ticket.id is not None
        titles = [m.title for m in ticket.milestones]
        index = next(
            (
                i
                for i, link in tracker_links.match(titles, links.subs).items()
                if link.suffix == change.suffix
            ),
            None,
        )
        if index is None or change.kind not in (ChangeKind.CLOSED, ChangeKind.REOPENED):
            return {"ignored": "not a milestone of the plan, or not a status"}
        milestone = ticket.milestones[index]
        done = milestone.status is MilestoneStatus.DONE
        if (change.kind is ChangeKind.CLOSED) == done:
            return {"ignored": "already so"}
        status = (
            MilestoneStatus.DONE if change.kind is ChangeKind.CLOSED else MilestoneStatus.ON_TRACK
        )
        verb = "Closed" if change.kind is ChangeKind.CLOSED else "Reopened"
        by = f" by {change.actor}" if change.actor else ""
        update = self.container.milestones.update_status(
            ask_id=ticket.id,
            index=index,
            status=status,
            actor=where,  # the tracker: bot.tracker_sync.TRACKER_ACTORS (not sent back)
            is_lead=True,
            reason=f"{verb.lower()} in {where}{by}",
        )
        state = "is done" if status is MilestoneStatus.DONE else "is back on track"
        note = f"{verb} in {where}{by}: milestone {index + 1} “{milestone.title}” {state}"
        self._after_milestone(update, note)
        return {"milestone": index + 1, "status": status.value}

    def _after_milestone(self, update: MilestoneUpdate, note: str) -> None:
        client = self.sync.clients.for_team(update.conversation.ticket.team_id)
        if client is not None:
            self.sync.announcer.milestone_changed(client, update, {"text": note})

    def _issue(
        self, conversation: Conversation, change: TrackerChange, where: str
    ) -> dict[str, Any]:
        ticket = conversation.ticket
        assert ticket.id is not None
        review = self.container.review
        by = f" by {change.actor}" if change.actor else ""
        client = self.sync.clients.for_team(ticket.team_id)
        if change.kind is ChangeKind.CLOSED:
            if ticket.status not in WORKING:
                return {"ignored": "already so"}
            decision = review.complete(ask_id=ticket.id, actor=where, is_lead=True)
            note = f"Closed in {where}{by}: {ticket.key} is done"
        elif change.kind is ChangeKind.REOPENED:
            if ticket.status is not Status.DONE:
                return {"ignored": "already so"}
            decision = review.reopen(
                ask_id=ticket.id, actor=where, is_lead=True, reason=f"reopened in {where}{by}"
            )
            note = f"Reopened in {where}{by}: {ticket.key} is back in progress"
        elif change.kind is ChangeKind.ASSIGNED:
            owner = user_by_email(client, self._email(change))
            if owner is None or owner == ticket.owner:
                return {"ignored": "no Slack user for the assignee, or the owner already"}
            decision = review.assign(ask_id=ticket.id, actor=where, is_lead=True, owner=owner)
            note = f"Assigned in {where}{by}: <@{owner}> owns {ticket.key} now"
        else:
            return {"ignored": "unassigned"}
        if client is not None:  # the note says it in the thread, naming who did it there
            self.sync.announcer.decided(client, decision, tell_requester=False)
            post_to_requester(client, decision.conversation, {"text": note})
        return {"ask": decision.ticket.status.value}

    def _email(self, change: TrackerChange) -> str | None:
        """The assignee's e-mail: as the tracker said it, or from the GitHub section's
        ``assignees`` (e-mail -> login) when GitHub keeps it private."""
        github = self.sync.setup.config.github
        if change.assignee_email or github is None or not change.assignee:
            return change.assignee_email
        login = change.assignee.lower()
        return next((e for e, who in github.assignees.items() if who.lower() == login), None)

    def _ask(self, ask_id: int) -> Conversation | None:
        try:
            return self.container.intake.get(ask_id)
        except NotFound:
            return None


def _closed(links: Links, item: ItemState, suffix: str | None) -> TrackerChange:
    return TrackerChange(ChangeKind.CLOSED, item.ref, links.issue.issue_key, suffix=suffix)


def user_by_email(client: WebClient | None, email: str | None) -> str | None:
    """The Slack user with this e-mail (users.lookupByEmail), or None."""
    if client is None or not email:
        return None
    try:
        return str(client.users_lookupByEmail(email=email)["user"]["id"])
    except SlackApiError as error:
        warn_lookup_failed("users.lookupByEmail", error)
        return None


def reconcile_for(container: Any, replica: str) -> Callable[[], int] | None:
    """The scheduler's reconcile job (None without trackers): queue this hour's items and
    wake the runner."""
    if container.trackers is None:
        return None

    def reconcile() -> int:
        queued = queue_reconcile(container.db_engine, container.clock.now(), replica)
        if queued:
            container.notify_queue()
        return queued

    return reconcile


def tracker_kinds(container: Any, clients: Any) -> dict[str, Kind]:
    """The three tracker kinds when INTAKE_TRACKERS_FILE is set (for ``bot.queue_kinds``)."""
    if container.trackers is None:
        return {}
    sync = TrackerSync(container, clients)
    back = BackSync(sync)
    return {
        TRACKER: Kind(sync.on_event),
        TRACKER_CHANGE: Kind(back.on_change),
        TRACKER_RECONCILE: Kind(back.on_reconcile, threads=2),
    }
