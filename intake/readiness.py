"""The definition of ready: what a scoped ask must have before the platform team sees it."""

from __future__ import annotations

from dataclasses import dataclass

from intake.templates.model import RequestTemplate
from intake.ticket import Ticket


@dataclass(frozen=True)
class ReadinessItem:
    label: str
    ok: bool
    hint: str = ""


@dataclass(frozen=True)
class Readiness:
    items: tuple[ReadinessItem, ...]

    @property
    def ready(self) -> bool:
        return all(item.ok for item in self.items)

    @property
    def missing(self) -> tuple[ReadinessItem, ...]:
        return tuple(item for item in self.items if not item.ok)


def is_verifiable(criterion: str) -> bool:
    """A criterion someone can check: it has a number, a yes/no check or an observable state.
    "works well" or "faster" alone are not."""
    raise NotImplementedError


def check(ticket: Ticket, template: RequestTemplate) -> Readiness:
    """Every required field present; at least one verifiable acceptance criterion; a deadline
    or an explicit "no deadline"."""
    raise NotImplementedError
