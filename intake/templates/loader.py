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

import string
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from types import MappingProxyType

from yaml.nodes import MappingNode, Node

from intake.templates.field_specs import (
    _NAME,
    ALWAYS_REQUIRED,
    ASKABLE_CORE_FIELDS,
    _field,
    _FieldEntry,
    _read_core,
)
from intake.templates.model import (
    FieldSpec,
    MilestoneTemplate,
    RequestTemplate,
    TemplateSet,
)
from intake.templates.yaml_source import TemplateError, _compose, _File, _line
from intake.ticket import Size

CORE_FILE = "_core.yaml"
SHIPPED_PREFIX = "intake/templates/data"

ASKED_BY_DEFAULT: tuple[str, ...] = ("services", "impact")

_SIZES = ", ".join(s.value for s in Size)

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
_KEYWORD_KEYS = ("keyword", "weight")
_MILESTONE_KEYS = ("title", "done_criterion", "weight")


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


@cache
def shipped_core_fields() -> Mapping[str, FieldSpec]:
    """The core fields as the shipped ``_core.yaml`` defines them: what code that needs a core
    field outside any template uses (a template's own field, and a team's ``_core.yaml``,
    refine them in ``load_templates``)."""
    path = f"{SHIPPED_PREFIX}/{CORE_FILE}"
    core = _read_core(_File(path), _read_text(shipped_data() / CORE_FILE, path), {})
    return MappingProxyType(core)


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
