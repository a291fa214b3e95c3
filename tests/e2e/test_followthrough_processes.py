"""Two processes running this week's follow-through at the same moment, on one database (the
schedule's code path, through `intake-bot digest run`): one digest, one nudge per owner."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from bot.bootstrap import build
from bot.settings import load_settings
from intake.conversation import Source, Thread
from intake.ticket import Milestone
from tests.e2e.conftest import BOT_TOKEN, LEAD, REQUESTER
from tests.e2e.processes import run_at_once
from tests.fakes.slack_api import FakeSlack

DIGEST = "C0DIGEST"


def awake_zone() -> str:
    """A time zone where it is now the middle of the day (the run must not wait for morning)."""
    offset = (12 - datetime.now(UTC).hour) % 24
    offset = offset - 24 if offset > 12 else offset
    return "UTC" if offset == 0 else f"Etc/GMT{-offset:+d}"  # Etc/GMT-5 is UTC+5


def test_two_processes_running_the_week_at_once_send_everything_once(
    database_url: str, fake_slack: FakeSlack
) -> None:
    zone = awake_zone()
    owners = [f"U0OWN{n}" for n in range(4)]
    for person in [*owners, REQUESTER, LEAD]:
        fake_slack.add_user(person, person.lower(), tz=zone)
    fake_slack.add_channel(DIGEST, "platform-digest")
    container = build(load_settings(database_url=database_url, _env_file=None), migrate=True)
    today = datetime.now(UTC).date()
    for n, owner in enumerate(owners):
        started = container.intake.start(
            team_id="T0001", requester=REQUESTER, text=f"we need a postgres db for service-{n}",
            source=Source.DM, tz="UTC", thread=Thread("DU0ALICE", f"1700000000.{n:06d}"),
        )  # fmt: skip
        assert started is not None
        ask = started.ticket.id or 0
        container.intake.submit(ask_id=ask, user=REQUESTER, force=True)
        container.review.approve(
            ask_id=ask, actor=LEAD, is_lead=True, owner=owner, priority=None, size=None,
            milestones=[Milestone(f"Provisioned {n}", due=today, done_criterion="it exists")],
        )  # fmt: skip
    container.db_engine.dispose()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "INTAKE_"))},
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_API_URL": fake_slack.api_url,
        "INTAKE_DIGEST_CHANNEL": DIGEST,
        "INTAKE_TIMEZONE": zone,
    }
    run_at_once(["digest", "run"], env, timeout=120)
    for owner in owners:
        nudges = [m for m in fake_slack.messages(fake_slack.dm_channel(owner)) if m.get("bot_id")]
        assert len(nudges) == 1, f"{owner} got {len(nudges)} nudges"
    digests = [
        m
        for m in fake_slack.messages(DIGEST)
        if m.get("bot_id") and m.get("thread_ts", m["ts"]) == m["ts"]
    ]
    assert len(digests) == 1
    progress = [m for m in fake_slack.messages("DU0ALICE") if "Weekly update" in m.get("text", "")]
    assert len(progress) == len(owners), "one progress reply per active ask"
