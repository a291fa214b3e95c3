"""Reading a template file as a YAML node tree, so that every key and item keeps the line it
was written on, and ``TemplateError``: what is wrong and where."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode


class TemplateError(Exception):
    """A template file that cannot be used, with where the problem is."""

    def __init__(self, path: str, line: int | None, message: str) -> None:
        self.path = path
        self.line = line
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.line is None:
            return f"{self.path}: {self.message}"
        return f"{self.path}, line {self.line}: {self.message}"


# -- reading nodes ------------------------------------------------------------------------------


def _line(node: Node) -> int:
    return int(node.start_mark.line) + 1


@dataclass
class _File:
    """One file being read: its display path, for errors."""

    path: str

    def error(self, node: Node | None, message: str) -> TemplateError:
        return TemplateError(self.path, _line(node) if node is not None else None, message)

    def mapping(
        self, node: Node, what: str, allowed: Iterable[str]
    ) -> dict[str, tuple[Node, Node]]:
        """The keys of a mapping node, each with its key node (for its line) and value node."""
        if not isinstance(node, MappingNode):
            raise self.error(node, f"{what} must be a mapping of keys to values")
        allowed = tuple(allowed)
        result: dict[str, tuple[Node, Node]] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag.endswith(":null"):
                raise self.error(key_node, f"{what}: keys must be plain words")
            key = str(key_node.value)
            if key in result:
                first = _line(result[key][0])
                raise self.error(
                    key_node, f"{what}: key '{key}' appears twice (also on line {first})"
                )
            if key not in allowed:
                raise self.error(
                    key_node, f"{what}: unknown key '{key}' (allowed: {', '.join(allowed)})"
                )
            result[key] = (key_node, value_node)
        return result

    def text(self, node: Node, what: str, *, allow_empty: bool = False) -> str:
        if not isinstance(node, ScalarNode) or not node.tag.endswith(":str"):
            raise self.error(node, f"{what} must be text")
        value = str(node.value).strip()
        if not value and not allow_empty:
            raise self.error(node, f"{what} must not be empty")
        return value

    def word(self, node: Node, what: str) -> str:
        """A scalar read as written (so that an option ``yes`` stays the text "yes")."""
        if not isinstance(node, ScalarNode) or node.tag.endswith(":null"):
            raise self.error(node, f"{what} must be text")
        value = str(node.value).strip()
        if not value:
            raise self.error(node, f"{what} must not be empty")
        return value

    def flag(self, node: Node, what: str) -> bool:
        if not isinstance(node, ScalarNode) or not node.tag.endswith(":bool"):
            raise self.error(node, f"{what} must be true or false")
        return str(node.value).lower() in ("true", "yes", "on", "y")

    def number(self, node: Node, what: str) -> float:
        if not isinstance(node, ScalarNode) or not node.tag.endswith((":int", ":float")):
            raise self.error(node, f"{what} must be a number")
        try:
            value = float(str(node.value).replace("_", ""))
        except ValueError as exc:
            raise self.error(node, f"{what} must be a number") from exc
        if not value > 0:
            raise self.error(node, f"{what} must be greater than 0")
        return value

    def sequence(self, node: Node, what: str) -> list[Node]:
        if isinstance(node, ScalarNode) and node.tag.endswith(":null"):
            return []
        if not isinstance(node, SequenceNode):
            raise self.error(node, f"{what} must be a list (one '- item' per line)")
        return list(node.value)


# libyaml's parser when PyYAML was built with it (its wheels are): the same nodes and marks,
# about ten times faster than the pure-Python one, which took half a second per start.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _compose(source: _File, text: str) -> Node | None:
    try:
        return yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = int(mark.line) + 1 if mark is not None else None
        problem = exc.problem or exc.context or "not valid YAML"
        raise TemplateError(source.path, line, f"not valid YAML: {problem}") from exc
    except yaml.YAMLError as exc:
        raise TemplateError(source.path, None, f"not valid YAML: {exc}") from exc
