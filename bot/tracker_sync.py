"""Accepted asks become tracker issues, exactly once (issue 19): the handler of the queue's
``tracker`` items, one per status change of an ask (``SqlUnitOfWork.enqueue_event`` fans
every integration event out to it when INTAKE_TRACKERS_FILE is set), in order per ask.

While the ask is accepted or in progress, each event *ensures* the issue:

1. ``storage.tracker_links.prepare`` writes the ask's idempotency key (``intake-T123-42``)
   and a key per milestone without one (``intake-T123-42.m3``), and **commits**;
2. the tracker's ``ensure_issue`` finds what carries those keys and creates only what is
   missing (``intake.tracker``);
3. what it answered is recorded; the first time, the link is posted in the requester's
   thread and every message showing the ask (the review card) is drawn again.

A worker killed between 2 and 3 leaves the keys of 1: the next attempt (the queue hands the
item out again, ``in_doubt``) passes the same keys and gets the same issue back. One attempt
creates at most ``BATCH`` sub-items, so it stays well inside the queue's lease; the rest come
in the next attempt, 5 s later (``Retry(after=5)``: Jira's search may lag that much).

Errors: rate limited -> ``Retry`` after the tracker's wait; unreachable -> ``Retry`` with
backoff; refused (bad token, no such project) -> ``GiveUp``, a note for the leads under the
review card, a log line and ``intake_tracker_failures_total``. Each is counted there by
tracker and reason.

An ask completed (or reopened) in Slack closes (reopens) its issue, unless the change came
from the tracker itself (``bot.tracker_back`` acts as the tracker: ``TRACKER_ACTORS``).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Final, NoReturn

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.announcer import Announcer, post_to_requester
from bot.blocks.tracker import NAMES, link_markup, where_tracked
from bot.oauth import TeamClients
from bot.observability.metrics import count_tracker_failure
from bot.refresh import views_for
from bot.runner import GiveUp, Retry
from intake import events
from intake.conversation import Conversation
from intake.ticket import MilestoneStatus, Status, TrackerLink
from intake.tracker import (
    Tracker,
    TrackerError,
    TrackerRateLimited,
    TrackerRef,
    TrackerRejected,
    issue_from_ticket,
    issue_key,
)
from storage import queue, tracker_links
from storage.db import transaction
from storage.tracker_links import Links

if TYPE_CHECKING:
    from bot.bootstrap import Container

log = logging.getLogger(__name__)

BATCH: Final = 6  # sub-items created per attempt: ~13 tracker calls, far inside the lease
WORKING: Final = (Status.ACCEPTED, Status.IN_PROGRESS)
# What ``TrackerSync.failed`` was doing, as the leads' note says it could not be done.
PAST: Final = {"create": "created", "close": "closed", "reopen": "reopened", "fetch": "read"}
# Back-sync acts as the tracker ("GitHub", "Jira": bot.tracker_back): a change by one of these
# came from the tracker and is not sent back to it. (The bot's own changes, such as an ask
# completed after the requester never answered, are sent like a person's.)
TRACKER_ACTORS: Final = frozenset(NAMES.values())


class TrackerSync:
    """What the ``tracker`` kinds share: the trackers, the database, Slack per workspace."""

    def __init__(self, container: Container, clients: TeamClients) -> None:
        assert container.trackers is not None
        self.setup = container.trackers
        self.container = container
        self.engine = container.db_engine
        self.clock = container.clock
        self.clients = clients
        self.views = views_for(container)
        self.announcer = Announcer(self.views, container.templates)

    # -- the "tracker" kind: an ask's status changed ------------------------------------------

    def on_event(self, item: queue.Item) -> dict[str, Any] | None:
        payload = item.payload
        if payload.get("type") == events.MILESTONE_CHANGED:
            return self._milestone_changed(payload)
        if payload.get("type") != events.STATUS_CHANGED:
            return None
        conversation = self._ask_of(payload)
        if conversation is None:
            return {"skipped": "no such ask"}
        change = payload.get("change") or {}
        from_slack = change.get("actor") not in TRACKER_ACTORS  # not made by back-sync
        if from_slack and change.get("to") == Status.DONE.value:
            return self._set_closed(conversation, True)
        if from_slack and change.get("from") == Status.DONE.value:
            self._set_closed(conversation, False)  # reopened in Slack
        if conversation.ticket.status in WORKING:
            return self.ensure(conversation)
        return None

    def ensure(self, conversation: Conversation) -> dict[str, Any]:
        """The ask's issue and a sub-item per milestone, created where missing (``BATCH``
        sub-items per attempt)."""
        found = self.ensure_links(conversation)
        if found is None:
            return {"skipped": f"no route for {conversation.ticket.category}"}
        assert found.issue.ref is not None
        return {"issue": found.issue.ref.url, "sub_items": sum(1 for s in found.subs if s.ref)}

    def ensure_links(self, conversation: Conversation) -> Links | None:
        """``ensure``, answering the ask's links as they are now (None: no route)."""
        ticket = conversation.ticket
        links = self._prepare(conversation)
        if links is None:
            return None
        paired = tracker_links.match([m.title for m in ticket.milestones], links.subs)
        missing = [(i, link) for i, link in sorted(paired.items()) if link.ref is None]
        if links.issue.ref is None or missing:
            links = self._create(conversation, links, missing[:BATCH])
        if len(missing) > BATCH:
            # A few seconds on: a tracker's search (Jira's) may not list what was just made.
            raise Retry(f"{len(missing) - BATCH} more milestones to create", after=5)
        self._announce(conversation, links)
        return links

    def _prepare(self, conversation: Conversation) -> Links | None:
        ticket = conversation.ticket
        assert ticket.id is not None
        with transaction(self.engine) as session:
            known = tracker_links.links_of(session, ticket.id)
            if known is None:
                route = self.setup.config.route(ticket.team_id, ticket.category)
                if route is None:
                    return None
                tracker, project = route.tracker, route.project
            else:
                tracker, project = known.tracker, known.project
            return tracker_links.prepare(
                session,
                ask_id=ticket.id,
                team_id=ticket.team_id,
                tracker=tracker,
                project=project,
                issue_key=issue_key(ticket.team_id, ticket.id),
                title=ticket.title,
                milestones=[m.title for m in ticket.milestones],
                at=self.clock.now(),
                known=known,
            )  # committed here: the keys exist before the tracker is called

    def _create(
        self,
        conversation: Conversation,
        links: Links,
        batch: list[tuple[int, tracker_links.Link]],
    ) -> Links:
        """Create what is missing (the issue, ``batch``'s sub-items); the links after."""
        ticket = conversation.ticket
        assert ticket.id is not None
        client = self.clients.for_team(ticket.team_id)
        owner = ticket.owner
        people = {m.owner for m in ticket.milestones} | {owner, ticket.requester}
        profiles = {p: profile_of(client, p) for p in people if p}  # one users.info each
        emails = {p: email for p, (email, _name) in profiles.items() if email}
        whole = issue_from_ticket(
            ticket,
            slack_url=thread_url(client, conversation),
            requester=profiles[ticket.requester][1],
            owner_email=emails.get(owner or ""),
            milestone_emails=emails,
        )
        subs = tuple(replace(whole.sub_items[i], suffix=link.suffix) for i, link in batch)
        adapter = self.adapter(links)
        try:
            ensured = adapter.ensure_issue(
                links.project, replace(whole, sub_items=subs), links.issue.issue_key
            )
        except TrackerError as error:
            self.failed(conversation, links, error, "create")
        now = self.clock.now()
        with transaction(self.engine) as session:
            tracker_links.record(session, ticket.id, "", ensured.ref, now)
            for suffix, ref in ensured.sub_items.items():
                tracker_links.record(session, ticket.id, suffix, ref, now)
            recorded = tracker_links.links_of(session, ticket.id)
        assert recorded is not None
        log.info(
            "tracker: %s is %s (%s), %d milestones %s",
            ticket.key,
            ensured.ref.label,
            "created" if ensured.created else "found",
            len(ensured.sub_items),
            "ensured",
        )
        return recorded

    def _announce(self, conversation: Conversation, links: Links) -> None:
        """The first time: the link in the requester's thread, and every message showing the
        ask (the review card, which shows ``ticket.tracker``) drawn again. Marked after it is
        posted: a Slack error retries it; only a crash in between could post it twice."""
        ticket = conversation.ticket
        assert ticket.id is not None
        if links.issue.announced:
            return
        client = self.clients.for_team(ticket.team_id)
        fresh = self.container.intake.get(ticket.id)
        link = fresh.ticket.tracker
        if client is not None and link is not None:
            post_to_requester(client, fresh, {"text": where_tracked(link)})
            self.announcer.changed(client, fresh)
        with transaction(self.engine) as session:
            tracker_links.announce(session, ticket.id, self.clock.now())

    # -- closing from Slack -------------------------------------------------------------------

    def _set_closed(self, conversation: Conversation, closed: bool) -> dict[str, Any] | None:
        ticket = conversation.ticket
        assert ticket.id is not None
        links = tracker_links.read_links(self.engine, ticket.id)
        if links is None or links.issue.ref is None:
            return None
        try:
            self.adapter(links).set_closed(links.issue.ref, closed)
        except TrackerError as error:
            what = "close" if closed else "reopen"
            self.failed(conversation, links, error, what, links.issue.ref)
        return {"closed" if closed else "reopened": links.issue.ref.url}

    def _milestone_changed(self, payload: dict[str, Any]) -> dict[str, Any] | None:
        """A milestone became done, or stopped being done, in Slack: its sub-item follows
        (changes the tracker made come back with the bot as actor and go no further)."""
        change = payload.get("milestone") or {}
        done = MilestoneStatus.DONE.value
        from_tracker = change.get("actor") in TRACKER_ACTORS
        if from_tracker or (change.get("from") == done) == (change.get("to") == done):
            return None
        conversation = self._ask_of(payload)
        if conversation is None or conversation.ticket.id is None:
            return {"skipped": "no such ask"}
        links = tracker_links.read_links(self.engine, conversation.ticket.id)
        if links is None or links.issue.ref is None:
            return None
        titles = [m.title for m in conversation.ticket.milestones]
        index = int(change.get("index", -1))
        sub = tracker_links.match(titles, links.subs).get(index)
        if sub is None or sub.ref is None:
            return None
        closed = change.get("to") == done
        try:
            self.adapter(links).set_closed(sub.ref, closed)
        except TrackerError as error:
            what = "close" if closed else "reopen"
            self.failed(conversation, links, error, what, sub.ref, milestone=index)
        return {"closed" if closed else "reopened": sub.ref.url}

    # -- shared -------------------------------------------------------------------------------

    def _ask_of(self, payload: dict[str, Any]) -> Conversation | None:
        """The ask an event is about (None: gone, or never saved)."""
        team_id = str(payload.get("team_id") or "")
        with self.container.intake.uow_factory() as uow:
            conversation = uow.asks.by_key(str(payload.get("ask_id", "")), team_id)
        return conversation if conversation and conversation.ticket.id is not None else None

    def adapter(self, links: Links) -> Tracker:
        adapter = self.setup.adapters.get(links.tracker)
        if adapter is None:
            raise GiveUp(f"{links.tracker.value} is no longer configured")
        return adapter

    def failed(
        self,
        conversation: Conversation,
        links: Links,
        error: TrackerError,
        what: str,
        ref: TrackerRef | None = None,
        *,
        milestone: int | None = None,
    ) -> NoReturn:
        """Count and log the failure, then raise what the runner does with it. ``what`` is
        one of ``PAST``; ``ref`` is the issue or sub-item it failed on (None: not created),
        ``milestone`` the index of the milestone whose sub-item that is."""
        ticket = conversation.ticket
        tracker = links.tracker.value
        reason = (
            "rate_limited"
            if isinstance(error, TrackerRateLimited)
            else ("rejected" if isinstance(error, TrackerRejected) else "unavailable")
        )
        count_tracker_failure(tracker, reason)
        log.warning("tracker: %s of %s failed (%s): %s", what, ticket.key, reason, error)
        if isinstance(error, TrackerRateLimited):
            raise Retry(str(error), after=error.retry_after_s)
        if error.retry:
            raise Retry(str(error))
        self._tell_leads(conversation, links, str(error), what, ref, milestone)
        raise GiveUp(str(error))

    def _tell_leads(
        self,
        conversation: Conversation,
        links: Links,
        reason: str,
        what: str,
        ref: TrackerRef | None,
        milestone: int | None,
    ) -> None:
        """A note under the review card (once per reason): the leads see why it is not in
        the tracker, which issue or sub-item it is, and what a person has to do."""
        ticket = conversation.ticket
        assert ticket.id is not None
        with transaction(self.engine) as session:
            said = tracker_links.links_of(session, ticket.id)
            if said is not None and said.issue.refused == reason:
                return
            tracker_links.refuse(session, ticket.id, reason)
        client = self.clients.for_team(ticket.team_id)
        card = conversation.card
        if client is None or card is None:
            return
        name = NAMES.get(links.tracker.value, links.tracker.value)
        subject = ticket.key
        if milestone is not None and 0 <= milestone < len(ticket.milestones):
            title = ticket.milestones[milestone].title
            subject = f"Milestone {milestone + 1} “{title}” of {ticket.key}"
        link = TrackerLink(ref.label, ref.url, ref.kind.value) if ref else None
        where = link_markup(link) if link else links.project
        text = f":warning: {subject} could not be {PAST[what]} in {name} ({where}): {reason[:300]}."
        if what == "create":
            text += (
                " Ask whoever runs the bot to fix the tracker configuration; the next change"
                " of the ask (or the hourly reconcile) tries again."
            )
        elif what == "fetch":
            text += (
                " Changes there no longer reach Slack; check the issue exists and the token"
                " can read it."
            )
        else:  # closing or reopening it after a change in Slack: nothing retries that
            text += f" Please {what} it there by hand."
        try:
            client.chat_postMessage(channel=card.channel, thread_ts=card.ts, text=text)
        except SlackApiError as exc:
            log.warning("could not tell the leads about %s: %s", ticket.key, exc.response)


# -- Slack helpers ---------------------------------------------------------------------------


_NOT_FOUND: Final = frozenset({"user_not_found", "users_not_found"})


def warn_lookup_failed(call: str, error: SlackApiError) -> None:
    """A WARNING for a failed user lookup, naming Slack's error (none for a user Slack does
    not have, ``_NOT_FOUND``): without it, a missing scope would silently stop matching
    people by e-mail."""
    code = error.response.get("error") if error.response is not None else None
    if code in _NOT_FOUND:
        return
    advice = ""
    if code == "missing_scope":
        advice = ": reinstall the app so it has users:read.email (people are not matched by e-mail)"
    log.warning("tracker: Slack %s failed (%s)%s", call, code, advice)


def profile_of(client: WebClient | None, user: str) -> tuple[str | None, str]:
    """A Slack user's e-mail (needs users:read.email) and name, from one users.info; the
    user ID as the name when Slack does not say."""
    if client is None:
        return None, user
    try:
        found = client.users_info(user=user)["user"]
    except SlackApiError as error:
        warn_lookup_failed("users.info", error)
        return None, user
    email = (found.get("profile") or {}).get("email")
    name = found.get("real_name") or found.get("name") or user
    return (str(email) if email else None), str(name)


def thread_url(client: WebClient | None, conversation: Conversation) -> str:
    """A link to the requester's thread (empty when the ask has none)."""
    thread = conversation.thread
    if thread is None:
        return ""
    if client is not None:
        try:
            found = client.chat_getPermalink(channel=thread.channel, message_ts=thread.ts)
            return str(found["permalink"])
        except SlackApiError:
            pass
    return f"https://slack.com/archives/{thread.channel}/p{thread.ts.replace('.', '')}"
