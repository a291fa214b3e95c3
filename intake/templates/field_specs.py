"""Reading the fields of a template file (and of ``_core.yaml``) into ``FieldSpec``s, with an
error that names the file and line for anything wrong."""

from __future__ import annotations

import re
from dataclasses import dataclass

from yaml.nodes import MappingNode, Node

from intake.templates.model import (
    AnswerType,
    FieldSpec,
    Option,
)
from intake.templates.yaml_source import _compose, _File, _line

# Core fields a template may ask about; the others (title, problem, priority, size) are set by the
# engine, never asked.
ASKABLE_CORE_FIELDS: tuple[str, ...] = (
    "services",
    "environment",
    "deadline",
    "impact",
    "desired_outcome",
    "acceptance_criteria",
    "out_of_scope",
)

ALWAYS_REQUIRED: tuple[str, ...] = ("deadline", "acceptance_criteria")

_TYPES = ", ".join(t.value for t in AnswerType)

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

_FIELD_KEYS = (
    "name",
    "label",
    "question",
    "type",
    "required",
    "ask",
    "options",
    "multiple",
    "help",
    "unit",
    "closed",
)

_OPTION_KEYS = ("value", "keywords")

_CORE_KEYS = ("fields",)


# -- fields -------------------------------------------------------------------------------------


def _options(source: _File, node: Node, what: str) -> tuple[Option, ...]:
    options: list[Option] = []
    seen: dict[str, int] = {}
    for item in source.sequence(node, f"{what}: options"):
        if isinstance(item, MappingNode):
            keys = source.mapping(item, f"{what}: option", _OPTION_KEYS)
            if "value" not in keys:
                raise source.error(item, f"{what}: an option needs a value")
            value = source.word(keys["value"][1], f"{what}: option value")
            keywords: tuple[str, ...] = ()
            if "keywords" in keys:
                keywords = tuple(
                    source.word(k, f"{what}: option '{value}' keyword").lower()
                    for k in source.sequence(keys["keywords"][1], f"{what}: option keywords")
                )
        else:
            value = source.word(item, f"{what}: option")
            keywords = ()
        if value.lower() in seen:
            first = seen[value.lower()]
            raise source.error(
                item, f"{what}: option '{value}' is listed twice (also on line {first})"
            )
        seen[value.lower()] = _line(item)
        options.append(Option(value=value, keywords=keywords))
    return tuple(options)


@dataclass
class _FieldEntry:
    spec: FieldSpec
    line: int
    explicit: frozenset[str]  # the keys the file wrote


def _field(
    source: _File, node: Node, core: dict[str, FieldSpec], *, is_core_file: bool = False
) -> _FieldEntry:
    keys = source.mapping(node, "a field", _FIELD_KEYS)
    if "name" not in keys:
        raise source.error(node, "a field needs a name")
    name = source.text(keys["name"][1], "field name")
    if not _NAME.match(name):
        raise source.error(
            keys["name"][1],
            f"field name '{name}' must be lower_case_with_underscores (letters, digits, _)",
        )
    what = f"field '{name}'"
    base = None if is_core_file else core.get(name)
    if is_core_file and name not in ASKABLE_CORE_FIELDS:
        raise source.error(
            keys["name"][1],
            f"{what} is not a core field (core fields: {', '.join(ASKABLE_CORE_FIELDS)})",
        )

    kind: AnswerType | None = base.type if base else None
    if "type" in keys:
        raw = source.word(keys["type"][1], f"{what}: type").lower()
        if raw not in {t.value for t in AnswerType}:
            raise source.error(keys["type"][0], f"{what}: type must be one of {_TYPES}")
        if base is not None and raw != base.type.value:
            raise source.error(
                keys["type"][0],
                f"{what}: is a core field of type {base.type.value}; its type cannot be {raw}",
            )
        kind = AnswerType(raw)
    if kind is None:
        raise source.error(node, f"{what}: type is missing (one of {_TYPES})")

    def text_key(key: str, default: str) -> str:
        if key not in keys:
            return default
        return source.text(keys[key][1], f"{what}: {key}", allow_empty=key == "help")

    label = text_key("label", base.label if base else name.replace("_", " ").capitalize())
    question = text_key("question", base.question if base else "")
    if not question:
        raise source.error(node, f"{what}: question is missing (what the bot asks)")
    help_text = text_key("help", base.help if base else "")
    unit = text_key("unit", base.unit if base else "")
    required = (
        source.flag(keys["required"][1], f"{what}: required")
        if "required" in keys
        else (base.required if base else False)
    )
    ask = source.flag(keys["ask"][1], f"{what}: ask") if "ask" in keys else True
    multiple = (
        source.flag(keys["multiple"][1], f"{what}: multiple")
        if "multiple" in keys
        else (base.multiple if base else False)
    )
    options = (
        _options(source, keys["options"][1], what)
        if "options" in keys
        else (base.options if base else ())
    )

    if required and not ask:
        raise source.error(
            keys["ask"][0], f"{what}: a required field is always asked; remove 'ask: false'"
        )
    if kind is AnswerType.CHOICE and not options:
        raise source.error(
            keys["type"][0] if "type" in keys else node, f"{what}: a choice field needs options"
        )
    if "options" in keys and kind is not AnswerType.CHOICE:
        raise source.error(keys["options"][0], f"{what}: options only apply to choice fields")
    closed = (
        source.flag(keys["closed"][1], f"{what}: closed")
        if "closed" in keys
        else (base.closed if base else False)
    )
    if "closed" in keys and kind is not AnswerType.CHOICE:
        raise source.error(keys["closed"][0], f"{what}: closed only applies to choice fields")
    if "unit" in keys and kind is not AnswerType.NUMBER:
        raise source.error(keys["unit"][0], f"{what}: unit only applies to number fields")
    if "multiple" in keys and kind not in (AnswerType.CHOICE, AnswerType.USER):
        raise source.error(
            keys["multiple"][0], f"{what}: multiple only applies to choice and user fields"
        )
    if name in ALWAYS_REQUIRED and "required" in keys and not required:
        raise source.error(
            keys["required"][0],
            f"{what}: is always required (the definition of ready needs it)",
        )

    spec = FieldSpec(
        name=name,
        label=label,
        question=question,
        type=kind,
        required=required,
        ask=ask,
        options=options,
        multiple=multiple,
        help=help_text,
        unit=unit,
        closed=closed,
    )
    return _FieldEntry(spec, _line(node), frozenset(keys))


def _read_core(source: _File, text: str, core: dict[str, FieldSpec]) -> dict[str, FieldSpec]:
    root = _compose(source, text)
    if root is None:
        return dict(core)
    keys = source.mapping(root, "the core file", _CORE_KEYS)
    result = dict(core)
    seen: dict[str, int] = {}
    for item in source.sequence(keys["fields"][1], "fields") if "fields" in keys else []:
        entry = _field(source, item, core, is_core_file=True)
        name = entry.spec.name
        if name in seen:
            raise source.error(item, f"field '{name}' is listed twice (also on line {seen[name]})")
        seen[name] = entry.line
        result[name] = entry.spec
    return result
