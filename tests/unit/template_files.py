"""Writing a team's own template files for the template tests."""

from __future__ import annotations

import textwrap
from pathlib import Path


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


MINIMAL = """
id: {id}
name: {name}
keywords: [kafka, topic]
fields:
  - name: topic_name
    label: Topic
    question: What should the topic be called?
    type: text
    required: true
milestones:
  - title: Topic created
    done_criterion: The topic exists in every environment.
"""
