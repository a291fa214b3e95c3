"""Request types as YAML: the shipped set, a team's own directory, and broken files."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from intake.readiness import is_verifiable
from intake.templates import (
    AnswerType,
    TemplateError,
    TemplateSet,
    keyword_weights,
    load_templates,
)
from tests.unit.template_files import MINIMAL, write

SHIPPED_IDS = {
    "new_service",
    "database",
    "access_request",
    "ci_cd",
    "networking",
    "observability",
    "compute_capacity",
    "cost",
    "incident_follow_up",
    "other",
}


@pytest.fixture(scope="module")
def shipped() -> TemplateSet:
    return load_templates()


# -- the shipped set ----------------------------------------------------------------------------


def test_every_shipped_request_type_loads(shipped: TemplateSet) -> None:
    assert set(shipped.templates) == SHIPPED_IDS
    assert list(shipped.templates)[-1] == "other"  # the fallback comes last in pickers
    for template in shipped:
        assert template.name and template.description
        assert template.source.endswith(f"{template.id}.yaml")


def test_shipped_types_ask_only_what_the_platform_team_needs(shipped: TemplateSet) -> None:
    for template in shipped:
        required = [spec.name for spec in template.required]
        assert 3 <= len(required) <= 6, (template.id, required)
        assert "deadline" in required and "acceptance_criteria" in required, template.id
        asked = [spec for spec in template.fields if spec.required or spec.ask]
        assert len(asked) <= 8, template.id


def test_shipped_fields_are_well_formed(shipped: TemplateSet) -> None:
    used_types = set()
    for template in shipped:
        names = [spec.name for spec in template.fields]
        assert len(names) == len(set(names)), template.id
        for spec in template.fields:
            used_types.add(spec.type)
            assert spec.question.strip() and spec.label.strip()
            if spec.type is AnswerType.CHOICE:
                assert spec.options, (template.id, spec.name)
        assert template.field("deadline").type is AnswerType.DATE
    assert used_types == set(AnswerType)


def test_shipped_milestones_have_verifiable_done_criteria(shipped: TemplateSet) -> None:
    for template in shipped:
        assert 3 <= len(template.milestones) <= 5, template.id
        for milestone in template.milestones:
            assert milestone.title and milestone.weight > 0
            assert is_verifiable(milestone.done_criterion), milestone.done_criterion


def test_shipped_examples(shipped: TemplateSet) -> None:
    database = shipped.get("database")
    engine = database.field("engine")
    assert engine is not None and engine.type is AnswerType.CHOICE
    assert "PostgreSQL" in [option.value for option in engine.options]
    storage = database.field("storage_gb")
    assert storage is not None and storage.type is AnswerType.NUMBER and storage.unit == "GB"
    assert database.title_format == "{engine} database for {services}"
    who = shipped.get("access_request").field("who_needs_access")
    assert who is not None and who.type is AnswerType.USER and who.required
    pipeline = shipped.get("ci_cd").field("pipeline_url")
    assert pipeline is not None and pipeline.type is AnswerType.TEXT
    environment = database.field("environment")
    assert environment is not None and environment.multiple
    assert [o.value for o in environment.options] == ["production", "staging", "development"]
    assert "prod" in environment.options[0].keywords


def test_an_unknown_type_id_falls_back_to_other(shipped: TemplateSet) -> None:
    assert shipped.get("no_such_type").id == "other"


def test_keyword_weights_come_from_the_file(shipped: TemplateSet) -> None:
    weights = keyword_weights(shipped.get("access_request"))
    assert weights["access"] > keyword_weights(shipped.get("database"))["db"]


def test_the_yaml_files_are_package_data() -> None:
    data = resources.files("intake.templates") / "data"
    names = {entry.name for entry in data.iterdir()}
    assert {"_core.yaml", "database.yaml", "other.yaml"} <= names


# -- a team's own templates ---------------------------------------------------------------------


def test_an_override_replaces_a_shipped_type_and_adds_a_new_one(tmp_path: Path) -> None:
    write(tmp_path, "database.yaml", MINIMAL.format(id="database", name="Our databases"))
    write(tmp_path, "kafka.yaml", MINIMAL.format(id="kafka_topic", name="Kafka topic"))
    templates = load_templates(tmp_path)
    assert templates.get("database").name == "Our databases"
    assert templates.get("database").source == str(tmp_path / "database.yaml")
    assert templates.get("kafka_topic").name == "Kafka topic"
    assert templates.get("networking").name == "Networking"  # the rest still ship
    assert len(templates) == len(SHIPPED_IDS) + 1


def test_a_template_gets_the_core_fields_it_omits(tmp_path: Path) -> None:
    write(tmp_path, "kafka.yaml", MINIMAL.format(id="kafka_topic", name="Kafka topic"))
    template = load_templates(tmp_path).get("kafka_topic")
    names = [spec.name for spec in template.fields]
    assert names == ["services", "topic_name", "impact", "deadline", "acceptance_criteria"]
    assert {spec.name for spec in template.required} == {
        "topic_name",
        "deadline",
        "acceptance_criteria",
    }
    services = template.field("services")
    assert services is not None and services.ask and not services.required


def test_a_core_field_by_name_inherits_its_definition(tmp_path: Path) -> None:
    write(
        tmp_path,
        "kafka.yaml",
        """
        id: kafka_topic
        name: Kafka topic
        fields:
          - {name: deadline, required: true}
          - name: environment
            question: Which clusters?
          - name: retention
            label: Retention
            question: How long should messages be kept?
            type: choice
            options:
              - 7 days
              - {value: 30 days, keywords: [month, "30d"]}
        milestones:
          - {title: Topic created, done_criterion: The topic exists., weight: 2}
        """,
    )
    template = load_templates(tmp_path).get("kafka_topic")
    deadline = template.field("deadline")
    assert deadline is not None and deadline.type is AnswerType.DATE and deadline.required
    assert "When do you need it by?" in deadline.question
    environment = template.field("environment")
    assert environment is not None and environment.question == "Which clusters?"
    assert environment.type is AnswerType.CHOICE and len(environment.options) == 3
    retention = template.field("retention")
    assert retention is not None
    assert [(o.value, o.keywords) for o in retention.options] == [
        ("7 days", ()),
        ("30 days", ("month", "30d")),
    ]
    assert template.milestones[0].weight == 2


def test_a_missing_override_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="not found"):
        load_templates(tmp_path / "nope")


def test_a_teams_core_file_refines_the_core_fields(tmp_path: Path) -> None:
    write(
        tmp_path,
        "_core.yaml",
        """
        fields:
          - name: deadline
            label: Due date
            question: By when? Say “no deadline” if there isn't one.
            type: date
        """,
    )
    templates = load_templates(tmp_path)
    deadline = templates.get("database").field("deadline")
    assert deadline is not None
    assert deadline.label == "Due date" and deadline.question.startswith("By when?")
    services = templates.get("database").field("services")
    assert services is not None and services.type is AnswerType.LIST  # the rest unchanged


def test_only_choices_whose_options_are_every_answer_are_closed(shipped: TemplateSet) -> None:
    closed = {
        (template.id, spec.name) for template in shipped for spec in template.fields if spec.closed
    }
    assert closed == {("new_service", "exposure"), ("incident_follow_up", "severity")}
