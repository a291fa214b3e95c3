"""Request types as YAML files: the shipped ones in ``intake/templates/data/`` and, optionally, a
directory of a team's own (``INTAKE_TEMPLATES_DIR``) that replaces shipped types by id or adds new
ones.

A broken file fails loudly with its path and line ("templates/database.yaml, line 12: field
'engine': type must be one of text, choice, date, list, user, number"). The files are read as a
YAML node tree so that every key and item keeps the line it was written on.

``_core.yaml`` defines the core ticket fields (services, environment, deadline, ...) once; a
template refers to one by name (``{name: deadline, required: true}``) and may restate its label,
question or help. Every template ends up with ``deadline`` and ``acceptance_criteria`` as
required fields (the definition of ready needs them), and asks for ``services`` and ``impact``
unless it says ``ask: false``.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from intake.templates.model import (
    AnswerType,
    FieldSpec,
    MilestoneTemplate,
    Option,
    RequestTemplate,
    TemplateSet,
)
from intake.ticket import Size

CORE_FILE = "_core.yaml"
SHIPPED_PREFIX = "intake/templates/data"

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
ASKED_BY_DEFAULT: tuple[str, ...] = ("services", "impact")

_TYPES = ", ".join(t.value for t in AnswerType)
_SIZES = ", ".join(s.value for s in Size)
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

_TEMPLATE_KEYS = (
    "id",
    "name",
    "description",
    "keywords",
    "default_size",
    "title_format",
    "fields",
    "milestones",
)
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
_KEYWORD_KEYS = ("keyword", "weight")
_MILESTONE_KEYS = ("title", "done_criterion", "weight")
_CORE_KEYS = ("fields",)


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


# -- keyword weights ----------------------------------------------------------------------------
#
# ``RequestTemplate.keywords`` is a tuple of words; how much each one counts for classification
# lives here, keyed by the template's id and source file (``dataclasses.replace`` keeps both).

_KEYWORD_WEIGHTS: dict[tuple[str, str], dict[str, float]] = {}


def keyword_weights(template: RequestTemplate) -> dict[str, float]:
    """How much each keyword of ``template`` counts when classifying (1.0 unless its file gave
    a ``weight``)."""
    given = _KEYWORD_WEIGHTS.get((template.id, template.source), {})
    return {keyword: given.get(keyword, 1.0) for keyword in template.keywords}


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


# -- templates ----------------------------------------------------------------------------------


def _with_core_fields(
    fields: list[FieldSpec], core: dict[str, FieldSpec], source: _File
) -> list[FieldSpec]:
    """Add what every template has: services and impact asked, deadline and acceptance criteria
    required."""
    names = {spec.name for spec in fields}
    missing = [n for n in (*ASKED_BY_DEFAULT, *ALWAYS_REQUIRED) if n not in names]
    for name in missing:
        if name not in core:
            raise TemplateError(source.path, None, f"core field '{name}' is not defined")
    result = list(fields)
    if "services" in missing:
        result.insert(0, replace(core["services"], ask=True))
    if "impact" in missing:
        position = next(
            (i for i, spec in enumerate(result) if spec.name in ALWAYS_REQUIRED), len(result)
        )
        result.insert(position, replace(core["impact"], ask=True))
    for name in ALWAYS_REQUIRED:
        if name in missing:
            result.append(replace(core[name], required=True, ask=True))
    return [
        replace(spec, required=True, ask=True) if spec.name in ALWAYS_REQUIRED else spec
        for spec in result
    ]


def _keywords(source: _File, node: Node) -> tuple[tuple[str, ...], dict[str, float]]:
    words: list[str] = []
    weights: dict[str, float] = {}
    seen: dict[str, int] = {}
    for item in source.sequence(node, "keywords"):
        weight = 1.0
        if isinstance(item, MappingNode):
            keys = source.mapping(item, "a keyword", _KEYWORD_KEYS)
            if "keyword" not in keys:
                raise source.error(
                    item, "a keyword entry needs 'keyword' (and optionally 'weight')"
                )
            word = source.word(keys["keyword"][1], "keyword")
            if "weight" in keys:
                weight = source.number(keys["weight"][1], f"keyword '{word}': weight")
        else:
            word = source.word(item, "keyword")
        word = " ".join(word.lower().split())
        if word in seen:
            raise source.error(
                item, f"keyword '{word}' is listed twice (also on line {seen[word]})"
            )
        seen[word] = _line(item)
        words.append(word)
        weights[word] = weight
    return tuple(words), weights


def _milestones(source: _File, node: Node) -> tuple[MilestoneTemplate, ...]:
    result: list[MilestoneTemplate] = []
    for item in source.sequence(node, "milestones"):
        keys = source.mapping(item, "a milestone", _MILESTONE_KEYS)
        for key in ("title", "done_criterion"):
            if key not in keys:
                raise source.error(item, f"a milestone needs a {key}")
        title = source.text(keys["title"][1], "milestone title")
        what = f"milestone '{title}'"
        done = source.text(keys["done_criterion"][1], f"{what}: done_criterion")
        weight = source.number(keys["weight"][1], f"{what}: weight") if "weight" in keys else 1.0
        result.append(MilestoneTemplate(title=title, done_criterion=done, weight=weight))
    if not result:
        raise source.error(node, "milestones: list at least one milestone")
    return tuple(result)


def _read_template(source: _File, text: str, core: dict[str, FieldSpec]) -> RequestTemplate:
    root = _compose(source, text)
    if root is None:
        raise TemplateError(source.path, None, "the file is empty")
    keys = source.mapping(root, "a template", _TEMPLATE_KEYS)
    for key in ("id", "name"):
        if key not in keys:
            raise source.error(root, f"'{key}' is missing")
    template_id = source.text(keys["id"][1], "id")
    if not _NAME.match(template_id):
        raise source.error(keys["id"][1], f"id '{template_id}' must be lower_case_with_underscores")
    name = source.text(keys["name"][1], "name")
    description = (
        source.text(keys["description"][1], "description", allow_empty=True)
        if "description" in keys
        else ""
    )
    words, weights = _keywords(source, keys["keywords"][1]) if "keywords" in keys else ((), {})

    size = Size.M
    if "default_size" in keys:
        raw = source.word(keys["default_size"][1], "default_size").upper()
        if raw not in {s.value for s in Size}:
            raise source.error(keys["default_size"][0], f"default_size must be one of {_SIZES}")
        size = Size(raw)

    entries: list[_FieldEntry] = []
    seen: dict[str, int] = {}
    for item in source.sequence(keys["fields"][1], "fields") if "fields" in keys else []:
        entry = _field(source, item, core)
        if entry.spec.name in seen:
            raise source.error(
                item,
                f"field '{entry.spec.name}' is listed twice (also on line {seen[entry.spec.name]})",
            )
        seen[entry.spec.name] = entry.line
        entries.append(entry)
    fields = _with_core_fields([e.spec for e in entries], core, source)

    if "milestones" not in keys:
        raise source.error(root, "'milestones' is missing (list 3-5 with a done_criterion each)")
    milestones = _milestones(source, keys["milestones"][1])

    title_format = ""
    if "title_format" in keys:
        title_format = source.text(keys["title_format"][1], "title_format")
        names = {spec.name for spec in fields}
        try:
            placeholders = [p for _, p, _, _ in string.Formatter().parse(title_format) if p]
        except ValueError as exc:
            raise source.error(keys["title_format"][1], f"title_format: {exc}") from exc
        for placeholder in placeholders:
            if placeholder not in names:
                raise source.error(
                    keys["title_format"][1],
                    f"title_format: {{{placeholder}}} is not a field of this template",
                )

    template = RequestTemplate(
        id=template_id,
        name=name,
        description=description,
        keywords=words,
        fields=tuple(fields),
        milestones=milestones,
        default_size=size,
        title_format=title_format,
        source=source.path,
    )
    _KEYWORD_WEIGHTS[(template.id, template.source)] = weights
    return template


# -- files --------------------------------------------------------------------------------------


def _yaml_files(entries: Iterable[Traversable]) -> Iterator[Traversable]:
    for entry in sorted(entries, key=lambda e: e.name):
        if entry.is_file() and entry.name.endswith((".yaml", ".yml")):
            yield entry


def _read_text(entry: Traversable, path: str) -> str:
    try:
        return entry.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TemplateError(path, None, f"cannot be read: {exc}") from exc


def _load_dir(
    files: list[tuple[str, str]], core: dict[str, FieldSpec]
) -> tuple[dict[str, RequestTemplate], dict[str, FieldSpec]]:
    """Templates of one directory, given as (display path, text) pairs with the core file first
    if there is one."""
    for path, text in files:
        if path.endswith((CORE_FILE, "_core.yml")):
            core = _read_core(_File(path), text, core)
    templates: dict[str, RequestTemplate] = {}
    for path, text in files:
        name = path.rsplit("/", 1)[-1]
        if name.startswith("_"):
            continue
        template = _read_template(_File(path), text, core)
        if template.id in templates:
            raise TemplateError(
                path, None, f"id '{template.id}' is already used by {templates[template.id].source}"
            )
        templates[template.id] = template
    return templates, core


def shipped_data() -> Traversable:
    """The directory of shipped template files (inside the installed package)."""
    return resources.files("intake.templates") / "data"


def load_templates(override_dir: Path | None = None) -> TemplateSet:
    """The shipped request types, then the files of ``override_dir`` (which replace a shipped
    type with the same id, or add new ones). Raises TemplateError for any broken file."""
    shipped = [
        (f"{SHIPPED_PREFIX}/{entry.name}", _read_text(entry, f"{SHIPPED_PREFIX}/{entry.name}"))
        for entry in _yaml_files(shipped_data().iterdir())
    ]
    own: list[tuple[str, str]] = []
    if override_dir is not None:
        directory = Path(override_dir)
        if not directory.is_dir():
            raise TemplateError(str(directory), None, "templates directory not found")
        own = [
            (str(directory / entry.name), _read_text(entry, str(directory / entry.name)))
            for entry in _yaml_files(directory.iterdir())
        ]
    # The core definitions come first (a team's own _core.yaml refines the shipped one), then
    # every template is read against them.
    core: dict[str, FieldSpec] = {}
    core_files = [f for f in shipped if f[0].endswith(CORE_FILE)]
    if not core_files:
        raise TemplateError(SHIPPED_PREFIX, None, f"{CORE_FILE} is missing")
    _, core = _load_dir(core_files, core)
    _, core = _load_dir([f for f in own if f[0].rsplit("/", 1)[-1].startswith("_")], core)
    for name in ASKABLE_CORE_FIELDS:
        if name not in core:
            raise TemplateError(core_files[0][0], None, f"core field '{name}' is not defined")

    templates, _ = _load_dir([f for f in shipped if not f[0].endswith(CORE_FILE)], core)
    overrides, _ = _load_dir([f for f in own if not f[0].rsplit("/", 1)[-1].startswith("_")], core)
    templates.update(overrides)
    if TemplateSet.FALLBACK not in templates:
        raise TemplateError(
            str(override_dir or SHIPPED_PREFIX), None, f"no '{TemplateSet.FALLBACK}' template"
        )
    ordered = {k: v for k, v in templates.items() if k != TemplateSet.FALLBACK}
    ordered[TemplateSet.FALLBACK] = templates[TemplateSet.FALLBACK]
    return TemplateSet(templates=ordered)
