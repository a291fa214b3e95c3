"""Modals: the edit form of a draft, and the "New request" form of the Home tab."""

from __future__ import annotations

import json
from typing import Any

from bot.blocks import kit
from bot.slack_text import truncate
from intake.templates.model import AnswerType, FieldSpec, RequestTemplate, TemplateSet
from intake.ticket import CORE_FIELDS, Milestone, Priority, Size, Ticket

EDIT_CALLBACK = "intake_edit_modal"
NEW_REQUEST_CALLBACK = "intake_new_request"
INPUT_LIMIT = 3000
VALUE = "value"  # placeholder action_id; kit.input_block() gives each element its block's id

# Fields every draft has, in the form's order, with the element that edits them.
TEXT_FIELDS = (
    ("problem", "Problem", True),
    ("impact", "Impact", False),
    ("desired_outcome", "Desired outcome", False),
)
LIST_FIELDS = (
    ("acceptance_criteria", "Acceptance criteria (one per line)"),
    ("out_of_scope", "Out of scope (one per line)"),
)
CRITERIA_HINT = (
    "Checks someone can verify, one per line, e.g. “p99 latency under 200 ms” or "
    "“billing-api can connect from staging”."
)
MILESTONE_HINT = "One per line: title | YYYY-MM-DD | done when…"


def new_request() -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": NEW_REQUEST_CALLBACK,
        "title": kit.plain("New platform request", kit.VIEW_TITLE),
        "submit": kit.plain("Start", kit.VIEW_TITLE),
        "close": kit.plain("Cancel", kit.VIEW_TITLE),
        "blocks": [
            kit.input_block(
                "ask",
                "What do you need from the platform team?",
                text_element(
                    "", multiline=True, placeholder="e.g. a Postgres database for billing by Dec 12"
                ),
            ),
            kit.context("I will ask a few short questions in a DM, then show you a draft ticket."),
        ],
    }


def edit(
    ask_id: int, ticket: Ticket, template: RequestTemplate, templates: TemplateSet, tz: str
) -> dict[str, Any]:
    """The draft's edit form. Its private_metadata (``edit_form_of``) carries what checking
    the submitted form needs, so the submission is answered without reading the database."""
    blocks: list[kit.Block] = [
        kit.input_block("title", "Title", text_element(ticket.title, max_length=150)),
        kit.input_block(
            "category",
            "Request type",
            _select([(t.name, t.id) for t in templates], ticket.category),
        ),
    ]
    for name, label, required in TEXT_FIELDS:
        value: str = getattr(ticket, name)
        if len(value) > INPUT_LIMIT:
            blocks.append(
                kit.context(
                    f"*{label}* is longer than a form can hold; reply in the thread to change it."
                )
            )
            continue
        blocks.append(
            kit.input_block(name, label, text_element(value, multiline=True), optional=not required)
        )
    for name, label in LIST_FIELDS:
        # Acceptance criteria are part of the definition of ready: not labelled "(optional)",
        # unless the person already said they don't know them (the draft keeps their words).
        criteria = name == "acceptance_criteria" and name not in ticket.answer_notes
        blocks.append(
            kit.input_block(
                name,
                label,
                text_element("\n".join(getattr(ticket, name)), multiline=True),
                optional=not criteria,
                hint=CRITERIA_HINT if criteria else "",
            )
        )
    date_element: dict[str, Any] = {"type": "datepicker", "action_id": VALUE}
    if ticket.deadline:
        date_element["initial_date"] = ticket.deadline.isoformat()
    blocks.append(kit.input_block("deadline", "Deadline", date_element, optional=True))
    no_deadline_option = kit.option("There is no deadline", "yes")
    checkbox: dict[str, Any] = {
        "type": "checkboxes",
        "action_id": VALUE,
        "options": [no_deadline_option],
    }
    if ticket.no_deadline:
        checkbox["initial_options"] = [no_deadline_option]
    blocks.append(kit.input_block("no_deadline", "No deadline?", checkbox, optional=True))
    env_spec = template.field("environment")
    env_options = (
        [o.value for o in env_spec.options]
        if env_spec
        else ["production", "staging", "development"]
    )
    blocks.append(
        kit.input_block(
            "environment",
            "Environment",
            _multi_select(with_typed(env_options, ticket.environment), ticket.environment),
            optional=True,
        )
    )
    blocks.append(
        kit.input_block(
            "services",
            "Services (comma-separated)",
            text_element(", ".join(ticket.services)),
            optional=True,
        )
    )
    blocks.append(
        kit.input_block(
            "priority",
            "Priority",
            _select([(p.value, p.value) for p in Priority], ticket.priority),
            optional=True,
        )
    )
    blocks.append(
        kit.input_block(
            "size", "Size", _select([(s.value, s.value) for s in Size], ticket.size), optional=True
        )
    )
    for spec in template.fields:
        if spec.name in CORE_FIELDS:  # already in the form above
            continue
        blocks.append(_field_input(spec, ticket.fields.get(spec.name)))
    blocks.append(
        kit.input_block(
            "milestones",
            "Milestones",
            text_element(_milestone_lines(ticket.milestones), multiline=True),
            optional=True,
            hint=MILESTONE_HINT,
        )
    )
    return {
        "type": "modal",
        "callback_id": EDIT_CALLBACK,
        "private_metadata": json.dumps({"ask": ask_id, "category": template.id, "tz": tz}),
        "title": kit.plain("Edit draft", kit.VIEW_TITLE),
        "submit": kit.plain("Save", kit.VIEW_TITLE),
        "close": kit.plain("Cancel", kit.VIEW_TITLE),
        "blocks": blocks[: kit.VIEW_BLOCKS],
    }


def _field_input(spec: FieldSpec, value: Any) -> kit.Block:
    element: dict[str, Any]
    if spec.type is AnswerType.CHOICE and spec.options:
        current = value if isinstance(value, list) else [value] if isinstance(value, str) else []
        options = with_typed([o.value for o in spec.options], current)
        if spec.multiple:
            element = _multi_select(options, current)
        else:
            element = _select([(o, o) for o in options], value)
    elif spec.type is AnswerType.USER:
        element = {"type": "users_select", "action_id": VALUE}
        if isinstance(value, str) and value:
            element["initial_user"] = value
    elif spec.type is AnswerType.DATE:
        element = {"type": "datepicker", "action_id": VALUE}
        if value:
            element["initial_date"] = str(value)
    elif spec.type is AnswerType.LIST:
        element = text_element("\n".join(value or []), multiline=True)
    else:
        text = (
            ""
            if value is None
            else str(int(value) if isinstance(value, float) and value.is_integer() else value)
        )
        element = text_element(text)
    label = f"{spec.label} ({spec.unit})" if spec.unit else spec.label
    return kit.input_block(f"field:{spec.name}", label, element, optional=True)


def text_element(
    value: str, *, multiline: bool = False, max_length: int = INPUT_LIMIT, placeholder: str = ""
) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": VALUE,
        "multiline": multiline,
        "max_length": max_length,
    }
    if value:
        element["initial_value"] = truncate(value, max_length)
    if placeholder:
        element["placeholder"] = kit.plain(placeholder, 150)
    return element


def with_typed(options: list[str], current: list[str]) -> list[str]:
    """A choice's options plus what the requester typed that matches none ("the k8s.io
    zone"): choices are suggestions, and saving the form must not drop a typed answer."""
    return options + [value for value in current if value and value not in options]


def _select(choices: list[tuple[str, str]], current: Any) -> dict[str, Any]:
    options = [kit.option(text, value) for text, value in choices[:100]]
    element: dict[str, Any] = {"type": "static_select", "action_id": VALUE, "options": options}
    for opt in options:
        if current is not None and opt["value"] == str(current):
            element["initial_option"] = opt
    return element


def _multi_select(values: list[str], current: list[str]) -> dict[str, Any]:
    options = [kit.option(v, v) for v in values[:100]]
    element: dict[str, Any] = {
        "type": "multi_static_select",
        "action_id": VALUE,
        "options": options,
    }
    chosen = [o for o in options if o["value"] in current]
    if chosen:
        element["initial_options"] = chosen
    return element


def _milestone_lines(milestones: list[Milestone]) -> str:
    return "\n".join(
        " | ".join([m.title, m.due.isoformat() if m.due else "", m.done_criterion]).rstrip(" |")
        for m in milestones
    )


def edit_form_of(private_metadata: str) -> tuple[int, str | None, str | None]:
    """(ask ID, request type, time zone) from an edit form's private_metadata; forms opened
    by an earlier version carry the ask ID alone (type and zone None)."""
    try:
        data = json.loads(private_metadata)
    except ValueError:
        data = None
    if isinstance(data, int):
        return data, None, None
    if not isinstance(data, dict) or not isinstance(data.get("ask"), int):
        raise ValueError("not an edit form")
    category, tz = data.get("category"), data.get("tz")
    return (
        data["ask"],
        category if isinstance(category, str) else None,
        tz if isinstance(tz, str) else None,
    )


def loading(title: str) -> dict[str, Any]:
    """A form's placeholder, opened at once (a trigger_id lasts 3 seconds) and then replaced
    by the form, or by ``unavailable``, with views.update."""
    return {
        "type": "modal",
        "title": kit.plain(title, kit.VIEW_TITLE),
        "close": kit.plain("Close", kit.VIEW_TITLE),
        "blocks": [kit.section("Loading…")],
    }


def unavailable(title: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "title": kit.plain(title, kit.VIEW_TITLE),
        "close": kit.plain("Close", kit.VIEW_TITLE),
        "blocks": [kit.section("This form could not be opened. I've sent you a note saying why.")],
    }
