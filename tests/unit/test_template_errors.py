"""Broken template files fail loudly, with their path and line (intake.templates)."""

from __future__ import annotations

from pathlib import Path

import pytest

from intake.templates import (
    TemplateError,
    load_templates,
)
from tests.unit.template_files import MINIMAL, write

BROKEN = [
    pytest.param(
        """
        id: kafka_topic
        name: Kafka topic
        fields:
          - name: engine
            question: Which engine?
            type: dropdown
        """,
        6,
        "field 'engine': type must be one of text, choice, date, list, user, number",
        id="unknown-answer-type",
    ),
    pytest.param(
        """
        id: kafka_topic
        name: Kafka topic
        fields: [
          {name: engine
        """,
        None,
        "not valid YAML",
        id="bad-yaml",
    ),
    pytest.param(
        """
        id: kafka_topic
        name: Kafka topic
        fields:
          - name: engine
            question: Which engine?
            type: text
            colour: blue
        """,
        7,
        "unknown key 'colour'",
        id="unknown-field-key",
    ),
    pytest.param(
        """
        id: kafka_topic
        name: Kafka topic
        owner: platform
        """,
        3,
        "unknown key 'owner'",
        id="unknown-template-key",
    ),
    pytest.param(
        """
        id: kafka_topic
        name: Kafka topic
        fields:
          - name: partitions
            question: How many partitions?
            type: number
            closed: true
        """,
        7,
        "field 'partitions': closed only applies to choice fields",
        id="closed-on-a-number",
    ),
    pytest.param(
        """
        id: kafka_topic
        name: Kafka topic
        fields:
          - name: engine
            question: Which engine?
            type: choice
        """,
        6,
        "field 'engine': a choice field needs options",
        id="choice-without-options",
    ),
    pytest.param(
        """
        id: kafka_topic
        name: Kafka topic
        fields:
          - name: topic
            question: Which topic?
            type: text
          - name: topic
            question: Which topic again?
            type: text
        """,
        7,
        "field 'topic' is listed twice (also on line 4)",
        id="duplicate-field",
    ),
    pytest.param(
        """
        name: Kafka topic
        milestones: []
        """,
        1,
        "'id' is missing",
        id="missing-id",
    ),
    pytest.param(
        """
        id: kafka_topic
        description: no name here
        """,
        1,
        "'name' is missing",
        id="missing-name",
    ),
    pytest.param(
        """
        id: kafka_topic
        name: Kafka topic
        fields:
          - name: topic
            question: Which topic?
            type: text
            required: true
            ask: false
        """,
        8,
        "a required field is always asked",
        id="required-but-not-asked",
    ),
    pytest.param(
        """
        id: kafka_topic
        name: Kafka topic
        fields:
          - name: deadline
            type: text
        """,
        5,
        "field 'deadline': is a core field of type date; its type cannot be text",
        id="core-field-type-mismatch",
    ),
    pytest.param(
        """
        id: kafka_topic
        name: Kafka topic
        fields:
          - name: topic
            question: Which topic?
            type: text
            required: maybe
        """,
        7,
        "field 'topic': required must be true or false",
        id="wrong-value-type",
    ),
    pytest.param(
        """
        id: kafka_topic
        name: Kafka topic
        keywords: kafka
        """,
        3,
        "keywords must be a list",
        id="keywords-not-a-list",
    ),
    pytest.param(
        """
        id: kafka_topic
        name: Kafka topic
        title_format: "Topic {topic_name}"
        milestones:
          - {title: Done, done_criterion: The topic exists.}
        """,
        3,
        "title_format: {topic_name} is not a field of this template",
        id="unknown-title-placeholder",
    ),
    pytest.param(
        """
        id: kafka_topic
        name: Kafka topic
        name: Kafka topics
        """,
        3,
        "key 'name' appears twice",
        id="duplicate-key",
    ),
    pytest.param(
        """
        id: kafka_topic
        name: Kafka topic
        fields:
          - name: topic
            question: Which topic?
            type: text
            options: [a, b]
        """,
        7,
        "options only apply to choice fields",
        id="options-on-a-text-field",
    ),
    pytest.param(
        """
        id: kafka_topic
        name: Kafka topic
        milestones:
          - title: Done
        """,
        4,
        "a milestone needs a done_criterion",
        id="milestone-without-done-criterion",
    ),
]


@pytest.mark.parametrize(("text", "line", "message"), BROKEN)
def test_a_broken_file_fails_with_its_path_and_line(
    tmp_path: Path, text: str, line: int | None, message: str
) -> None:
    path = write(tmp_path, "kafka.yaml", text)
    with pytest.raises(TemplateError) as caught:
        load_templates(tmp_path)
    error = caught.value
    assert error.path == str(path)
    assert message in str(error)
    if line is not None:
        assert error.line == line
        assert str(error).startswith(f"{path}, line {line}: ")
    else:
        assert error.line is not None  # YAML syntax errors still say where


def test_the_error_reads_like_a_sentence(tmp_path: Path) -> None:
    path = write(tmp_path, "database.yaml", BROKEN[0].values[0])  # type: ignore[arg-type]
    with pytest.raises(TemplateError) as caught:
        load_templates(tmp_path)
    assert str(caught.value) == (
        f"{path}, line 6: field 'engine': type must be one of text, choice, date, list, user, "
        "number"
    )


def test_two_files_with_the_same_id_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", MINIMAL.format(id="kafka_topic", name="Kafka topic"))
    write(tmp_path, "b.yaml", MINIMAL.format(id="kafka_topic", name="Kafka again"))
    with pytest.raises(TemplateError, match="already used by"):
        load_templates(tmp_path)
