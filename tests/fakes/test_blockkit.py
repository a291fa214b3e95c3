"""The Block Kit validator flags what Slack rejects and nothing a well-formed message uses."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fakes.blockkit import check_message, validate_message, validate_view


def pt(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def md(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def button(aid: str, value: str = "v", text: str = "Go") -> dict[str, Any]:
    return {"type": "button", "action_id": aid, "value": value, "text": pt(text)}


def select(aid: str, n: int) -> dict[str, Any]:
    opts = [{"text": pt(f"o{i}"), "value": f"v{i}"} for i in range(n)]
    return {"type": "static_select", "action_id": aid, "placeholder": pt("Pick"), "options": opts}


GOOD = [
    {"type": "header", "text": pt("Request R1")},
    {
        "type": "section",
        "text": md("*What:* db"),
        "fields": [md("a"), md("b")],
        "accessory": select("kind", 3),
    },
    {"type": "context", "elements": [md("by <@U1>")]},
    {"type": "divider"},
    {"type": "actions", "elements": [button("approve", "1"), button("reject", "1")]},
]


def modal(blocks: list[dict[str, Any]], **kw: Any) -> dict[str, Any]:
    return {"type": "modal", "title": pt("Intake"), "submit": pt("Send"), "blocks": blocks, **kw}


def test_well_formed_message_and_view_pass() -> None:
    assert validate_message("Request R1", GOOD) == []
    text_input = {
        "type": "input",
        "block_id": "t",
        "label": pt("Title"),
        "element": {"type": "plain_text_input", "action_id": "v", "max_length": 3000},
    }
    assert validate_view(modal([*GOOD, text_input], private_metadata="x" * 3000)) == []
    assert validate_view({"type": "home", "blocks": GOOD}) == []


@pytest.mark.parametrize(
    ("blocks", "needle"),
    [
        ([{"type": "section", "text": md("x" * 3001)}], "section text is 3001"),
        ([{"type": "section", "fields": [md("x")] * 11}], "11 fields"),
        ([{"type": "section", "fields": [md("x" * 2001)]}], "section field is 2001"),
        ([{"type": "section", "text": md("")}], "more than 0 characters"),
        ([{"type": "section", "text": "bare string"}], "must be a text object"),
        ([{"type": "header", "text": pt("h" * 151)}], "header text is 151"),
        ([{"type": "header", "text": md("h")}], "must be plain_text"),
        ([{"type": "actions", "elements": [button("a", text="t" * 76)]}], "button text is 76"),
        (
            [{"type": "actions", "elements": [button("a", value="v" * 2001)]}],
            "button value is 2001",
        ),
        ([{"type": "actions", "elements": [button("a" * 256)]}], "action_id is 256"),
        ([{"type": "divider", "block_id": "b" * 256}], "block_id is 256"),
        ([{"type": "actions", "elements": [button(f"a{i}") for i in range(26)]}], "26 elements"),
        ([{"type": "context", "elements": [md("c")] * 11}], "11 elements"),
        ([{"type": "section", "text": md("s"), "accessory": select("s", 101)}], "101 options"),
        (
            [
                {"type": "actions", "elements": [button("dup")]},
                {"type": "actions", "elements": [button("dup")]},
            ],
            "duplicate action_id 'dup'",
        ),
        ([{"type": "divider", "block_id": "d"}] * 2, "duplicate block_id"),
        ([{"type": "carousel_of_doom"}], "unknown or unsupported block type"),
        ([{"type": "actions", "elements": [{"type": "slider"}]}], "element type 'slider'"),
        ([{"type": "section", "text": md(str(i))} for i in range(51)], "51 blocks, max 50"),
    ],
)
def test_message_violations(blocks: list[dict[str, Any]], needle: str) -> None:
    problems = validate_message("fallback", blocks)
    assert any(needle in p for p in problems), problems


def test_message_level_errors_carry_slacks_codes() -> None:
    assert [v.code for v in check_message(None, None)] == ["no_text"]
    assert [v.code for v in check_message("", [])] == ["no_text"]
    assert [v.code for v in check_message("x" * 40_001, None)] == ["msg_too_long"]
    many = [{"type": "section", "text": md("x" * 2500)} for _ in range(5)]
    assert [v.code for v in check_message("x", many)] == ["msg_blocks_too_long"]
    assert [v.code for v in check_message("x", "not json")] == ["invalid_blocks"]


@pytest.mark.parametrize(
    ("view", "needle"),
    [
        (modal([], title=pt("t" * 25)), "view title is 25"),
        (modal(GOOD, submit=pt("s" * 25)), "view submit is 25"),
        (modal(GOOD, close=pt("c" * 25)), "view close is 25"),
        (modal(GOOD, private_metadata="m" * 3001), "private_metadata is 3001"),
        (modal([{"type": "divider"}] * 101), "101 blocks, max 100"),
        (modal([{"type": "section", "text": md("x" * 2900)} for _ in range(90)]), "bytes of JSON"),
        (
            modal(
                [
                    {
                        "type": "input",
                        "label": pt("L"),
                        "element": {"type": "plain_text_input", "max_length": 3001},
                    }
                ]
            ),
            "max_length must be",
        ),
        (
            {
                "type": "modal",
                "title": pt("T"),
                "blocks": [
                    {"type": "input", "label": pt("L"), "element": {"type": "plain_text_input"}}
                ],
            },
            "needs a submit button",
        ),
        ({"type": "home", "blocks": GOOD, "submit": pt("x")}, "home view cannot have submit"),
        ({"type": "dialog", "blocks": []}, "view type must be modal or home"),
        (modal([{"type": "file", "external_id": "x", "source": "remote"}]), "type 'file'"),
    ],
)
def test_view_violations(view: dict[str, Any], needle: str) -> None:
    problems = validate_view(view)
    assert any(needle in p for p in problems), problems


def test_slack_sdk_catches_what_our_walk_does_not() -> None:
    image = {"type": "image", "image_url": "https://x/y.png", "alt_text": "a" * 2001}
    problems = validate_message("x", [image])
    assert problems and all("json-pointer:/blocks/0" in p for p in problems)
