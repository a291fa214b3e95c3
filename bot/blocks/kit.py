"""Block Kit primitives that respect Slack's limits by construction (see
shared/docs/slack-platform.md): every text is cut with an ellipsis rather than rejected."""

from __future__ import annotations

from typing import Any

from bot.slack_text import truncate

Block = dict[str, Any]

SECTION_TEXT = 3000
FIELD_TEXT = 2000
HEADER_TEXT = 150
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
CONTEXT_ELEMENTS = 10
ACTIONS_ELEMENTS = 25
MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
VIEW_TITLE = 24
OPTION_TEXT = 75
MESSAGE_TEXT = 3000  # the notification fallback; the full content lives in blocks


def plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": truncate(text, limit) or " ", "emoji": True}


def mrkdwn(text: str, limit: int = SECTION_TEXT) -> dict[str, Any]:
    """``text`` must already be escaped where it holds a person's words (bot.slack_text.safe)."""
    return {"type": "mrkdwn", "text": truncate(text, limit) or " "}


def section(text: str, *, accessory: dict[str, Any] | None = None, block_id: str = "") -> Block:
    block: Block = {"type": "section", "text": mrkdwn(text)}
    if accessory:
        block["accessory"] = accessory
    if block_id:
        block["block_id"] = block_id
    return block


def fields(items: list[str]) -> Block:
    """A section of up to 10 short mrkdwn fields (shown in two columns)."""
    return {"type": "section", "fields": [mrkdwn(item, FIELD_TEXT) for item in items[:10]]}


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text, HEADER_TEXT)}


def context(*texts: str) -> Block:
    return {
        "type": "context",
        "elements": [mrkdwn(text) for text in texts[:CONTEXT_ELEMENTS]],
    }


def divider() -> Block:
    return {"type": "divider"}


def button(
    text: str, action_id: str, value: str = "", *, style: str | None = None
) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button",
        "text": plain(text, BUTTON_TEXT),
        "action_id": action_id[:255],
    }
    if value:
        element["value"] = value[:BUTTON_VALUE]
    if style:
        element["style"] = style
    return element


def actions(*elements: dict[str, Any], block_id: str = "") -> Block:
    block: Block = {"type": "actions", "elements": list(elements[:ACTIONS_ELEMENTS])}
    if block_id:
        block["block_id"] = block_id[:255]
    return block


def option(text: str, value: str) -> dict[str, Any]:
    return {"text": plain(text, OPTION_TEXT), "value": value[:150]}


def message(text: str, blocks: list[Block]) -> dict[str, Any]:
    """chat.postMessage / chat.update arguments: a notification fallback and the blocks."""
    return {"text": truncate(text, MESSAGE_TEXT), "blocks": blocks[:MESSAGE_BLOCKS]}


def text_of(message: dict[str, Any]) -> str:
    """A message's readable text, block by block (for previews in a terminal)."""
    lines: list[str] = []
    for block in message.get("blocks") or []:
        if block.get("text"):
            lines.append(block["text"]["text"])
        lines += [field["text"] for field in block.get("fields") or []]
        lines += [e["text"] for e in block.get("elements") or [] if e.get("type") == "mrkdwn"]
        buttons = [
            e["text"]["text"] for e in block.get("elements") or [] if e.get("type") == "button"
        ]
        if buttons:
            lines.append("  ".join(f"[{b}]" for b in buttons))
    return "\n".join(lines) or str(message.get("text", ""))


def input_block(
    block_id: str, label: str, element: dict[str, Any], *, optional: bool = False, hint: str = ""
) -> Block:
    """An input whose element's action_id is its block_id (unique in the view, as Slack
    wants; bot.forms reads values back by block_id)."""
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label, 2000),
        "element": {**element, "action_id": block_id},
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint, 2000)
    return block


def modal(
    callback_id: str, title: str, submit: str, blocks: list[Block], private_metadata: str = ""
) -> dict[str, Any]:
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(title, VIEW_TITLE),
        "submit": plain(submit, VIEW_TITLE),
        "close": plain("Cancel", VIEW_TITLE),
        "blocks": blocks[:VIEW_BLOCKS],
    }
    if private_metadata:
        view["private_metadata"] = truncate(private_metadata, 3000)
    return view
