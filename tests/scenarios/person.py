"""The simulated requester's mind: what a person answers, given only what Slack shows them.

``decide`` is the whole decision. It receives the bot's newest message as a person reads it
(``Screen``: the rendered text and the button labels), what the person knows (``Fact``: the words
they would recognise a question by, the ways they would say it, the button labels they would
pick) and their own memory of the conversation. It never receives a field name, a template, a
``Question`` object or anything else from the engine: which ticket field a fact belongs in is
kept by the scorer only (``tests/scenarios/cast.py``), and ``test_person.py`` checks that
``decide`` cannot see it.

How the person behaves:

* a question (a line with a "?", else the message's last line that is neither a hint nor a
  button) is matched to the fact whose cues it names best; the person
  answers with that fact's first phrasing, or clicks a button whose label is one of the fact's
  picks (a seeded few prefer typing even then). Sometimes they say a second fact in the same
  message, as people over-answer: the one it goes with (``Fact.also``), or (seeded, now and
  then) one they have not said yet;
* a question that no fact's words match, but whose buttons offer one of their picks (say, the
  kind of request as two buttons), is a click on it; right after a correction, a question
  that matches nothing is a confirmation: "Yes" (or a button that agrees, or "yes");
* any other question gets a "don't know", phrased differently each time (seeded);
* the same question again right after an answer (the bot did not take it): the fact's next
  phrasing, or another "don't know"; then "skip" (the hint under every question offers it); then
  "done";
* at the draft: the person's corrections, one message each, then Submit (or "Submit anyway"
  when the bot says the ask is not ready).
"""

from __future__ import annotations

import random
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

# Ways people say they don't know or leave it to the platform team.
DONT_KNOW = (
    "no idea",
    "not sure tbh, you pick",
    "n/a",
    "whatever you recommend",
    "not sure, whatever you recommend",
    "dunno",
)
SKIP = "skip"
DONE = "done"
SUBMIT = "Submit"
SUBMIT_ANYWAY = "Submit anyway"
CONNECTORS = (". also ", " — and ", ". btw ", "; ")
TYPE_INSTEAD = 0.25  # how often a person types although a matching button is offered
OVER_ANSWER = 0.2  # how often they add something not asked yet to an answer
CONFIRM = ("Yes", "Confirm", "Looks good", "Keep it", "Keep", "OK", "Correct")  # agreeing buttons
YES = "yes"


@dataclass(frozen=True)
class Fact:
    """Something the person knows, as they would recognise and say it."""

    cues: tuple[str, ...]  # words a question about it would contain ("deadline", "by when")
    say: tuple[str, ...]  # the ways they would say it, tried in order when not understood
    picks: tuple[str, ...] = ()  # button labels they would click for it
    also: int | None = None  # a fact they mention in the same breath (index into the facts)
    volunteers: bool = True  # they might mention it unasked


@dataclass(frozen=True)
class Screen:
    """The bot's newest message as a person sees it, and whether the thread above it holds a
    draft with a Submit button (the draft stays above a correction's confirmation)."""

    text: str
    buttons: tuple[str, ...]
    draft_above: bool = False


@dataclass(frozen=True)
class Action:
    """What the person does: type ``text`` in the thread, or click the button ``click``."""

    text: str = ""
    click: str = ""
    fact: int | None = None  # the fact answered (None: a "don't know", skip, done, correction)
    dont_know: bool = False
    question: str = ""  # the question line answered ("" when none)

    def shown(self) -> str:
        return f"(clicks) {self.click}" if self.click else self.text


@dataclass
class Memory:
    """What the person remembers of the conversation."""

    seed: str
    said: set[int] = field(default_factory=set)  # facts said so far (the opening's included)
    corrections: list[str] = field(default_factory=list)  # still to type after the draft
    last_question: str = ""
    last_fact: int | None = None  # the fact ``last_question`` was taken to be about
    corrected: bool = False  # the last thing they typed was a correction
    attempts: int = 0  # answers given to ``last_question`` in a row
    last_dont_know: str = ""
    turn: int = 0
    rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)


_SPACE = re.compile(r"\s+")
_WARNING = re.compile(r"^:warning:.*$", re.MULTILINE)


def question_line(text: str, *, plain: bool = False, buttons: Collection[str] = ()) -> str:
    """The question a person reads in a message: its last line that asks something; with
    ``plain``, when no line has a question mark, its last line that is neither a typing hint
    nor a button's label."""
    lines = [line.strip() for line in _WARNING.sub("", text).splitlines() if line.strip()]
    asking = [line for line in lines if "?" in line]
    if not asking and plain:
        asking = [line for line in lines if "*skip*" not in line and line not in buttons]
    return _SPACE.sub(" ", asking[-1]) if asking else ""


_ASIDE = re.compile(r"\((?!s\))[^()]*\)")  # "(a Slack channel or …)", not "service(s)"


def _names(cue: str, text: str) -> bool:
    return re.search(rf"(?<![a-z0-9]){re.escape(cue.lower())}(?![a-z0-9])", text) is not None


def best_fact(question: str, facts: Sequence[Fact], said: Collection[int] = ()) -> int | None:
    """The fact whose cues the question names most (longest cues count most); one not said yet
    first, as a person thinks of what they have not told yet."""
    # A person answers the question, not the words of its hint ("Where should alerts go? A
    # Slack channel or PagerDuty service." or "… go (a Slack channel or PagerDuty service)?" is
    # no question about their service).
    asked, mark, _ = question.lower().rpartition("?")
    asked = _ASIDE.sub(" ", asked if mark else question.lower())
    scores = [sum(len(cue) for cue in fact.cues if _names(cue, asked)) for fact in facts]
    for pool in ([i for i in range(len(facts)) if i not in said], list(range(len(facts)))):
        best = max((scores[i] for i in pool), default=0)
        if best > 0:
            return next(i for i in pool if scores[i] == best)
    return None


def _dont_know(memory: Memory) -> str:
    """A "don't know", never the same words twice in a row."""
    said = memory.rng.choice([phrase for phrase in DONT_KNOW if phrase != memory.last_dont_know])
    memory.last_dont_know = said
    return said


def _answer(index: int, facts: Sequence[Fact], screen: Screen, memory: Memory, q: str) -> Action:
    fact, fact_index, attempt = facts[index], index, memory.attempts
    offered = [label for label in fact.picks if label in screen.buttons]
    if attempt == 0 and offered and memory.rng.random() >= TYPE_INSTEAD:
        memory.said.add(fact_index)
        return Action(click=offered[0], fact=fact_index, question=q)
    if attempt < len(fact.say):
        text = fact.say[attempt]
        extra = _over_answer(fact_index, facts, memory) if attempt == 0 else None
        if extra is not None:
            connector = CONNECTORS[memory.rng.randrange(len(CONNECTORS))]
            text = f"{text}{connector}{facts[extra].say[0]}"
            memory.said.add(extra)
        memory.said.add(fact_index)
        return Action(text=text, fact=fact_index, question=q)
    return _give_up(attempt - len(fact.say), q)


def _over_answer(index: int, facts: Sequence[Fact], memory: Memory) -> int | None:
    """The fact they say along with ``facts[index]``: the one it comes with (``also``), else
    now and then one they have not said yet."""
    also = facts[index].also
    if also is not None:
        return None if also in memory.said else also
    unsaid = [
        i for i, f in enumerate(facts) if f.volunteers and i != index and i not in memory.said
    ]
    if unsaid and memory.rng.random() < OVER_ANSWER:
        return memory.rng.choice(unsaid)
    return None


def _by_button(
    screen: Screen, facts: Sequence[Fact], memory: Memory, q: str, corrected: bool
) -> Action | None:
    """A question none of their facts' words match, but a button says one of them (e.g. the
    kind of request, offered as two buttons), or agrees with what they just asked for."""
    for index, fact in enumerate(facts):
        offered = [label for label in fact.picks if label in screen.buttons and label != "Other"]
        if offered:
            memory.said.add(index)
            return Action(click=offered[0], fact=index, question=q)
    agreeing = [label for label in CONFIRM if label in screen.buttons]
    if agreeing and corrected:
        return Action(click=agreeing[0], question=q)
    return None


def _give_up(step: int, q: str) -> Action:
    return Action(text=SKIP if step == 0 else DONE, question=q)


def decide(screen: Screen, facts: Sequence[Fact], memory: Memory) -> Action:
    """The person's next move, from what they see and know."""
    memory.turn += 1
    if SUBMIT_ANYWAY in screen.buttons:
        return Action(click=SUBMIT_ANYWAY)
    q = question_line(screen.text, plain=not screen.draft_above, buttons=screen.buttons)
    at_draft = SUBMIT in screen.buttons or (not q and screen.draft_above)
    corrected, memory.corrected = memory.corrected, False
    if at_draft:
        memory.last_question, memory.attempts = "", 0
        if memory.corrections:
            memory.corrected = True
            return Action(text=memory.corrections.pop(0))
        return Action(click=SUBMIT)
    if not q:  # a note the person cannot answer: ask for the draft
        return Action(text=DONE)
    if q == memory.last_question:
        memory.attempts += 1
        index = memory.last_fact
    else:
        memory.last_question, memory.attempts = q, 0
        index = memory.last_fact = best_fact(q, facts, memory.said)
    if index is not None:
        return _answer(index, facts, screen, memory, q)
    if (
        memory.attempts == 0
        and (picked := _by_button(screen, facts, memory, q, corrected)) is not None
    ):
        return picked
    if corrected and memory.attempts == 0:  # "Changed the deadline to Friday, right?"
        return Action(text=YES, question=q)
    if memory.attempts < 2:
        return Action(text=_dont_know(memory), dont_know=True, question=q)
    return _give_up(memory.attempts - 2, q)
