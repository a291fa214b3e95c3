"""What a refused request answers (bot.busy): the words reach the person where Slack shows
them, and a form stays open with what was typed."""

from __future__ import annotations

import json

from bot.busy import FORM_SLOW_DOWN, SLOW_DOWN_INTAKE, answer, classify
from bot.limits import Kind


def test_a_refused_slash_command_says_why_and_what_was_typed() -> None:
    body = {"command": "/intake", "text": "a <db> for billing", "team_id": "T1", "user_id": "U1"}
    assert classify(body) == (Kind.INTAKE, "T1", "U1")
    shown = json.loads(str(answer(body, "person", Kind.INTAKE, None).body))
    assert shown["response_type"] == "ephemeral"
    assert shown["text"].startswith(SLOW_DOWN_INTAKE)
    assert "`/intake a &lt;db&gt; for billing`" in shown["text"]


def test_read_only_commands_are_actions_not_new_intakes() -> None:
    for text in ("", "help", "list", "show PLAT-1"):
        body = {"command": "/intake", "text": text, "team_id": "T1", "user_id": "U1"}
        assert classify(body) == (Kind.ACTION, "T1", "U1")


def test_a_mention_starts_an_intake_but_a_mention_in_a_thread_answers_there() -> None:
    def mention(**extra: str) -> dict[str, object]:
        event = {"type": "app_mention", "user": "U1", "ts": "2.0", **extra}
        return {"type": "event_callback", "team_id": "T1", "event": event}

    assert classify(mention()) == (Kind.INTAKE, "T1", "U1")
    assert classify(mention(thread_ts="1.0")) == (Kind.ACTION, "T1", "U1")


def test_a_refused_form_stays_open_with_a_note_on_its_first_field() -> None:
    body = {
        "type": "view_submission",
        "user": {"id": "U1", "team_id": "T1"},
        "team": {"id": "T1"},
        "view": {
            "blocks": [
                {"type": "section", "block_id": "intro"},
                {"type": "input", "block_id": "title"},
                {"type": "input", "block_id": "details"},
            ]
        },
    }
    assert classify(body) == (Kind.ACTION, "T1", "U1")
    shown = json.loads(str(answer(body, "person", Kind.ACTION, None).body))
    assert shown == {"response_action": "errors", "errors": {"title": FORM_SLOW_DOWN}}
    busy = json.loads(str(answer(body, "busy", Kind.ACTION, None).body))
    assert "busy" in busy["errors"]["title"]


def test_events_without_a_person_are_left_alone() -> None:
    own = {"type": "event_callback", "team_id": "T1", "event": {"type": "message", "bot_id": "B"}}
    edited = {
        "type": "event_callback",
        "team_id": "T1",
        "event": {"type": "message", "subtype": "message_changed", "user": "U1"},
    }
    assert classify(own) is None and classify(edited) is None
    message = {"type": "message", "user": "U1", "channel": "D1", "channel_type": "im"}
    dm = {"type": "event_callback", "team_id": "T1", "event": message}
    assert classify(dm) == (Kind.ACTION, "T1", "U1")
    # Talk in a channel the bot is in is not a request to the bot: never a "busy" note.
    chatter = {**message, "channel": "C1", "channel_type": "channel"}
    assert classify({**dm, "event": chatter}) is None
    assert answer(dm, "busy", Kind.ACTION, None).body == ""
