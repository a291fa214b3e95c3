"""Two workspaces, each with its asks: nothing one does or sees includes the other's. Ask keys
repeat (both have a PLAT-1), and the requester and the lead are the same people in both, so
only the workspace of each request keeps them apart."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bot.followthrough import follow_through_for
from bot.sender import send_due
from intake.ticket import Status
from storage import queue, slack_outbox
from tests.e2e.helpers import (
    Conversation,
    review_card,
    start_dm,
    text_of,
    wait_for_bot,
)
from tests.fakes.slack_requests import SlackDriver
from tests.multiworkspace.conftest import (
    DIGEST_CHANNEL,
    LEAD,
    OWNER,
    REQUESTER,
    SIGNING_SECRET,
    T1,
    T2,
    MultiBot,
    MultiWorkspaceSlack,
    Team,
    bearer,
)
from tests.storage.slack_messages import enqueue

# Two alike asks (so similar-ask lookups would find each other), told apart by their service.
ONE, TWO = "zebrabill", "yakroster"


def answer_database_questions(c: Conversation, service: str) -> None:
    """tests.e2e.helpers.answer_database_questions, about ``service``."""
    assert "environment" in text_of(c.last).lower()
    c.click_button("production")
    assert "storage" in text_of(c.last).lower()
    c.say("about 200 GB")
    c.say(f"{service} stops without it, finance closes the month on it")
    c.say(f"{service}-api connects to it from production; nightly backups restore in under 1 hour")


class Workspace:
    """One installed workspace: its driver and its ask."""

    def __init__(self, bot: MultiBot, slack: MultiWorkspaceSlack, team: Team) -> None:
        self.team = team
        self.slack = slack
        self.driver = SlackDriver(bot.events_url, SIGNING_SECRET, slack, team_id=team.id)
        self.thread: Conversation | None = None
        self.card: dict[str, Any] = {}

    def submit(self, service: str) -> None:
        c = start_dm(
            self.driver, self.slack, REQUESTER, f"we need a postgres db for {service} asap"
        )
        answer_database_questions(c, service)
        c.click_button("Submit")
        self.thread, self.card = c, review_card(self.slack)

    def command(self, text: str) -> str:
        answer = self.driver.slash_command(REQUESTER, text)
        assert answer.status == 200
        return answer.body

    def home(self, user: str) -> str:
        before = len(self.slack.calls)
        self.driver.app_home_opened(user)
        wait_for_bot(self.slack, before)
        publish = self.slack.calls_to("views.publish")[-1]
        assert bearer(publish) == self.team.token
        return text_of(publish.args["view"])

    def click(self, user: str, message: dict[str, Any], action: str) -> None:
        before = len(self.slack.calls)
        self.driver.click(user, message, action)
        wait_for_bot(self.slack, before)


@pytest.fixture
def workspaces(
    multi_bot: MultiBot, multi_slack: MultiWorkspaceSlack
) -> tuple[Workspace, Workspace]:
    multi_slack.add_channel("C0REQUESTS", "platform-requests")
    for team in (T1, T2):
        assert multi_bot.install(multi_slack, team).status == 200
    one, two = Workspace(multi_bot, multi_slack, T1), Workspace(multi_bot, multi_slack, T2)
    one.submit(ONE)
    two.submit(TWO)
    return one, two


def status_of(bot: MultiBot, team: Team) -> Status:
    (ticket,) = bot.container.intake.list(team_id=team.id)
    return ticket.status


def test_both_workspaces_number_their_asks_and_use_their_own_tokens(
    multi_bot: MultiBot, multi_slack: MultiWorkspaceSlack, workspaces: tuple[Workspace, Workspace]
) -> None:
    one, two = workspaces
    assert [t.key for t in multi_bot.container.intake.list(team_id=T1.id)] == ["PLAT-1"]
    assert [t.key for t in multi_bot.container.intake.list(team_id=T2.id)] == ["PLAT-1"]
    assert ONE in text_of(one.card) and TWO in text_of(two.card)
    cards = multi_slack.calls_to("chat.postMessage")
    card_tokens = [bearer(c) for c in cards if c.args.get("channel") == "C0REVIEW"]
    assert card_tokens == [T1.token, T2.token]
    # No similar-ask suggestion, on the card or in the intake, crosses workspaces.
    assert ONE not in text_of(two.card)
    assert two.thread is not None
    assert all(ONE not in text_of(m) for m in two.thread.bot_messages)


def test_list_and_show_see_only_the_requests_workspace(
    workspaces: tuple[Workspace, Workspace],
) -> None:
    one, two = workspaces
    mine_one, mine_two = one.command("list"), two.command("list")
    assert ONE in mine_one and TWO not in mine_one
    assert TWO in mine_two and ONE not in mine_two
    shown_one, shown_two = one.command("show PLAT-1"), two.command("show PLAT-1")
    assert ONE in shown_one and TWO not in shown_one
    assert TWO in shown_two and ONE not in shown_two


def test_the_leads_home_tab_queues_only_the_workspaces_asks(
    workspaces: tuple[Workspace, Workspace],
) -> None:
    one, two = workspaces
    queue_one, queue_two = one.home(LEAD), two.home(LEAD)
    assert "Review queue* — 1 waiting" in queue_one and ONE in queue_one.lower()
    assert TWO not in queue_one.lower()
    assert "Review queue* — 1 waiting" in queue_two and TWO in queue_two.lower()
    assert ONE not in queue_two.lower()
    assert ONE in one.home(REQUESTER).lower() and TWO not in one.home(REQUESTER)


def test_review_actions_from_one_workspace_never_reach_the_others_ask(
    multi_bot: MultiBot, multi_slack: MultiWorkspaceSlack, workspaces: tuple[Workspace, Workspace]
) -> None:
    one, two = workspaces
    # T2's lead clicks on T1's card (its buttons carry T1's ask ID): not found, nothing moves.
    for action in ("review_approve", "review_decline", "review_assign"):
        two.click(LEAD, one.card, action)
    assert multi_slack.calls_to("views.open") == []
    notes = [str(post.body.get("text", "")) for post in multi_slack.responses]
    assert sum("can't find that" in note for note in notes) == 3, notes
    assert status_of(multi_bot, T1) is Status.SUBMITTED
    # The requester's "Cancel ask" under T1's ask, clicked from T2: not found either.
    assert one.thread is not None
    cancel = next(m for m in one.thread.bot_messages if "Cancel ask" in str(m.get("blocks")))
    two.click(REQUESTER, cancel, "ask_cancel")
    assert status_of(multi_bot, T1) is Status.SUBMITTED
    (ticket,) = multi_bot.container.intake.list(team_id=T1.id)
    attempts = {entry.action for entry in multi_bot.container.review.audit(ticket.id or 0)}
    assert not attempts & {"approve", "decline", "assign", "cancel"}, attempts

    # From its own workspace, the same click works (with T1's token).
    one.click(LEAD, one.card, "review_approve")
    (opened,) = multi_slack.calls_to("views.open")
    assert bearer(opened) == T1.token
    before = len(multi_slack.calls)
    one.driver.submit_view(LEAD, multi_slack.current_view(LEAD), owner=OWNER)
    wait_for_bot(multi_slack, before)
    assert status_of(multi_bot, T1) is Status.ACCEPTED
    assert status_of(multi_bot, T2) is Status.SUBMITTED


def test_each_workspace_gets_its_own_weekly_digest_with_its_own_token(
    multi_bot: MultiBot, multi_slack: MultiWorkspaceSlack, workspaces: tuple[Workspace, Workspace]
) -> None:
    container = multi_bot.container
    now = container.clock.now()
    # A message to T1 that Slack kept refusing: listed in T1's digest only.
    enqueue(
        container.db_engine,
        f"nudge:{T1.id}:{OWNER}:lost",
        team_id=T1.id,
        channel=OWNER,
        payload={"text": "lost"},
        at=now - timedelta(days=1),
    )
    (lost,) = queue.claim(container.db_engine, now, 10, kinds=[slack_outbox.KIND])
    queue.failed(container.db_engine, lost.id, "channel_not_found", now, give_up=True)

    follow = follow_through_for(container, multi_bot.app.client)
    planned = [p for p in follow.preview() if p.kind == "digest"]
    assert sorted(p.team_id for p in planned) == sorted([T1.id, T2.id])
    report = follow.tick(force=True)
    assert report.digests == 2
    assert follow.tick(force=True).digests == 0, "once per workspace and week"

    send_due(container.db_engine, container.clock, follow.clients)
    digests = [
        call
        for call in multi_slack.calls_to("chat.postMessage")
        if call.args.get("channel") == DIGEST_CHANNEL and not call.args.get("thread_ts")
    ]
    assert sorted(bearer(d) for d in digests) == sorted([T1.token, T2.token])
    by_token = {bearer(d): d for d in digests}
    first, second = by_token[T1.token], by_token[T2.token]
    assert all(c.ok for c in digests)
    details = {
        bearer(call): text_of(call.args) + call.args.get("text", "")
        for call in multi_slack.calls_to("chat.postMessage")
        if call.args.get("channel") == DIGEST_CHANNEL and call.args.get("thread_ts")
    }
    one_text = text_of(first.args) + details.get(T1.token, "")
    two_text = text_of(second.args) + details.get(T2.token, "")
    assert ONE in one_text.lower() and TWO not in one_text.lower()
    assert TWO in two_text.lower() and ONE not in two_text.lower()
    assert "lost" in one_text and "lost" not in two_text
