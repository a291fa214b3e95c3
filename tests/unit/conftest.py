"""What the unit tests share: the built-in request types, and one field of one of them."""

from __future__ import annotations

import pytest

from intake.templates import FieldSpec, TemplateSet, load_templates


@pytest.fixture(scope="module")
def templates() -> TemplateSet:
    """The built-in request types (one load a test module)."""
    return load_templates()


def spec(templates: TemplateSet, template_id: str, name: str) -> FieldSpec:
    """The field ``name`` of the request type ``template_id`` (it must exist)."""
    found = templates.get(template_id).field(name)
    assert found is not None
    return found
