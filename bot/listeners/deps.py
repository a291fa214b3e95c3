"""What listeners need, handed to each ``register(app, deps)``."""

from __future__ import annotations

from dataclasses import dataclass

from bot.people import People
from bot.replier import Replier
from intake.service import IntakeService
from intake.templates.model import TemplateSet


@dataclass(frozen=True)
class Deps:
    service: IntakeService
    replier: Replier
    people: People
    templates: TemplateSet
