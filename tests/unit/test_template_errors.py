"""Broken template files fail loudly, with their path and line (intake.templates)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from intake.templates import (
    TemplateError,
    load_templates,
)
from tests.unit.template_files import MINIMAL, write

BROKEN = [
    pytest.param(case["file"], case["line"], case["message"], id=case["id"])
    for case in yaml.safe_load(Path(__file__).with_name("broken_templates.yaml").read_text("utf-8"))
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
