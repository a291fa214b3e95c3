"""Weekly nudges, progress replies and the digest: each person at their own 09:00, each message
once, across replicas and a runner that dies mid fan-out. Time is a controllable clock."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from slack_sdk import WebClient
from sqlalchemy import func, select

from bot.followthrough import FollowThrough
from bot.oauth import OneWorkspace
from bot.sender import send_due
from intake.conversation import Source, Thread
from intake.ticket import Milestone
from storage.models import QueueItemRow
from storage.queue import LEASE
from tests.e2e.conftest import BOT_TOKEN, LEAD, REQUESTER, BotServer, MovableClock
from tests.e2e.helpers import text_of, wait_for_bot
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_requests import SlackDriver

DIGEST = "C0DIGEST"
AUCKLAND = "U0AUCK"  # UTC+13 in November
HONOLULU = "U0HONO"  # UTC-10
LAST_FRIDAY = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # before week 2026-W48's Monday slots


def client(slack: FakeSlack) -> WebClient:
    return WebClient(token=BOT_TOKEN, base_url=slack.api_url)


def follow(bot: BotServer, slack: FakeSlack, replica: str = "r1", tz: str = "UTC") -> FollowThrough:
    assert bot.container is not None
    return FollowThrough(
        bot.container.intake,
        bot.container.db_engine,
        client(slack),
        default_tz=tz,
        digest_channel=DIGEST,
        digest_schedule="0 9 * * 1",
        auto_complete=bot.container.milestones.auto_complete,
        replica=replica,
    )


class Sender:
    """A replica's runner of queued messages, one round at a time (``bot.sender.send_due``)."""

    def __init__(self, bot: BotServer, client: WebClient, clock: MovableClock) -> None:
        assert bot.container is not None
        self.engine, self.client, self.clock = bot.container.db_engine, client, clock

    def run_once(self) -> int:
        return send_due(self.engine, self.clock, OneWorkspace(self.client))


def sender(bot: BotServer, slack: FakeSlack, clock: MovableClock) -> Sender:
    return Sender(bot, client(slack), clock)


def accepted_ask(bot: BotServer, owner: str, n: int, due: date) -> None:
    """An accepted ask owned by ``owner`` with a milestone due on ``due``."""
    assert bot.container is not None
    intake, review = bot.container.intake, bot.container.review
    outcome = intake.start(
        team_id="T0001", requester=REQUESTER, text=f"we need a postgres db for service-{n}",
        source=Source.DM, tz="UTC", thread=Thread("DU0ALICE", f"1700000000.{n:06d}"),
    )  # fmt: skip
    assert outcome is not None
    ask = outcome.ticket.id or 0
    intake.submit(ask_id=ask, user=REQUESTER, force=True)
    review.approve(
        ask_id=ask, actor=LEAD, is_lead=True, owner=owner, priority=None, size=None,
        milestones=[Milestone(f"Provisioned {n}", due=due, done_criterion="it exists")],
    )  # fmt: skip


def dms(slack: FakeSlack, user: str) -> list[dict]:  # type: ignore[type-arg]
    return [m for m in slack.messages(slack.dm_channel(user)) if m.get("bot_id")]


@pytest.fixture
def owners(slack: FakeSlack) -> None:
    slack.add_user(AUCKLAND, "ana", tz="Pacific/Auckland")
    slack.add_user(HONOLULU, "kai", tz="Pacific/Honolulu")
    slack.add_channel(DIGEST, "platform-digest")


def test_owners_in_utc_plus_13_and_minus_10_are_nudged_at_their_own_nine(
    bot: BotServer, slack: FakeSlack, clock: MovableClock, owners: None
) -> None:
    clock.at = LAST_FRIDAY  # accepted before this week's slots
    accepted_ask(bot, AUCKLAND, 1, date(2026, 11, 27))
    accepted_ask(bot, HONOLULU, 2, date(2026, 11, 27))
    jobs, send = follow(bot, slack), sender(bot, slack, clock)

    clock.at = datetime(2026, 11, 22, 19, 55, tzinfo=UTC)  # Auckland: Mon 08:55
    jobs.tick(), send.run_once()
    assert dms(slack, AUCKLAND) == []
    clock.at = datetime(2026, 11, 22, 20, 5, tzinfo=UTC)  # Auckland: Mon 09:05; Honolulu: Sun 10:05
    jobs.tick(), send.run_once()
    assert len(dms(slack, AUCKLAND)) == 1 and dms(slack, HONOLULU) == []
    assert "Provisioned 1" in text_of(dms(slack, AUCKLAND)[0])
    clock.at = datetime(2026, 11, 23, 19, 5, tzinfo=UTC)  # Honolulu: Mon 09:05
    jobs.tick(), send.run_once()
    assert len(dms(slack, HONOLULU)) == 1 and len(dms(slack, AUCKLAND)) == 1, "once a week each"


def test_two_replicas_ticking_together_send_one_digest_and_one_nudge_per_owner(
    database_url: str,
    make_bot: Callable[..., BotServer],
    slack: FakeSlack,
    clock: MovableClock,
    owners: None,
) -> None:
    replicas = [make_bot(database_url), make_bot(database_url)]
    clock.at = LAST_FRIDAY  # accepted before this week's slots (Auckland's is Sunday UTC)
    for n in range(6):
        accepted_ask(replicas[0], [AUCKLAND, HONOLULU][n % 2], n, date(2026, 11, 25))
    clock.at = datetime(
        2026, 11, 23, 19, 5, tzinfo=UTC
    )  # Monday 09:05 in Honolulu, Tue 08:05 Auckland
    jobs = [follow(r, slack, replica=f"r{i}") for i, r in enumerate(replicas)]
    senders = [sender(r, slack, clock) for r in replicas]
    go = threading.Barrier(2)

    def run(i: int) -> None:
        go.wait()
        jobs[i].tick()
        senders[i].run_once()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in senders:
        s.run_once()
    digests = [m for m in slack.messages(DIGEST) if m.get("bot_id") and "week" in m.get("text", "")]
    assert len(digests) == 1
    assert len(dms(slack, HONOLULU)) == 1 and len(dms(slack, AUCKLAND)) == 1


def test_a_runner_killed_mid_fan_out_resumes_without_resending(
    bot: BotServer, slack: FakeSlack, clock: MovableClock
) -> None:
    people = [f"U0OWN{n:02d}" for n in range(12)]
    for n, person in enumerate(people):
        slack.add_user(person, f"owner{n}", tz="UTC")
        accepted_ask(bot, person, n, date(2026, 11, 25))
    clock.at = datetime(2026, 11, 23, 9, 5, tzinfo=UTC)
    follow(bot, slack).tick()

    class Killed(BaseException):  # not an error a handler reports: the process is gone
        pass

    dying = sender(bot, slack, clock)
    real_post = dying.client.chat_postMessage
    posted = 0

    def post_then_die(**kwargs: object) -> object:
        nonlocal posted
        if posted >= 5:
            raise Killed  # dead: nothing more goes out, and nothing is recorded
        response = real_post(**kwargs)  # Slack has it...
        posted += 1
        if posted == 5:
            raise Killed  # ...but the process dies before recording its ts
        return response

    dying.client.chat_postMessage = post_then_die  # type: ignore[method-assign]
    dying.run_once()
    assert sum(len(dms(slack, p)) for p in people) == 5
    assert bot.container is not None
    with bot.container.db_engine.connect() as connection:
        in_doubt = connection.scalar(
            select(func.count()).where(QueueItemRow.started_at.is_not(None))
        )
    assert in_doubt and not slack.calls_to("conversations.history")
    clock.advance(seconds=LEASE.total_seconds() + 1)  # the dead runner's lease runs out
    sender(bot, slack, clock).run_once()
    assert [len(dms(slack, p)) for p in people] == [1] * len(people), "everyone exactly once"
    # Each message the dead runner had started was looked up before it was sent again.
    assert len(slack.calls_to("conversations.history")) == in_doubt


def test_snooze_a_day_reminds_again_tomorrow_at_nine(
    bot: BotServer, driver: SlackDriver, slack: FakeSlack, clock: MovableClock, owners: None
) -> None:
    accepted_ask(bot, HONOLULU, 1, date(2026, 11, 27))
    clock.at = datetime(2026, 11, 23, 19, 5, tzinfo=UTC)  # Honolulu: Monday 09:05
    jobs, send = follow(bot, slack), sender(bot, slack, clock)
    jobs.tick(), send.run_once()
    nudge = dms(slack, HONOLULU)[0]
    before = len(slack.calls)
    driver.click(HONOLULU, nudge, "nudge_snooze:day")
    wait_for_bot(slack, before)
    assert "remind you tomorrow (Tue) at 09:00" in text_of(slack.find_message(nudge["ts"]) or {})
    clock.at = datetime(2026, 11, 24, 18, 55, tzinfo=UTC)  # Tuesday 08:55 there
    send.run_once()
    assert len(dms(slack, HONOLULU)) == 1
    clock.at = datetime(2026, 11, 24, 19, 1, tzinfo=UTC)  # Tuesday 09:01
    send.run_once()
    assert len(dms(slack, HONOLULU)) == 2


def test_snooze_until_next_week_quiets_the_rest_of_the_week(
    bot: BotServer, driver: SlackDriver, slack: FakeSlack, clock: MovableClock, owners: None
) -> None:
    accepted_ask(bot, HONOLULU, 1, date(2026, 11, 27))
    clock.at = datetime(2026, 11, 23, 19, 5, tzinfo=UTC)
    jobs, send = follow(bot, slack), sender(bot, slack, clock)
    jobs.tick(), send.run_once()
    before = len(slack.calls)
    driver.click(HONOLULU, dms(slack, HONOLULU)[0], "nudge_snooze:week")
    wait_for_bot(slack, before)
    assert "no more reminders this week" in text_of(
        slack.find_message(dms(slack, HONOLULU)[0]["ts"]) or {}
    )
    clock.at = datetime(2026, 11, 30, 19, 5, tzinfo=UTC)  # next Monday 09:05 there
    jobs.tick(), send.run_once()
    assert len(dms(slack, HONOLULU)) == 2, "next week's nudge comes as usual"


def test_a_run_at_night_waits_for_the_persons_morning(
    bot: BotServer, slack: FakeSlack, clock: MovableClock, owners: None
) -> None:
    accepted_ask(bot, HONOLULU, 1, date(2026, 11, 27))
    clock.at = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # Tuesday 23:00 in Honolulu
    report = follow(bot, slack).tick(force=True)  # `intake-bot digest run`
    assert report.nudges == 1
    send = sender(bot, slack, clock)
    send.run_once()
    assert dms(slack, HONOLULU) == []
    clock.at = datetime(2026, 11, 25, 18, 1, tzinfo=UTC)  # Wednesday 08:01 there
    send.run_once()
    assert len(dms(slack, HONOLULU)) == 1


def test_the_digest_goes_to_the_channel_once_with_details_in_its_thread(
    bot: BotServer, slack: FakeSlack, clock: MovableClock, owners: None
) -> None:
    for n in range(8):
        accepted_ask(bot, AUCKLAND, n, date(2026, 11, 10))  # overdue
    clock.at = datetime(2026, 11, 23, 9, 5, tzinfo=UTC)
    jobs, send = follow(bot, slack), sender(bot, slack, clock)
    jobs.tick(), send.run_once(), jobs.tick(), send.run_once()
    top = [
        m
        for m in slack.messages(DIGEST)
        if m.get("bot_id") and m.get("thread_ts", m["ts"]) == m["ts"]
    ]
    assert len(top) == 1
    shown = text_of(top[0])
    assert (
        "Overdue milestones* 8" in shown
        and "Accepted* 8" in shown
        and "…and 3 more in the thread" in shown
    )
    replies = [m for m in slack.thread(DIGEST, top[0]["ts"]) if m["ts"] != top[0]["ts"]]
    assert replies and "Provisioned 7" in " ".join(text_of(r) for r in replies)


def digest_posts(slack: FakeSlack) -> list[str]:
    return [
        text_of(m)
        for m in slack.messages(DIGEST)
        if m.get("bot_id") and m.get("thread_ts", m["ts"]) == m["ts"]
    ]


def test_a_fresh_install_sends_no_catch_up_digest_and_labels_a_week_as_it_claims_it(
    bot: BotServer, slack: FakeSlack, clock: MovableClock, owners: None
) -> None:
    """Installed on Sunday evening in New York, Monday 01:56 in Berlin: last Monday's 09:00 came
    before the install, so nothing is caught up; this Monday's 09:00 brings one digest, titled
    with the week it is claimed under; `digest run` then sends nothing and says why."""
    assert bot.container is not None
    clock.at = datetime(2026, 12, 7, 0, 56, tzinfo=UTC)  # Mon 01:56 Berlin, Sun 19:56 New York
    berlin = follow(bot, slack, tz="Europe/Berlin")
    send = sender(bot, slack, clock)
    assert berlin.tick().digests == 0
    send.run_once()
    assert digest_posts(slack) == [], "no digest for a week before the install existed"

    clock.at = datetime(2026, 12, 7, 8, 1, tzinfo=UTC)  # Monday 09:01 in Berlin
    assert berlin.tick().digests == 1
    send.run_once()
    [posted] = digest_posts(slack)
    assert "week 2026-W50" in posted
    week, claimed = berlin.digest_sent_at(clock.now())
    assert week == "2026-W50" and claimed == clock.now(), "claimed as the week it is titled"

    clock.at = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
    assert berlin.tick(force=True).digests == 0  # `intake-bot digest run`: already went
    send.run_once()
    assert len(digest_posts(slack)) == 1


def test_an_unanswered_is_it_done_completes_after_seven_days_and_says_so(
    bot: BotServer, slack: FakeSlack, clock: MovableClock, owners: None
) -> None:
    from intake.ticket import MilestoneStatus

    assert bot.container is not None
    accepted_ask(bot, HONOLULU, 1, date(2026, 11, 27))
    ask = bot.container.intake.list()[0].id or 0
    bot.container.milestones.update_status(
        ask_id=ask, index=0, status=MilestoneStatus.DONE, actor=HONOLULU, is_lead=False
    )
    assert bot.container.intake.get(ask).ticket.done_requested_at is not None
    clock.advance(days=8)
    jobs, send = follow(bot, slack), sender(bot, slack, clock)
    assert jobs.tick().completed == 1
    assert jobs.tick().completed == 0, "once a day, once per ask"
    send.run_once()
    ticket = bot.container.intake.get(ask).ticket
    assert ticket.status.value == "done"
    assert "no answer in 7 days" in ticket.history[-1].note
    # Replies in the ask's intake thread (its root is the requester's DM, not stored here).
    notes = [m for m in slack.messages("DU0ALICE") if m.get("thread_ts") == "1700000000.000001"]
    assert any("nobody answered for 7 days" in text_of(m) for m in notes)
