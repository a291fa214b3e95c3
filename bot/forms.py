"""Reading submitted modals back into typed ticket values, with per-field errors that Slack shows
next to the input (response_action "errors")."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from bot.blocks.modals import INPUT_LIMIT
from bot.blocks.review_modals import milestones_from_view
from bot.slack_text import normalize_incoming
from intake.answer_parsing import AnswerError, parse_answer
from intake.stored_text import clean
from intake.templates.model import AnswerType, RequestTemplate
from intake.ticket import Milestone, Priority, Size

Values = dict[str, Any]
Errors = dict[str, str]


def state_value(state: dict[str, Any], block_id: str) -> Any:
    """The value of one input of a view's state, whatever its element type; None if absent."""
    elements = state.get("values", {}).get(block_id) or {}
    element = next(iter(elements.values()), None)  # one input element per block
    if element is None:
        return None
    kind = element.get("type")
    if kind == "plain_text_input":
        # Slack holds an input to its max_length (INPUT_LIMIT at most); a longer value was not
        # typed into this form, and is cut with a note rather than stored whole.
        return clean(str(element.get("value") or ""), INPUT_LIMIT)
    if kind == "datepicker":
        return element.get("selected_date")
    if kind == "static_select":
        selected = element.get("selected_option")
        return selected["value"] if selected else None
    if kind in ("multi_static_select", "checkboxes"):
        return [o["value"] for o in element.get("selected_options") or []]
    if kind == "users_select":
        return element.get("selected_user")
    return element.get("value")


def read_new_request(state: dict[str, Any]) -> tuple[str, Errors]:
    text = normalize_incoming(state_value(state, "ask") or "").strip()
    if not text:
        return "", {"ask": "Tell me in a sentence what you need."}
    return text, {}


def read_edit(
    state: dict[str, Any], template: RequestTemplate, today: date
) -> tuple[Values, Errors]:
    values: Values = {}
    errors: Errors = {}
    present = state.get("values", {})

    def text(name: str) -> str | None:
        if name not in present:
            return None
        return normalize_incoming(state_value(state, name) or "").strip()

    title = text("title")
    if title is not None:
        if not title:
            errors["title"] = "A title helps the platform team find this ask."
        values["title"] = title
    category = state_value(state, "category")
    if category:
        values["category"] = category
    for name in ("problem", "impact", "desired_outcome"):
        value = text(name)
        if value is not None:
            values[name] = value
    if values.get("problem", "x") == "":
        errors["problem"] = "Describe the problem in a sentence or two."
    for name in ("acceptance_criteria", "out_of_scope"):
        value = text(name)
        if value is not None:
            values[name] = [
                line.strip(" -•*\t") for line in value.splitlines() if line.strip(" -•*\t")
            ]
    deadline = state_value(state, "deadline")
    no_deadline = bool(state_value(state, "no_deadline"))
    if deadline:
        picked = date.fromisoformat(deadline)
        if picked < today:
            errors["deadline"] = (
                "That date is in the past; pick a future date or tick “no deadline”."
            )
        values["deadline"] = picked
        values["no_deadline"] = False
    else:
        values["deadline"] = None
        values["no_deadline"] = no_deadline
    environment = state_value(state, "environment")
    if environment is not None:
        values["environment"] = environment
    services = text("services")
    if services is not None:
        values["services"] = [s.strip().lower() for s in re.split(r"[,;\n]", services) if s.strip()]
    priority = state_value(state, "priority")
    if priority:
        values["priority"] = Priority(priority)
    size = state_value(state, "size")
    if size:
        values["size"] = Size(size)
    for spec in template.fields:
        block_id = f"field:{spec.name}"
        if block_id not in present:
            continue
        raw = state_value(state, block_id)
        if raw in (None, "", []):
            continue
        if spec.type in (AnswerType.USER, AnswerType.CHOICE) or spec.type is AnswerType.DATE:
            values[spec.name] = date.fromisoformat(raw) if spec.type is AnswerType.DATE else raw
            continue
        parsed = parse_answer(spec, normalize_incoming(str(raw)), today)
        if isinstance(parsed, AnswerError):
            errors[block_id] = parsed.message[:150]
        else:
            values[spec.name] = parsed.value
    milestones = text("milestones")
    if milestones is not None:
        plan, problem = read_milestones(milestones)
        if problem:
            errors["milestones"] = problem
        else:
            values["milestones"] = plan
    return values, errors


def read_milestones(text: str) -> tuple[list[Milestone], str]:
    """Lines of "title | YYYY-MM-DD | done criterion" (date and criterion optional)."""
    plan: list[Milestone] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        title = parts[0]
        if not title:
            return [], f"Line {number} has no title; write: title | YYYY-MM-DD | done when…"
        due = None
        if len(parts) > 1 and parts[1]:
            try:
                due = date.fromisoformat(parts[1])
            except ValueError:
                return [], f"Line {number}: “{parts[1][:30]}” is not a date like 2026-12-15."
        criterion = " | ".join(parts[2:]) if len(parts) > 2 else ""
        plan.append(Milestone(title=title, due=due, done_criterion=criterion))
    return plan, ""


def read_approve(state: dict[str, Any], rows: list[str]) -> tuple[dict[str, Any], Errors]:
    """Owner, priority, size and milestones from the approve form (a submission's state
    holds every input, touched or not)."""
    errors: Errors = {}
    owner = state_value(state, "owner")
    if not owner:
        errors["owner"] = "Choose who owns this work."
    priority = state_value(state, "priority")
    size = state_value(state, "size")
    plan = [m for _row, m in milestones_from_view({"state": state}, rows)]
    for row, milestone in zip(rows, plan, strict=True):
        if not milestone.title.strip():
            errors[f"ms_title:{row}"] = "Give the milestone a title, or remove it."
    values = {
        "owner": owner,
        "priority": Priority(priority) if priority else None,
        "size": Size(size) if size else None,
        "milestones": plan,
    }
    return values, errors


def read_required_text(state: dict[str, Any], block_id: str, missing: str) -> tuple[str, Errors]:
    text = normalize_incoming(state_value(state, block_id) or "").strip()
    return text, ({} if text else {block_id: missing})
