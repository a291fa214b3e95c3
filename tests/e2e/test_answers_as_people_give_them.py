"""Answers as people give them, through Slack: "not sure" in its many forms is noted and never
asked again, typed answers to choice questions are kept, an unreadable answer gets one more
question in other words, and a broadcast mention is nobody's service."""

from __future__ import annotations

from tests.e2e.conftest import REQUESTER
from tests.e2e.helpers import Conversation, review_card, start_dm, text_of, wait_for_bot
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_requests import SlackDriver


def questions(c: Conversation) -> list[str]:
    """The questions asked so far, as shown (answered ones included), oldest first."""
    return [
        line
        for m in c.bot_messages
        for line in text_of(m).splitlines()
        if line.startswith("*Question ")
    ]


def opened(driver: SlackDriver, slack: FakeSlack, ask: str, first_about: str) -> Conversation:
    """The requester's DM intake opened with ``ask``; its first question is about
    ``first_about``."""
    c = start_dm(driver, slack, REQUESTER, ask)
    assert first_about in text_of(c.last).lower()
    return c


def test_not_sure_is_noted_for_the_lead_and_never_asked_again(
    driver: SlackDriver, slack: FakeSlack
) -> None:
    c = opened(driver, slack, "we need a postgres db for billing", "environment")
    c.say("not sure, whatever you recommend")

    # The question shows what was kept; the next question is about something else.
    answered = "\n".join(text_of(m) for m in c.bot_messages)
    assert "Noted: left to the platform team — “not sure, whatever you recommend”" in answered
    assert "environment" not in text_of(c.last).lower()

    for reply in ("no idea", "dunno tbh", "you pick", "n/a", "?"):
        if "Submit" in text_of(c.last) or "Draft" in text_of(c.last):
            break
        c.say(reply)
    asked = [q.split(":*", 1)[1] for q in questions(c)]
    assert len(asked) == len(set(asked)), f"a question came back: {asked}"

    draft = text_of(c.draft())
    assert "From the requester's answers" in draft
    assert "Environments: left to the platform team — “not sure, whatever you recommend”" in (
        draft.replace("&quot;", '"')
    )
    services = draft.split("*Services*\n", 1)[1].splitlines()[0]
    assert services == "billing", "“not sure” is never stored as a service"

    # Everything was answered, if not known: the lead gets the ask with the person's words.
    c.click_button("Submit")
    card = text_of(review_card(slack))
    assert "From the requester's answers" in card and "Storage: not sure — “no idea”" in card


def test_typed_answers_to_choices_are_kept_and_an_unreadable_one_is_asked_once_more(
    driver: SlackDriver, slack: FakeSlack
) -> None:
    c = opened(driver, slack, "our CI builds are slow, no deadline", "pipeline")
    c.say("<!channel> ci.jenkins.io")
    while "minutes" not in text_of(c.last):
        c.say("skip")
    c.say("forever")
    again = text_of(c.last)
    assert "couldn't find a number" in again and "Put another way" in again
    c.say("back near the ~3 hours they took")
    assert "minutes" not in text_of(c.last), "not asked a third time"
    c.say("done")

    draft = text_of(c.draft())
    assert "ci.jenkins.io" in draft and "channel" not in draft
    assert "180 minutes" in draft, "~3 hours in a field in minutes"


def test_a_typed_environment_is_kept_on_the_draft_and_through_the_edit_form(
    driver: SlackDriver, slack: FakeSlack
) -> None:
    c = opened(driver, slack, "we need a postgres db for billing asap", "environment")
    c.say("prod and the k8s.io zone")
    c.say("done")
    assert "production, the k8s.io zone" in text_of(c.draft())

    c.click_button("Edit")
    form = slack.current_view(REQUESTER)
    assert form is not None
    before = len(slack.calls)
    # Saved as shown (only the criteria the form requires are typed): nothing typed may be lost.
    driver.submit_view(REQUESTER, form, acceptance_criteria="billing-api connects from production")
    wait_for_bot(slack, before)
    assert "production, the k8s.io zone" in text_of(c.draft())
