"""The options of a choice field found in free text ("prod and staging" -> production,
staging), and the default environment field (``_core.yaml``'s)."""

from __future__ import annotations

import re
from functools import lru_cache

from intake.templates.loader import shipped_core_fields
from intake.templates.model import FieldSpec, Option

# -- choice, number, user readers ---------------------------------------------------------------

_FREE_TEXT_SKIP = frozenset({"other", "something else", "others"})
# Keywords that also are everyday words: in free text they count only next to an
# environment word ("test env", "in stage").
_WEAK_ENV_WORDS = frozenset({"test", "testing", "live", "stage"})
_ENV_CONTEXT_AFTER = re.compile(
    r"\s+(?:env|envs|environment|environments|cluster|account|stack|site|db|database|instance"
    r"|server|servers)\b"
)
_ENV_CONTEXT_BEFORE = re.compile(r"\b(?:in|on|to|into)\s+(?:the\s+)?$")

DEFAULT_ENVIRONMENT = shipped_core_fields()["environment"]


def _option_terms(option: Option) -> list[str]:
    return [option.value.lower(), *(k.lower() for k in option.keywords)]


@lru_cache(maxsize=4096)
def _term_pattern(term: str) -> re.Pattern[str]:
    words = [re.escape(w) for w in term.split()]
    body = r"[\s-]+".join(words)
    return re.compile(rf"(?<![\w]){body}(?![\w])", re.IGNORECASE)


def _options_in_text(spec: FieldSpec, text: str, *, free_text: bool) -> list[tuple[int, Option]]:
    """Options named in ``text`` with the position of their first mention."""
    found: list[tuple[int, Option]] = []
    lowered = text.lower()
    for option in spec.options:
        positions = []
        for term in _option_terms(option):
            if free_text and term in _FREE_TEXT_SKIP:
                continue
            for m in _term_pattern(term).finditer(lowered):
                if (
                    free_text
                    and spec.name == "environment"
                    and term in _WEAK_ENV_WORDS
                    and not (
                        _ENV_CONTEXT_AFTER.match(lowered, m.end())
                        or _ENV_CONTEXT_BEFORE.search(lowered[: m.start()])
                    )
                ):
                    continue
                positions.append(m.start())
                break
        if positions:
            found.append((min(positions), option))
    return found


def _choice_from_text(spec: FieldSpec, text: str) -> str | list[str] | None:
    found = _options_in_text(spec, text, free_text=True)
    if not found:
        return None
    if spec.multiple:
        return [option.value for option in spec.options if any(o is option for _, o in found)]
    return min(found, key=lambda item: item[0])[1].value
