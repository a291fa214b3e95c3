"""Answers that say "I don't know" or "you decide" instead of giving a value.

People answer a question they cannot answer in many ways: "not sure", "no idea", "dunno",
"n/a", "not sure tbh", "you pick", "up to you", "not sure, whatever you recommend", "tbd",
"?". Such an answer is recognised by what the *whole* answer means: every clause of it must be
one of these phrases (with filler such as "tbh", "honestly", "sorry", "yet" allowed around
it). A sentence that merely contains the words ("we don't know why CI is slow") is a real
answer, not an unsure one.

``read`` says whether an answer is unsure and how (the note kept for the lead);
``without_hedge`` drops an unsure clause that comes with a real answer ("not sure, maybe
staging" -> "maybe staging").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from intake.short_text import quoted


class Kind(StrEnum):
    UNKNOWN = "not sure"  # the person does not know
    DELEGATED = "left to the platform team"  # the person asks the team to decide
    NOT_APPLICABLE = "n/a"  # nothing applies


@dataclass(frozen=True)
class Unsure:
    kind: Kind
    words: str  # the person's answer, as typed (whitespace collapsed)

    @property
    def note(self) -> str:
        """What the lead reads in place of a value: ``not sure — “no idea tbh”``."""
        return f"{self.kind.value} — {quoted(self.words, NOTE_LIMIT)}"


NOTE_LIMIT = 200  # characters of the person's words kept in a note


# Phrases, written after ``_normal`` (lowercase, apostrophes dropped, "/" kept).
_UNKNOWN = (
    r"not sure|unsure|not certain|uncertain|no idea|no clue|not a clue|no clue at all"
    r"|(?:i |we )?(?:dont|do not|didnt|cant|cannot) (?:know|tell|say)(?: for sure)?"
    r"|(?:i |we )?(?:have|got) no (?:idea|clue)|dunno|idk|idc|no idea really|unknown|not known"
    r"|hard to say|cant say|beats me|who knows|good question|no opinion|havent decided"
    r"|(?:i |we )?(?:havent|have not) (?:decided|figured (?:it|that) out|thought about it)"
    r"|(?:i |we )?(?:need|have) to (?:check|find out|ask)|ill (?:check|find out|ask)"
    r"|still (?:figuring|working) (?:it|that) out|no estimate|no numbers?"
    r"|\?+|tbd|tbc|to be (?:decided|determined|confirmed|defined)|not decided|undecided"
)
_DELEGATED = (
    r"(?:you|u|yall|you guys|the team|your team|platform|the platform team) "
    r"(?:pick|choose|decide|tell me|can decide|can pick|can choose|should decide|know best)"
    r"|your (?:call|choice|pick|decision)|up to (?:you|u|the team|your team)"
    r"|(?:i |we )?(?:leave|will leave|ll leave) it (?:up )?to (?:you|the team)"
    r"|whatever(?: you| the team)? (?:recommends?|suggests?|think|thinks|think is best|prefer"
    r"|decide|want|like|say|see fit)"
    r"|whatever (?:is|s|works|makes sense|is best|is easiest|is simplest|is standard"
    r"|is usual|is normal|is default|you have)(?: for you| best)?"
    r"|(?:what|which) (?:do|would) you (?:recommend|suggest|advise)|any recommendation"
    r"|(?:i |we )?(?:trust|defer to) (?:you|your judgement|your judgment)"
    r"|(?:go with |use )?(?:your|the) (?:recommendation|suggestion|default|usual|standard)"
    r"|(?:the )?default|(?:the )?usual|(?:the )?standard|dealers choice|recommend (?:one|something)"
    r"|no preference|no strong (?:preference|opinion|feelings)|(?:i |we )?(?:dont|do not) care"
    r"|(?:i |we )?(?:dont|do not) mind|not fussed|doesnt matter|does not matter|dont matter"
    r"|(?:any|either|anything|whichever|whatever)(?: (?:one|is|works|will do|is fine|is ok"
    r"|works for me|is good|is fine by me|you like|you want))*"
    r"|(?:im |i am |we are |were )?(?:flexible|happy either way|fine either way)"
    r"|(?:im|i am|we are|were) (?:easy|open)"
    r"|surprise me|best guess|your best guess|you tell me"
)
_NOT_APPLICABLE = (
    r"n/?a|not applicable|does not apply|doesnt apply|nothing applies|none|nothing"
    r"|nothing (?:else|really|comes to mind|i can think of|that i can think of|to add)"
    r"|none (?:really|that i know of|i can think of)|not that i know of|nope nothing"
)
_FILLER = (
    r"tbh|to be honest|honestly|really|sorry|sry|um+|uh+|hmm+|hm+|erm|well|so|ok|okay|oh|ah"
    r"|lol|haha|yet|right now|atm|at the moment|at this point|for now|currently|just|actually"
    r"|i think|i guess|i suppose|i suspect|im afraid|i fear|to me|for me|please|pls|thanks"
    r"|thank you|either way|probably|yeah|yes|yep|no|nope|man|mate|tho|though|here"
    r"|on this|on that|about (?:it|this|that)|for (?:it|this|that)|about the \w+|on the \w+"
    r"|\w+wise|i would say|id say|go ahead|then|too|also|fine|really not|totally|completely"
    r"|sadly|unfortunately|frankly|im|i am|we are|were|its|it is"
)
# "not sure which env" / "no idea how long it takes": an unsure phrase about the question
# itself; "why" starts a reason, which is content ("we don't know why CI is slow").
_ABOUT_QUESTION = (
    r"(?:what|which|when|where|who|whom|whose|how(?: many| much| long| big| fast| often)?"
    r"|if|whether)\b(?:\s+[\w/.-]+){0,10}"
)

_CLAUSE_SPLIT = re.compile(r"\s*(?:[,;.!:]+(?=\s|$)|\s[-–—]+\s|\.\.\.|…|\bbut\b|\bor\b|\band\b)\s*")
_WHOLE = {
    kind: re.compile(
        rf"^(?:(?:{_FILLER})\s+)*(?:{pattern})(?:\s+(?:{_FILLER}))*"
        rf"(?:\s+{_ABOUT_QUESTION})?$"
        if kind is Kind.UNKNOWN
        else rf"^(?:(?:{_FILLER})\s+)*(?:{pattern})(?:\s+(?:{_FILLER}))*$"
    )
    for kind, pattern in (
        (Kind.DELEGATED, _DELEGATED),
        (Kind.NOT_APPLICABLE, _NOT_APPLICABLE),
        (Kind.UNKNOWN, _UNKNOWN),
    )
}
_NO = re.compile(r"^(?:no|nope|nah|no thanks|not really|no not really)[\s.!]*$")
_FILLER_ONLY = re.compile(rf"^(?:(?:{_FILLER})\s*)+$")
_EMOJI = re.compile(r":[a-z0-9_+-]+:|[\U0001F300-\U0001FAFF\u2600-\u27BF]")


def _normal(text: str) -> str:
    text = _EMOJI.sub(" ", text.lower())
    text = text.replace("’", "'").replace("'", "").replace("`", "").replace('"', "")
    text = re.sub(r"[“”()*_~]", " ", text)
    return " ".join(text.split())


def _clause_kind(clause: str) -> Kind | None:
    clause = clause.strip(" ?!.,")
    if not clause:
        return None
    for kind, pattern in _WHOLE.items():
        if pattern.match(clause):
            return kind
    return None


def _kinds(text: str) -> list[Kind | None]:
    """The kind of every clause of ``text`` (None for a clause that says something else);
    filler-only clauses ("tbh", "sorry") are left out."""
    normal = _normal(text)
    if re.fullmatch(r"\?+", normal):
        return [Kind.UNKNOWN]
    clauses = [c for c in _CLAUSE_SPLIT.split(normal) if c and c.strip(" ?!.,")]
    return [_clause_kind(c) for c in clauses if not _FILLER_ONLY.match(c.strip(" ?!.,"))]


def read(text: str) -> Unsure | None:
    """The unsure answer ``text`` is, or None when it says something (however vaguely)."""
    if len(text) > 300 or "\n\n" in text.strip():
        return None  # a paste is an answer
    kinds = _kinds(text)
    if not kinds and _NO.match(_normal(text)):
        kinds = [Kind.NOT_APPLICABLE]  # "nope" to "anything out of scope?"
    if not kinds or any(kind is None for kind in kinds):
        return None
    words = " ".join(text.split())
    if Kind.DELEGATED in kinds:  # "not sure, whatever you recommend": asks for a proposal
        return Unsure(Kind.DELEGATED, words)
    if Kind.UNKNOWN in kinds:
        return Unsure(Kind.UNKNOWN, words)
    return Unsure(Kind.NOT_APPLICABLE, words)


def without_hedge(text: str) -> str:
    """``text`` without unsure clauses at its start or end when the rest says something:
    "not sure, maybe staging" -> "maybe staging"; "prod I think, not 100% sure" -> "prod I
    think". Unchanged when no clause is unsure, or when every clause is."""
    parts = _HEDGE_SPLIT.split(text.strip())
    clauses = parts[0::2]
    unsure = [_clause_kind(_normal(c)) is not None or _hedge(c) for c in clauses]
    if all(unsure) or not any(unsure):
        return text
    start, end = 0, len(clauses)
    while start < end and unsure[start]:
        start += 1
    while end > start and unsure[end - 1]:
        end -= 1
    kept = "".join(parts[2 * start : 2 * end - 1]).strip(" ,;-–—")
    return kept or text


_HEDGE_SPLIT = re.compile(r"(\s*(?:[,;!]+|\s[-–—]+\s|\.(?=\s)|\.\.\.|…)\s*)")
_HEDGE = re.compile(
    r"^(?:(?:but |though )?not (?:100%|a hundred percent|totally|completely|entirely|fully)"
    r" sure(?: tho| though)?|(?:i )?could be wrong|dont quote me(?: on (?:it|that))?)$"
)


def _hedge(clause: str) -> bool:
    return bool(_HEDGE.match(_normal(clause).strip(" ?!.,")))
