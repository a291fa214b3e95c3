"""The review card's moments as each reader sees them: Lee in New York, Alice in Berlin and Owen
in Tokyo read "Submitted" and the status line in their own zone and against their own today,
so the two never disagree (they did: "today at 19:58" next to "Submitted Tue 8 Dec", a UTC
date). The card is the one the bot posted; the sandbox page's renderer shows it per reader."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from bot.blocks.when import local
from tests.e2e.conftest import REQUESTER, MovableClock
from tests.e2e.helpers import approve, review_card, submit_ready_ask, text_of
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_requests import SlackDriver
from tests.sandbox.test_mrkdwn import with_mrkdwn_js

READERS = {"Lee": "America/New_York", "Alice": "Europe/Berlin", "Owen": "Asia/Tokyo"}


def as_seen(text: str, tz: str, now: datetime) -> str:
    """``text`` (mrkdwn) as the sandbox page draws it for a reader in ``tz`` at ``now``."""
    script = (
        "const [text, tz, now] = JSON.parse(process.argv[2]);"
        "console.log(JSON.stringify(m.toHtml(m.parse(text), {tz: tz, now: now})));"
    )
    html = with_mrkdwn_js(script, [text, tz, now.timestamp()])
    return re.sub(r"<[^>]+>", "", str(html).replace("<br>", "\n"))


def test_every_reader_sees_submitted_and_the_status_in_their_own_zone_and_today(
    driver: SlackDriver, slack: FakeSlack, clock: MovableClock
) -> None:
    submitted = datetime(2026, 12, 8, 0, 30, tzinfo=UTC)  # Mon 19:30 New York, Tue 01:30 Berlin
    clock.at = submitted
    _, card = submit_ready_ask(driver, slack, REQUESTER)
    approved = datetime(2026, 12, 8, 0, 58, tzinfo=UTC)
    clock.at = approved
    approve(driver, slack, card)
    posted = text_of(review_card(slack))
    assert "accepted" in posted and "Submitted" in posted

    now = datetime(2026, 12, 8, 1, 30, tzinfo=UTC)
    for reader, tz in READERS.items():
        shown = as_seen(posted, tz, now)
        expected_submit, expected_status = local(submitted, tz, now), local(approved, tz, now)
        assert f"Submitted\n{expected_submit}" in shown, (reader, shown)
        assert "approved by" in shown and f"· {expected_status}" in shown, (reader, shown)
    lee = as_seen(posted, READERS["Lee"], now)
    assert "Submitted\ntoday at 19:30" in lee and "· today at 19:58" in lee, "Monday evening"
    owen = as_seen(posted, READERS["Owen"], now)
    assert "Submitted\ntoday at 09:30" in owen and "· today at 09:58" in owen, "Tuesday morning"
    # Tuesday morning in New York, Lee's Slack says "yesterday" for both, still in agreement;
    # on Wednesday, the date.
    later = as_seen(posted, READERS["Lee"], datetime(2026, 12, 8, 15, 0, tzinfo=UTC))
    assert "Submitted\nyesterday at 19:30" in later and "· yesterday at 19:58" in later
    later = as_seen(posted, READERS["Lee"], datetime(2026, 12, 9, 15, 0, tzinfo=UTC))
    assert "Submitted\nDec 7, 2026 at 19:30" in later and "· Dec 7, 2026 at 19:58" in later
