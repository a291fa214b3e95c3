"""A question asked once more, in other words, after an answer the bot could not read.

The second wording says the question differently, gives an example, and says that "not sure"
is an answer too. There is no third wording: after a second answer it cannot read, the engine
keeps the person's words as a note for the platform team and moves on.
"""

from __future__ import annotations

from intake.templates.model import AnswerType, FieldSpec

_UNSURE = "or say “not sure” and the platform team will suggest something"


def _choices(spec: FieldSpec) -> str:
    names = [f"“{option.value}”" for option in spec.options]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " or " + names[-1]


def second_wording(spec: FieldSpec) -> str:
    """``spec``'s question put another way, with an example."""
    label = spec.label.lower()
    if spec.type is AnswerType.CHOICE:
        example = spec.options[0].value if spec.options else "…"
        which = "Which ones" if spec.multiple else "Which one"
        return (
            f"Let me ask differently: {which} of {_choices(spec)} is closest for the "
            f"{label}? Type it, e.g. “{example}”, {_UNSURE}."
        )
    if spec.type is AnswerType.DATE:
        return (
            "Put another way: by roughly when should it be done? A rough date works, e.g. "
            f"“Dec 18” or “in two weeks”; or say “no deadline”, {_UNSURE}."
        )
    if spec.type is AnswerType.NUMBER:
        unit = f" {spec.unit}" if spec.unit else ""
        return (
            f"Put another way: roughly how much, in{unit or ' numbers'}? Just the number is "
            f"enough, e.g. “40{unit}”, {_UNSURE}."
        )
    if spec.type is AnswerType.USER:
        return (
            "Who exactly? @mention each person (e.g. “@lee”), or type “me” if it's you, "
            "or “me and @lee”."
        )
    return f"Put another way — {spec.question} A few words are enough, {_UNSURE}."
