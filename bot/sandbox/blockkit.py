"""Over 400 lines: one validator; most of it is the walk over every Block Kit block and element
type (``_Walker``) and the table of limits it checks.

Block Kit validation the way Slack's servers do it (as far as tests need).

Two layers:
1. Our own walk over the raw JSON, checking the limits listed in /work/shared/docs/slack-platform.md
   (many of which slack_sdk does not check), unknown block/element types, duplicate ids and empty
   texts.
2. slack_sdk.models as a second net: every block is parsed with ``Block.parse(...).to_dict()`` and
   the view with ``View(**view).to_dict()``; SlackObjectFormationError becomes a violation. It only
   runs on blocks our own walk found nothing wrong with, so one problem is reported once.

Messages are written like Slack's ``errors`` entries:
``"<what is wrong> [json-pointer:/blocks/3/text]"``.

Public API:
    validate_message(text, blocks, attachments=None) -> list[str]
    validate_view(view) -> list[str]
    check_message(...) / check_view(...) -> list[Violation]   (same, with the Slack error code)
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

# ---- limits (Slack docs; see /work/shared/docs/slack-platform.md) ----
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_VIEW_BYTES = 250_000
MAX_MESSAGE_TEXT = 40_000
MAX_MESSAGE_BLOCKS_TEXT = 12_000
MAX_SECTION_TEXT = 3000
MAX_SECTION_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_URL = 3000
MAX_ID = 255
MAX_ACTIONS_ELEMENTS = 25
MAX_CONTEXT_ELEMENTS = 10
MAX_PLACEHOLDER = 150
MAX_OPTIONS = 100
MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150
MAX_CHECKBOX_OPTIONS = 10
MAX_OVERFLOW_OPTIONS = 5
MAX_INPUT_LENGTH = 3000
MAX_LABEL = 2000
MAX_ALT_TEXT = 2000
MAX_PRIVATE_METADATA = 3000
MAX_VIEW_TITLE = 24
MAX_MARKDOWN_BLOCK = 12_000

MESSAGE_BLOCK_TYPES = frozenset(
    {
        "section",
        "divider",
        "image",
        "actions",
        "context",
        "input",
        "file",
        "header",
        "video",
        "rich_text",
        "markdown",
        "table",
        "call",
    }
)
VIEW_BLOCK_TYPES = MESSAGE_BLOCK_TYPES - {"file", "table", "call"}

SELECTS = frozenset(
    {
        "static_select",
        "external_select",
        "users_select",
        "conversations_select",
        "channels_select",
        "multi_static_select",
        "multi_external_select",
        "multi_users_select",
        "multi_conversations_select",
        "multi_channels_select",
    }
)
ACTIONS_ELEMENTS = SELECTS | {
    "button",
    "checkboxes",
    "datepicker",
    "datetimepicker",
    "timepicker",
    "overflow",
    "radio_buttons",
    "workflow_button",
    "rich_text_input",
}
ACCESSORY_ELEMENTS = SELECTS | {
    "button",
    "checkboxes",
    "datepicker",
    "image",
    "overflow",
    "radio_buttons",
    "timepicker",
    "workflow_button",
}
INPUT_ELEMENTS = SELECTS | {
    "plain_text_input",
    "email_text_input",
    "url_text_input",
    "number_input",
    "rich_text_input",
    "file_input",
    "checkboxes",
    "radio_buttons",
    "datepicker",
    "datetimepicker",
    "timepicker",
}
CONTEXT_ELEMENTS = frozenset({"image", "plain_text", "mrkdwn"})
TEXT_TYPES = frozenset({"plain_text", "mrkdwn"})

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# slack_sdk logs a warning for every unknown block/key; our own walk reports those already.
logging.getLogger("slack_sdk.models").setLevel(logging.ERROR)


@dataclass(frozen=True)
class Violation:
    """One problem; ``code`` is the error Slack would answer with."""

    code: str  # invalid_blocks | msg_too_long | msg_blocks_too_long | no_text | invalid_arguments
    message: str

    def __str__(self) -> str:
        return self.message


def _ptr(path: str) -> str:
    return f" [json-pointer:{path}]"


class _Walker:
    def __init__(self, kind: str, code: str) -> None:
        self.kind = kind  # "message" | "modal" | "home"
        self.code = code
        self.errors: list[Violation] = []
        self.action_ids: dict[str, str] = {}
        self.block_ids: dict[str, str] = {}

    def err(self, msg: str, path: str) -> None:
        self.errors.append(Violation(self.code, msg + _ptr(path)))

    # ---- text objects ----
    def text(
        self,
        obj: Any,
        path: str,
        what: str,
        *,
        max_len: int | None = None,
        plain_only: bool = False,
        required: bool = True,
    ) -> None:
        if obj is None:
            if required:
                self.err(f"{what} is required", path)
            return
        not_object = f"{what} must be a text object, got {type(obj).__name__}"
        t = self.type_of(obj, path, TEXT_TYPES, not_object, f"{what} has invalid text type {{}}")
        if t is None:
            return
        if plain_only and t != "plain_text":
            self.err(f"{what} must be plain_text, got {t}", f"{path}/type")
        s = obj.get("text")
        if not isinstance(s, str):
            self.err(f"{what} text must be a string", f"{path}/text")
            return
        if not s:
            self.err(f"{what} must be more than 0 characters", f"{path}/text")
        if max_len is not None and len(s) > max_len:
            self.err(f"{what} is {len(s)} characters, max {max_len}", f"{path}/text")

    def type_of(
        self, obj: Any, path: str, allowed: Collection[str], not_object: str, unknown: str
    ) -> str | None:
        """``obj["type"]`` when ``obj`` is an object of an ``allowed`` type, else None: then
        ``not_object`` or ``unknown`` (its ``{}`` is the type found) says why."""
        if not isinstance(obj, dict):
            self.err(not_object, path)
            return None
        t = obj.get("type")
        if t not in allowed:
            self.err(unknown.format(repr(t)), f"{path}/type")
            return None
        return str(t)

    def plain(self, obj: Any, path: str, what: str, max_len: int, required: bool = True) -> None:
        """A plain_text object (``required``, or one that may be left out)."""
        self.text(obj, path, what, max_len=max_len, plain_only=True, required=required)

    def optional_plain(self, obj: Any, path: str, what: str, max_len: int) -> None:
        self.plain(obj, path, what, max_len, required=False)

    def str_limit(self, value: Any, path: str, what: str, max_len: int) -> None:
        if value is None:
            return
        if not isinstance(value, str):
            self.err(f"{what} must be a string", path)
        elif len(value) > max_len:
            self.err(f"{what} is {len(value)} characters, max {max_len}", path)

    def required_str(self, value: Any, path: str, what: str, max_len: int, missing: str) -> bool:
        """A string that must be there and not empty (``missing`` says so if not)."""
        if not isinstance(value, str) or not value:
            self.err(missing, path)
            return False
        self.str_limit(value, path, what, max_len)
        return True

    def unique_id(self, owner: dict[str, Any], path: str, key: str, seen: dict[str, str]) -> None:
        """``owner[key]`` (a block_id or action_id), when given: a short string used once."""
        value = owner.get(key)
        if value is None:
            return
        where = f"{path}/{key}"
        if self.required_str(value, where, key, MAX_ID, f"{key} must be a non-empty string"):
            if value in seen:
                self.err(f"duplicate {key} {value!r} (also at {seen[value]})", where)
            else:
                seen[value] = path

    def elements(self, b: dict[str, Any], p: str, block: str, max_n: int) -> list[Any]:
        """A block's non-empty ``elements`` array of at most ``max_n`` (empty when invalid)."""
        els = b.get("elements")
        if not isinstance(els, list) or not els:
            self.err(f"{block} block needs a non-empty elements array", f"{p}/elements")
            return []
        if len(els) > max_n:
            self.err(f"{block} block has {len(els)} elements, max {max_n}", f"{p}/elements")
        return els

    # ---- blocks ----
    def blocks(self, blocks: Any, path: str, max_blocks: int) -> list[int]:
        """Check a blocks array; returns indexes of blocks with no violation (for the sdk pass)."""
        if not isinstance(blocks, list):
            self.err(f"blocks must be an array, got {type(blocks).__name__}", path)
            return []
        if len(blocks) > max_blocks:
            self.err(f"{len(blocks)} blocks, max {max_blocks} per {self.kind}", path)
        allowed = MESSAGE_BLOCK_TYPES if self.kind == "message" else VIEW_BLOCK_TYPES
        clean = []
        for i, block in enumerate(blocks):
            before = len(self.errors)
            self.block(block, f"{path}/{i}", allowed)
            if len(self.errors) == before:
                clean.append(i)
        return clean

    def block(self, b: Any, path: str, allowed: frozenset[str]) -> None:
        where = "a message" if self.kind == "message" else f"a {self.kind} view"
        not_object = f"block must be an object, got {type(b).__name__}"
        t = self.type_of(
            b, path, allowed, not_object, f"unknown or unsupported block type {{}} in {where}"
        )
        if t is None:
            return
        self.unique_id(b, path, "block_id", self.block_ids)
        getattr(self, f"block_{t}", lambda b, p: None)(b, path)

    def block_section(self, b: dict[str, Any], p: str) -> None:
        text, fields = b.get("text"), b.get("fields")
        if text is None and not fields:
            self.err("section needs text or fields", p)
        if text is not None:
            self.text(text, f"{p}/text", "section text", max_len=MAX_SECTION_TEXT)
        if fields is not None:
            if not isinstance(fields, list):
                self.err("section fields must be an array", f"{p}/fields")
            else:
                if len(fields) > MAX_SECTION_FIELDS:
                    self.err(
                        f"section has {len(fields)} fields, max {MAX_SECTION_FIELDS}", f"{p}/fields"
                    )
                for i, f in enumerate(fields):
                    self.text(f, f"{p}/fields/{i}", "section field", max_len=MAX_FIELD_TEXT)
        if b.get("accessory") is not None:
            self.element(b["accessory"], f"{p}/accessory", ACCESSORY_ELEMENTS, "section accessory")

    def block_header(self, b: dict[str, Any], p: str) -> None:
        self.plain(b.get("text"), f"{p}/text", "header text", MAX_HEADER_TEXT)

    def block_actions(self, b: dict[str, Any], p: str) -> None:
        for i, e in enumerate(self.elements(b, p, "actions", MAX_ACTIONS_ELEMENTS)):
            self.element(e, f"{p}/elements/{i}", ACTIONS_ELEMENTS, "actions element")

    def block_context(self, b: dict[str, Any], p: str) -> None:
        for i, e in enumerate(self.elements(b, p, "context", MAX_CONTEXT_ELEMENTS)):
            ep = f"{p}/elements/{i}"
            if isinstance(e, dict) and e.get("type") in TEXT_TYPES:
                self.text(e, ep, "context text", max_len=MAX_SECTION_TEXT)
            else:
                self.element(e, ep, CONTEXT_ELEMENTS, "context element")

    def block_input(self, b: dict[str, Any], p: str) -> None:
        self.plain(b.get("label"), f"{p}/label", "input label", MAX_LABEL)
        self.optional_plain(b.get("hint"), f"{p}/hint", "input hint", MAX_LABEL)
        if b.get("element") is None:
            self.err("input block needs an element", f"{p}/element")
        else:
            self.element(b["element"], f"{p}/element", INPUT_ELEMENTS, "input element")

    def block_image(self, b: dict[str, Any], p: str) -> None:
        if not b.get("image_url") and not b.get("slack_file"):
            self.err("image block needs image_url or slack_file", p)
        self.str_limit(b.get("image_url"), f"{p}/image_url", "image_url", MAX_URL)
        alt = b.get("alt_text")
        self.required_str(
            alt, f"{p}/alt_text", "alt_text", MAX_ALT_TEXT, "image block needs alt_text"
        )
        self.optional_plain(b.get("title"), f"{p}/title", "image title", MAX_ALT_TEXT)

    def block_markdown(self, b: dict[str, Any], p: str) -> None:
        missing = "markdown block needs a non-empty text string"
        self.required_str(b.get("text"), f"{p}/text", "markdown text", MAX_MARKDOWN_BLOCK, missing)

    def block_rich_text(self, b: dict[str, Any], p: str) -> None:
        if not isinstance(b.get("elements"), list):
            self.err("rich_text block needs an elements array", f"{p}/elements")

    # ---- elements ----
    def element(self, e: Any, p: str, allowed: Collection[str], where: str) -> None:
        unknown = f"unknown or unsupported element type {{}} as {where}"
        t = self.type_of(e, p, allowed, f"{where} must be an object", unknown)
        if t is None:
            return
        self.unique_id(e, p, "action_id", self.action_ids)
        if "placeholder" in e:
            self.plain(e["placeholder"], f"{p}/placeholder", f"{t} placeholder", MAX_PLACEHOLDER)
        if t == "button":
            self.plain(e.get("text"), f"{p}/text", "button text", MAX_BUTTON_TEXT)
            self.str_limit(e.get("value"), f"{p}/value", "button value", MAX_BUTTON_VALUE)
            self.str_limit(e.get("url"), f"{p}/url", "button url", MAX_URL)
            if e.get("style") not in (None, "primary", "danger"):
                self.err(
                    f"button style must be primary or danger, got {e['style']!r}", f"{p}/style"
                )
        elif t in ("static_select", "multi_static_select"):
            opts, groups = e.get("options"), e.get("option_groups")
            if (opts is None) == (groups is None):
                self.err(f"{t} needs exactly one of options / option_groups", p)
            all_opts: list[tuple[Any, str]] = []
            if opts is not None:
                all_opts += self.options(opts, f"{p}/options", MAX_OPTIONS, t)
            if groups is not None:
                if not isinstance(groups, list) or len(groups) > MAX_OPTIONS:
                    self.err(
                        f"{t} option_groups must be an array of at most {MAX_OPTIONS}",
                        f"{p}/option_groups",
                    )
                else:
                    for gi, g in enumerate(groups):
                        gp = f"{p}/option_groups/{gi}"
                        g = g if isinstance(g, dict) else {}
                        self.plain(
                            g.get("label"), f"{gp}/label", "option group label", MAX_OPTION_TEXT
                        )
                        all_opts += self.options(g.get("options"), f"{gp}/options", MAX_OPTIONS, t)
            values = {o.get("value") for o, _ in all_opts if isinstance(o, dict)}
            initial = [e["initial_option"]] if e.get("initial_option") else []
            initial += e.get("initial_options") or []
            for o in initial:
                if not isinstance(o, dict) or o.get("value") not in values:
                    self.err(f"{t} initial option is not one of its options", f"{p}/initial_option")
        elif t in ("checkboxes", "radio_buttons"):
            self.options(e.get("options"), f"{p}/options", MAX_CHECKBOX_OPTIONS, t)
        elif t == "overflow":
            self.options(e.get("options"), f"{p}/options", MAX_OVERFLOW_OPTIONS, t)
        elif t == "plain_text_input":
            mx, mn = e.get("max_length"), e.get("min_length")
            if mx is not None and (not isinstance(mx, int) or not 1 <= mx <= MAX_INPUT_LENGTH):
                self.err(
                    f"plain_text_input max_length must be 1..{MAX_INPUT_LENGTH}, got {mx!r}",
                    f"{p}/max_length",
                )
            if mn is not None and (not isinstance(mn, int) or not 0 <= mn <= MAX_INPUT_LENGTH):
                self.err(
                    f"plain_text_input min_length must be 0..{MAX_INPUT_LENGTH}, got {mn!r}",
                    f"{p}/min_length",
                )
            if isinstance(mx, int) and isinstance(mn, int) and mn > mx:
                self.err("plain_text_input min_length exceeds max_length", f"{p}/min_length")
            iv = e.get("initial_value")
            limit = mx if isinstance(mx, int) and 1 <= mx <= MAX_INPUT_LENGTH else MAX_INPUT_LENGTH
            self.str_limit(iv, f"{p}/initial_value", "plain_text_input initial_value", limit)
        elif t == "datepicker":
            d = e.get("initial_date")
            if d is not None and (not isinstance(d, str) or not _DATE.match(d)):
                self.err(
                    f"datepicker initial_date must be YYYY-MM-DD, got {d!r}", f"{p}/initial_date"
                )
        elif t == "image":
            if not e.get("image_url") and not e.get("slack_file"):
                self.err("image element needs image_url or slack_file", p)
            if not e.get("alt_text"):
                self.err("image element needs alt_text", f"{p}/alt_text")

    def options(self, opts: Any, p: str, max_n: int, owner: str) -> list[tuple[Any, str]]:
        if not isinstance(opts, list) or not opts:
            self.err(f"{owner} needs a non-empty options array", p)
            return []
        if len(opts) > max_n:
            self.err(f"{owner} has {len(opts)} options, max {max_n}", p)
        out = []
        for i, o in enumerate(opts):
            op = f"{p}/{i}"
            out.append((o, op))
            if not isinstance(o, dict):
                self.err("option must be an object", op)
                continue
            plain = owner not in ("checkboxes", "radio_buttons")
            limit = MAX_OPTION_TEXT
            self.text(o.get("text"), f"{op}/text", "option text", max_len=limit, plain_only=plain)
            v = o.get("value")
            if owner != "overflow" or v is not None:
                missing = "option value must be a non-empty string"
                self.required_str(v, f"{op}/value", "option value", MAX_OPTION_VALUE, missing)
            self.text(
                o.get("description"),
                f"{op}/description",
                "option description",
                max_len=limit,
                required=False,
            )
        return out


def _sdk_block_pass(w: _Walker, blocks: list[Any], clean: list[int], path: str) -> None:
    for i in clean:
        try:
            parsed = Block.parse(blocks[i])
            if parsed is not None:
                parsed.to_dict()
        except SlackObjectFormationError as e:
            w.err(f"slack_sdk: {e}", f"{path}/{i}")
        except Exception as e:  # malformed input the models cannot even construct
            w.err(f"slack_sdk could not build the block: {type(e).__name__}: {e}", f"{path}/{i}")


def _text_total(obj: Any) -> int:
    """Characters of every "text" string inside the blocks (text objects, fields, rich text...)."""
    if isinstance(obj, list):
        return sum(_text_total(x) for x in obj)
    if isinstance(obj, dict):
        n = 0
        for k, v in obj.items():
            if k == "text" and isinstance(v, str):
                n += len(v)
            else:
                n += _text_total(v)
        return n
    return 0


def _maybe_json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    if isinstance(value, (list, tuple)):
        return [b.to_dict() if hasattr(b, "to_dict") else b for b in value]
    return value


def check_message(text: Any, blocks: Any, attachments: Any = None) -> list[Violation]:
    """Violations for a chat.postMessage / chat.update / postEphemeral / response_url body."""
    blocks = _maybe_json(blocks)
    attachments = _maybe_json(attachments)
    out: list[Violation] = []
    has_text = isinstance(text, str) and text.strip() != ""
    has_blocks = isinstance(blocks, list) and len(blocks) > 0
    if not has_text and not has_blocks and not attachments:
        return [Violation("no_text", "message has neither text nor blocks (no_text)")]
    if text is not None and not isinstance(text, str):
        out.append(
            Violation("invalid_arguments", f"text must be a string, got {type(text).__name__}")
        )
    elif isinstance(text, str) and len(text) > MAX_MESSAGE_TEXT:
        out.append(
            Violation(
                "msg_too_long", f"message text is {len(text)} characters, max {MAX_MESSAGE_TEXT}"
            )
        )
    if blocks is None:
        return out
    w = _Walker("message", "invalid_blocks")
    clean = w.blocks(blocks, "/blocks", MAX_MESSAGE_BLOCKS)
    if isinstance(blocks, list):
        _sdk_block_pass(w, blocks, clean, "/blocks")
    out += w.errors
    if isinstance(blocks, list):
        total = _text_total(blocks)
        if total > MAX_MESSAGE_BLOCKS_TEXT:
            out.append(
                Violation(
                    "msg_blocks_too_long",
                    f"text across the message's blocks is {total} characters, "
                    f"max about {MAX_MESSAGE_BLOCKS_TEXT} (msg_blocks_too_long)",
                )
            )
    return out


def check_view(view: Any, *, expect_type: str | None = None) -> list[Violation]:
    """Violations for a view given to views.open/push/update/publish or a response_action."""
    view = _maybe_json(view)
    if hasattr(view, "to_dict"):
        view = view.to_dict()
    code = "invalid_arguments"
    if not isinstance(view, dict):
        return [
            Violation(
                code, f"view must be an object, got {type(view).__name__} [json-pointer:/view]"
            )
        ]
    vtype = view.get("type")
    if vtype not in ("modal", "home"):
        return [
            Violation(
                code, f"view type must be modal or home, got {vtype!r} [json-pointer:/view/type]"
            )
        ]
    w = _Walker(vtype, code)
    if expect_type and vtype != expect_type:
        w.err(f"view type must be {expect_type} here, got {vtype}", "/view/type")
    size = len(json.dumps(view, separators=(",", ":"), ensure_ascii=False).encode())
    if size > MAX_VIEW_BYTES:
        w.err(f"view is {size} bytes of JSON, max {MAX_VIEW_BYTES}", "/view")
    if vtype == "modal":
        w.plain(view.get("title"), "/view/title", "view title", MAX_VIEW_TITLE)
        for k in ("submit", "close"):
            w.optional_plain(view.get(k), f"/view/{k}", f"view {k}", MAX_VIEW_TITLE)
        blocks = view.get("blocks")
        if (
            isinstance(blocks, list)
            and any(isinstance(b, dict) and b.get("type") == "input" for b in blocks)
            and view.get("submit") is None
        ):
            w.err("a modal with input blocks needs a submit button", "/view/submit")
    else:
        for k in ("submit", "close"):
            if view.get(k) is not None:
                w.err(f"a home view cannot have {k}", f"/view/{k}")
    w.str_limit(
        view.get("private_metadata"),
        "/view/private_metadata",
        "private_metadata",
        MAX_PRIVATE_METADATA,
    )
    w.str_limit(view.get("callback_id"), "/view/callback_id", "callback_id", MAX_ID)
    w.str_limit(view.get("external_id"), "/view/external_id", "external_id", MAX_ID)
    blocks = view.get("blocks")
    if blocks is None:
        w.err("view needs a blocks array", "/view/blocks")
    else:
        clean = w.blocks(blocks, "/view/blocks", MAX_VIEW_BLOCKS)
        if isinstance(blocks, list):
            _sdk_block_pass(w, blocks, clean, "/view/blocks")
    if not w.errors:
        rest = {k: v for k, v in view.items() if k != "state"}  # blocks are clean by now
        try:
            View(**rest).to_dict()
        except SlackObjectFormationError as e:
            w.err(f"slack_sdk: {e}", "/view")
        except Exception as e:
            w.err(f"slack_sdk could not build the view: {type(e).__name__}: {e}", "/view")
    return w.errors


def validate_message(text: Any, blocks: Any, attachments: Any = None) -> list[str]:
    """Human-readable violations Slack would reject this message for ([] when fine)."""
    return [v.message for v in check_message(text, blocks, attachments)]


def validate_view(view: Any) -> list[str]:
    """Human-readable violations Slack would reject this view for ([] when fine)."""
    return [v.message for v in check_view(view)]
