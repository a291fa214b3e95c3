"""The weekly follow-through jobs: owner nudges, requester progress replies, the channel digest,
and completing asks whose requester never answered "is it done?".

Exactly once, across replicas and restarts: every run claims its (job, period) row and queues
its messages in the same transaction, each under a unique key (kind, recipient, period). Follow
a nudge: it is decided here, queued with ``storage.queue.enqueue`` (through
``storage.slack_outbox.enqueue_message``) and sent by ``bot/sender.py``. A scheduler tick on
any replica may run these at any time; whatever was already claimed is skipped.

A week's nudge and progress reply cover only asks that were active work at that week's slot
(Monday 09:00 where the recipient is; ``intake.followup.counts_for``): an ask accepted midweek
gets its first update the next Monday, not a catch-up for the week it was accepted in.

Workspace by workspace: nudges and progress replies are planned per team (each with its own
people and asks). With one workspace (token mode) the digest covers every ask in the database,
as it always did. In the multi-workspace install (``bot.oauth``) each installed workspace gets
its own digest of its own asks (and its own undelivered messages), sent with its own token;
asks of a workspace without an installation are left alone.
"""

from __future__ import annotations

import logging
import os
import socket
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from slack_sdk import WebClient

from bot.blocks.followup import digest_messages, progress_message
from bot.blocks.milestones import auto_completed
from bot.blocks.nudge import nudge_message
from bot.cron import cron_trigger
from bot.followthrough_plan import Planned, RunReport, local_today, not_before, slot_for
from bot.oauth import OneWorkspace, TeamClients, team_clients
from bot.pacing import Lane, lane
from bot.people import People
from bot.refresh import AskViews, views_for
from intake.followup import (
    NUDGE_AT,
    build_digest,
    counts_for,
    iso_week,
    nudge_for,
    owners,
    progress,
    week_start,
)
from intake.review import Decision
from intake.service import IntakeService
from intake.ticket import Status, Ticket
from storage import job_runs, people, slack_outbox
from storage.db import transaction

if TYPE_CHECKING:
    from bot.bootstrap import Container

log = logging.getLogger(__name__)


def follow_through_for(container: Container, client: WebClient | None) -> FollowThrough:
    """The follow-through of ``container``'s settings: on ``client`` with one workspace, on
    each installation's client in multi-workspace mode (``client`` then gives their base URL,
    timeouts and pacer; None: nothing is sent, as for ``digest preview``)."""
    settings = container.settings
    return FollowThrough(
        container.intake,
        container.db_engine,
        client,
        default_tz=settings.intake_timezone,
        digest_channel=settings.intake_digest_channel,
        digest_schedule=settings.intake_digest_schedule,
        auto_complete=container.milestones.auto_complete,
        clients=team_clients(container, client),
        views=views_for(container),
    )


def replica_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class FollowThrough:
    def __init__(
        self,
        service: IntakeService,
        engine: Any,
        client: WebClient | None,
        *,
        default_tz: str,
        digest_channel: str | None,
        digest_schedule: str,
        auto_complete: Callable[[datetime], list[Decision]] | None = None,
        replica: str | None = None,
        clients: TeamClients | None = None,
        views: AskViews | None = None,
    ) -> None:
        self.service = service
        self.engine = engine
        self.client = client
        # Whose token each workspace's work uses; by default ``client`` for all (one workspace).
        self.clients: TeamClients = clients if clients is not None else OneWorkspace(client)
        self.default_tz = default_tz
        self.people = People(engine, default_tz)
        self.digest_channel = digest_channel
        self.digest_trigger = cron_trigger(digest_schedule, ZoneInfo(default_tz))
        self.auto_complete = auto_complete  # MilestoneService.auto_complete, when wired
        self.replica = replica or replica_id()
        self.views = views  # re-renders the messages of an ask it completes (bot.refresh)
        self._installed_at: datetime | None = None

    # -- one scheduler tick ------------------------------------------------------------------

    def tick(self, now: datetime | None = None, *, force: bool = False) -> RunReport:
        """Queue whatever is due now, once. ``force`` (``digest run``) does this week's work at
        once instead of waiting for Monday 09:00 and the digest schedule; each person still
        only gets messages inside their 08:00-18:00 (else they wait for their next 08:00)."""
        now = now or self.service.clock.now()
        report = RunReport()
        with lane(Lane.BULK):  # background work: people clicking buttons go first
            planned = self.plan(now, force=force)
        for item in planned:
            if self._queue_once(item, now):
                setattr(report, item.counter, getattr(report, item.counter) + 1)
        report.completed += self._complete(now)
        return report

    def preview(self, now: datetime | None = None) -> list[Planned]:
        """What a run now would queue (nothing is queued or sent)."""
        return self.plan(now or self.service.clock.now(), force=True, skip_claimed=False)

    def plan(
        self, now: datetime, *, force: bool = False, skip_claimed: bool = True
    ) -> list[Planned]:
        tickets = self.service.list()  # every workspace's, gone through team by team
        by_team: dict[str, list[Ticket]] = defaultdict(list)
        for ticket in tickets:
            by_team[ticket.team_id].append(ticket)
        planned: list[Planned] = []
        for team_id, team_tickets in by_team.items():
            if not self.clients.installed(team_id):
                log.debug("follow-through: workspace %s has no installation", team_id or "-")
                continue
            planned += self._nudges(team_id, team_tickets, now, force, skip_claimed)
            planned += self._progress(team_id, team_tickets, now, force, skip_claimed)
            if self.clients.per_team:
                planned += self._digest(team_tickets, now, force, skip_claimed, team_id=team_id)
        if not self.clients.per_team:
            planned += self._digest(tickets, now, force, skip_claimed)
        return planned

    def _nudges(
        self, team_id: str, tickets: list[Ticket], now: datetime, force: bool, skip_claimed: bool
    ) -> list[Planned]:
        planned = []
        for owner in sorted(owners(tickets)):
            tz = self.timezone(team_id, owner)
            slot = slot_for(now, tz, force)
            job = f"nudge:{team_id}:{owner}"
            if slot is None or (skip_claimed and self._claimed(job, slot.week)):
                continue
            if self._snoozed(team_id, owner, now) and not force:
                continue
            installed = self.installed_at(now)
            counted = [t for t in tickets if counts_for(t, slot.at, installed)]
            nudge = nudge_for(owner, counted, local_today(now, tz))
            if nudge is None:
                continue  # someone with nothing due (in work begun by the slot) gets nothing
            period = slot.week
            planned.append(
                Planned(
                    job=job,
                    period=period,
                    key=f"{job}:{period}",
                    kind="nudge",
                    team_id=team_id,
                    channel=owner,
                    payload={**nudge_message(nudge), "tz": tz},
                    not_before=not_before(now, tz),
                    counter="nudges",
                )
            )
        return planned

    def _progress(
        self, team_id: str, tickets: list[Ticket], now: datetime, force: bool, skip_claimed: bool
    ) -> list[Planned]:
        planned = []
        for ticket in tickets:
            if ticket.status not in (Status.ACCEPTED, Status.IN_PROGRESS) or ticket.id is None:
                continue
            tz = self.timezone(team_id, ticket.requester)
            slot = slot_for(now, tz, force)
            job = f"progress:{team_id}:{ticket.id}"
            if slot is None or not counts_for(ticket, slot.at, self.installed_at(now)):
                continue  # accepted after this week's slot: its first update is next week's
            period = slot.week
            if skip_claimed and self._claimed(job, period):
                continue
            report = progress(ticket, now - timedelta(days=7))
            thread = self.service.get(ticket.id).thread
            if report is None or thread is None:
                continue
            planned.append(
                Planned(
                    job=job,
                    period=period,
                    key=f"{job}:{period}",
                    kind="progress",
                    team_id=team_id,
                    channel=thread.channel,
                    payload={**progress_message(report, local_today(now, tz)), "tz": tz},
                    not_before=not_before(now, tz),
                    thread_ts=thread.ts,
                    counter="progress",
                )
            )
        return planned

    def _digest(
        self,
        tickets: list[Ticket],
        now: datetime,
        force: bool,
        skip_claimed: bool,
        *,
        team_id: str | None = None,
    ) -> list[Planned]:
        """The digest of ``tickets``: of every ask (one workspace), or, with ``team_id``, of
        that workspace's, with its own undelivered messages, once per workspace and week."""
        if not self.digest_channel:
            return []
        if force:
            week_of = now  # `digest run`: this week's digest, at once
        else:
            fire = self.last_digest_time(now)
            if fire is None or fire < self.installed_at(now):
                return []  # not due yet, or due before this install existed: no catch-up
            week_of = fire
        # The week is claimed and shown under one name: the week of the scheduled time.
        period = self.digest_week(week_of)
        job = "digest" if team_id is None else f"digest:{team_id}"
        if skip_claimed and self._claimed(job, period):
            return []
        today = local_today(now, self.default_tz)
        since = now - timedelta(days=7)
        gone = slack_outbox.given_up(self.engine, since, team_id=team_id)
        undelivered = [m.key or "" for m in gone]
        digest = build_digest(tickets, now, today, undelivered=undelivered, week=period)
        main, details = digest_messages(digest)
        key = f"{job}:{self.digest_channel}:{period}"
        return [
            Planned(
                job=job,
                period=period,
                key=key,
                kind="digest",
                team_id=team_id or "",
                channel=self.digest_channel,
                payload={**main, "thread": details},
                not_before=now,
                counter="digests",
            )
        ]

    def _complete(self, now: datetime) -> int:
        if self.auto_complete is None:
            return 0
        day = now.date().isoformat()
        with transaction(self.engine) as session:
            if not job_runs.claim_run(session, "auto_complete", day, self.replica, now):
                return 0
        decisions = self.auto_complete(now)
        for decision in decisions:  # tell each requester, once, in their intake thread
            ticket, thread = decision.conversation.ticket, decision.conversation.thread
            if thread is None or ticket.id is None:
                continue
            with transaction(self.engine) as session:
                slack_outbox.enqueue_message(
                    session,
                    key=f"auto_complete:{ticket.team_id}:{ticket.id}",
                    kind="auto_complete",
                    team_id=ticket.team_id,
                    channel=thread.channel,
                    payload=auto_completed(ticket),
                    at=now,
                    thread_ts=thread.ts,
                )
        for decision in decisions:  # no card, DM or nudge keeps offering work on a done ask
            client = self.clients.for_team(decision.ticket.team_id)
            if self.views is not None and client is not None:
                with lane(Lane.BULK):
                    self.views.refresh(client, decision.conversation)
        return len(decisions)

    def _queue_once(self, item: Planned, now: datetime) -> bool:
        """Claim the run's period and queue its message in one transaction: exactly once."""
        with transaction(self.engine) as session:
            if not job_runs.claim_run(session, item.job, item.period, self.replica, now):
                return False
            slack_outbox.enqueue_message(
                session,
                key=item.key,
                kind=item.kind,
                team_id=item.team_id,
                channel=item.channel,
                payload=item.payload,
                at=now,
                not_before=item.not_before,
                thread_ts=item.thread_ts,
            )
        return True

    def _claimed(self, job: str, period: str) -> bool:
        with transaction(self.engine) as session:
            return job_runs.claimed_at(session, job, period) is not None

    def _snoozed(self, team_id: str, user: str, now: datetime) -> bool:
        with transaction(self.engine) as session:
            person = people.get_person(session, team_id, user)
        return bool(person and person.snoozed_until and person.snoozed_until > now)

    # -- snooze --------------------------------------------------------------------------------

    def snooze(self, team_id: str, user: str, choice: str, now: datetime) -> str:
        """The owner's snooze on a nudge: "day" queues the nudge again for their next 09:00;
        "week" keeps further reminders away until next Monday's. Returns the note to show."""
        tz = self.timezone(team_id, user)
        local = now.astimezone(ZoneInfo(tz))
        if choice == "week":
            monday = week_start(local.date()) + timedelta(days=7)
            until = datetime.combine(monday, time(0), tzinfo=ZoneInfo(tz)).astimezone(UTC)
            with transaction(self.engine) as session:
                person = people.get_person(session, team_id, user) or people.Person(team_id, user)
                person.snoozed_until = until
                people.save_person(session, person, now)
            return ":zzz: Snoozed: no more reminders this week."
        tomorrow = local.date() + timedelta(days=1)
        again = datetime.combine(tomorrow, NUDGE_AT, tzinfo=ZoneInfo(tz)).astimezone(UTC)
        nudge = nudge_for(user, [t for t in self.service.list(team_id=team_id)], tomorrow)
        if nudge is not None:
            with transaction(self.engine) as session:
                slack_outbox.enqueue_message(
                    session,
                    key=f"nudge:{team_id}:{user}:again:{tomorrow.isoformat()}",
                    kind="nudge",
                    team_id=team_id,
                    channel=user,
                    payload={**nudge_message(nudge), "tz": tz},
                    at=now,
                    not_before=again,
                )
        return f":alarm_clock: I'll remind you tomorrow ({tomorrow:%a}) at 09:00."

    # -- time ---------------------------------------------------------------------------------

    def last_digest_time(self, now: datetime) -> datetime | None:
        """The digest's latest scheduled time at or before ``now`` within the past week (a
        replica that was down at that time still sends it when it comes back, once)."""
        start = now - timedelta(days=7)
        fire = self.digest_trigger.get_next_fire_time(None, start)
        latest = None
        while fire is not None and fire <= now:
            latest = fire
            fire = self.digest_trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
        return latest

    def digest_week(self, at: datetime) -> str:
        """The ISO week (``2026-W50``) a digest scheduled at ``at`` is for, in the digest's
        time zone: the name it is claimed under and the one its title shows."""
        return iso_week(local_today(at, self.default_tz))

    def installed_at(self, now: datetime) -> datetime:
        """When this install began (``storage.job_runs.installed_at``), read once."""
        if self._installed_at is None:
            with transaction(self.engine) as session:
                self._installed_at = job_runs.installed_at(session, self.replica, now)
        return self._installed_at

    def digest_sent_at(self, now: datetime) -> tuple[str, datetime | None]:
        """This week's digest (one workspace): its week and when it was claimed, if it was."""
        week = self.digest_week(now)
        with transaction(self.engine) as session:
            return week, job_runs.claimed_at(session, "digest", week)

    def timezone(self, team_id: str, user: str) -> str:
        return self.people.timezone(self.clients.for_team(team_id), team_id, user)
