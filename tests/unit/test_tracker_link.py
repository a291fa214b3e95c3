"""The issue an accepted ask became shows where people look: its review card, the requester's
thread, the owner's DM, ``/intake show`` and the Home tab — as a link Slack accepts (validated
like Slack would), and as text that cannot break out of the link or ping anyone."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.blocks.home import HomeData, home
from bot.blocks.review import ask_detail, card, owner_message, submitted_with_cancel
from bot.blocks.tracker import link_markup, tracked_text
from intake.conversation import Conversation, Source
from intake.readiness import check
from intake.templates import load_templates
from intake.ticket import HistoryEntry, Milestone, Status, Ticket, TrackerLink
from tests.fakes.blockkit import validate_message, validate_view

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
GITHUB = TrackerLink("acme/platform#12", "https://github.com/acme/platform/issues/12", "github")
JIRA = TrackerLink("DBA-7", "https://acme.atlassian.net/browse/DBA-7", "jira")


def accepted(tracker: TrackerLink | None = GITHUB) -> Ticket:
    ticket = Ticket(
        requester="U0ALICE",
        category="database",
        title="Postgres for billing",
        status=Status.ACCEPTED,
        problem="we need a postgres db for billing",
        acceptance_criteria=["billing-api connects to it from staging"],
        deadline=date(2026, 12, 20),
        id=12,
        key="PLAT-12",
        owner="U0OWEN",
        submitted_at=NOW,
        milestones=[Milestone("Provisioned", due=date(2026, 12, 10))],
        tracker=tracker,
    )
    ticket.history.append(HistoryEntry(NOW, "U0LEE", Status.SUBMITTED, Status.ACCEPTED))
    return ticket


def rendered(message: dict[str, object]) -> str:
    return str(message["blocks"])


@pytest.mark.parametrize(
    ("link", "shown"),
    [
        (
            GITHUB,
            "Tracked in GitHub: <https://github.com/acme/platform/issues/12|acme/platform#12>",
        ),
        (JIRA, "Tracked in Jira: <https://acme.atlassian.net/browse/DBA-7|DBA-7>"),
    ],
)
def test_every_place_the_ask_is_shown_links_its_issue(link: TrackerLink, shown: str) -> None:
    ticket = accepted(link)
    template = load_templates().get("database")
    ready = check(ticket, template)
    messages = {
        "review card": card(Conversation(ticket, Source.CLI), template, ready, NOW),
        "requester's thread": submitted_with_cancel(ticket),
        "owner's DM": owner_message(ticket, template, date(2026, 12, 7)),
        "/intake show": ask_detail(ticket, template, ready),
    }
    for where, message in messages.items():
        assert shown in rendered(message), where
        assert validate_message(message["text"], message["blocks"]) == [], where


def test_the_home_tab_links_the_issue_of_each_of_your_asks() -> None:
    tracked, waiting = accepted(), accepted(tracker=None)
    waiting.key = "PLAT-13"
    view = home(HomeData(mine=[tracked, waiting]), NOW, date(2026, 12, 7))
    lines = [b["text"]["text"] for b in view["blocks"] if b.get("text")]
    [line12] = [t for t in lines if "PLAT-12" in t]
    [line13] = [t for t in lines if "PLAT-13" in t]
    assert "<https://github.com/acme/platform/issues/12|acme/platform#12>" in line12
    assert "Tracked" not in line13 and "<http" not in line13
    assert validate_view(view) == []


def test_an_ask_without_an_issue_shows_no_link() -> None:
    ticket = accepted(tracker=None)
    assert tracked_text(ticket) is None
    assert "Tracked" not in rendered(submitted_with_cancel(ticket))


def test_a_hostile_label_or_url_cannot_break_out_of_the_link_or_ping() -> None:
    link = TrackerLink("<!channel>|x", "https://evil.example/a?b=1&c=<@U0BOB>|label", "github")
    markup = link_markup(link)
    assert markup == (
        "<https://evil.example/a?b=1&amp;c=&lt;@U0BOB&gt;%7Clabel|&lt;!channel&gt;/x>"
    )
    assert "<!channel>" not in markup and "<@U0BOB>" not in markup


def test_a_url_that_is_not_a_web_address_is_shown_as_its_label_only() -> None:
    assert link_markup(TrackerLink("DBA-7", "javascript:alert(1)", "jira")) == "DBA-7"
    assert tracked_text(accepted(TrackerLink("DBA-7", "ftp://x/DBA-7", "jira"))) == (
        ":link: Tracked in Jira: DBA-7"
    )


def test_an_unknown_label_shape_says_only_that_it_is_tracked() -> None:
    ticket = accepted(TrackerLink("Issue 44", "https://tracker.example/44", ""))
    assert tracked_text(ticket) == ":link: Tracked: <https://tracker.example/44|Issue 44>"
