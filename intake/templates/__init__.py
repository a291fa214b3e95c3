"""Request types: the typed model and the YAML files it is loaded from."""

from intake.templates.loader import keyword_weights, load_templates
from intake.templates.model import (
    AnswerType,
    FieldSpec,
    MilestoneTemplate,
    Option,
    RequestTemplate,
    TemplateSet,
)
from intake.templates.yaml_source import TemplateError

__all__ = [
    "AnswerType",
    "FieldSpec",
    "MilestoneTemplate",
    "Option",
    "RequestTemplate",
    "TemplateError",
    "TemplateSet",
    "keyword_weights",
    "load_templates",
]
