"""Proposals the rule engine makes for a draft: title, priority, size and milestone plan."""

from __future__ import annotations

from datetime import date

from intake.extraction import Urgency
from intake.templates.model import RequestTemplate
from intake.ticket import Milestone, Priority, Size, Ticket


def propose_title(ticket: Ticket, template: RequestTemplate) -> str:
    """A short title (at most 80 characters) from the template's title format and the ask."""
    raise NotImplementedError


def propose_priority(ticket: Ticket, urgency: Urgency, today: date) -> Priority:
    """P1..P4 from deadline proximity, urgency words and impact."""
    raise NotImplementedError


def propose_size(ticket: Ticket, template: RequestTemplate) -> Size:
    raise NotImplementedError


def plan_milestones(
    template: RequestTemplate, today: date, deadline: date | None, size: Size
) -> list[Milestone]:
    """The template's milestones with due dates spread between today and the deadline (or a
    duration that fits the size when there is none), each with its done criterion."""
    raise NotImplementedError
