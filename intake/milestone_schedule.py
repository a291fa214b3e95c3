"""Due dates for a milestone plan: working days (Mon-Fri) from tomorrow up to the deadline.

The rules every plan passes, whoever proposed it (the rule planner or a model):
- no milestone is due today or earlier: the first possible day is the next working day;
- none is due after the deadline, and no two are due on the same day;
- when the deadline leaves fewer working days than there are milestones, neighbouring
  milestones are merged until the plan fits, and the plan says so with the earliest date the
  whole plan could realistically be done (one milestone a working day).
Without a deadline the plan runs for as many weeks as the size usually takes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from intake.short_text import cut_at_word
from intake.ticket import Milestone, Size

# Calendar weeks a request of each size takes when there is no deadline.
WEEKS_BY_SIZE: dict[Size, int] = {Size.S: 1, Size.M: 3, Size.L: 6, Size.XL: 10}
TITLE_LIMIT = 80  # characters of a milestone title
DONE_LIMIT = 500  # characters of a done criterion (what the approve form holds)


class Kind:
    """What a step is for: the merge order depends on it (fill-in steps give way first)."""

    PLAN = "plan"  # agreeing the approach, before the work
    CHECK = "check"  # proving one or more acceptance criteria
    WORK = "work"  # a step of the request type's usual plan, or one a model proposed
    SIGN_OFF = "sign_off"  # the requester confirms


@dataclass(frozen=True)
class Step:
    """A milestone before it has a date. ``checks`` are the (short) criteria a check proves
    and ``stage`` where ("staging", "production"; empty when not staged); a merged step keeps
    every part's checks, and its title is made again from them."""

    title: str
    done: str
    kind: str = Kind.WORK
    weight: float = 1.0
    stage: str = ""
    checks: tuple[str, ...] = ()
    parts: int = 1


@dataclass
class Plan:
    """Dated milestones and, when the deadline was too tight for the plan, why it was merged."""

    milestones: list[Milestone] = field(default_factory=list)
    warning: str = ""


# -- calendar -----------------------------------------------------------------------------------


def day_text(value: date, today: date | None = None) -> str:
    """ "Fri 27 Nov", as the bot shows calendar dates (``bot.blocks.when.day``): with the year
    when it is not ``today``'s."""
    text = f"{value:%a} {value.day} {value:%b}"
    return text if today is not None and value.year == today.year else f"{text} {value.year}"


def next_working_day(after: date) -> date:
    """The first Monday-to-Friday day after ``after``."""
    current = after + timedelta(days=1)
    while current.weekday() >= 5:
        current += timedelta(days=1)
    return current


def nth_working_day(today: date, n: int) -> date:
    """The ``n``-th working day after ``today`` (n >= 1)."""
    current = today
    for _ in range(max(n, 1)):
        current = next_working_day(current)
    return current


def working_days(first: date, last: date) -> list[date]:
    """Monday-to-Friday days from ``first`` to ``last``, both included."""
    days = []
    current = first
    while current <= last:
        if current.weekday() < 5:
            days.append(current)
        current += timedelta(days=1)
    return days


# -- titles -------------------------------------------------------------------------------------


def cut(text: str, limit: int) -> str:
    """``text`` on one line, cut at a word to at most ``limit`` characters (with "…")."""
    return cut_at_word(text, limit, trim=" ,;:-–—(")


def step_title(step: Step, total_checks: int = 0) -> str:
    """A check's title from its criteria and stage: "Backups restore in 1 h (staging)",
    "All 3 criteria pass (production)", "Checkout works + 2 more"."""
    if step.kind != Kind.CHECK or not step.checks:
        return cut(step.title, TITLE_LIMIT)
    stage = f" ({step.stage})" if step.stage else ""
    room = TITLE_LIMIT - len(stage)
    count = len(step.checks)
    if count == 1:
        core = cut(step.checks[0], room)
    elif count == total_checks:
        core = "Both criteria pass" if count == 2 else f"All {count} criteria pass"
    else:
        more = f" + {count - 1} more"
        core = cut(step.checks[0], room - len(more)) + more
    return core + stage


# -- merging ------------------------------------------------------------------------------------


def _joined_title(a: Step, b: Step) -> str:
    both = f"{a.title} + {b.title}"
    if len(both) <= TITLE_LIMIT:
        return both
    more = f" + {a.parts + b.parts - 1} more"
    first = a.title.split(" + ")[0]
    return cut(first, TITLE_LIMIT - len(more)) + more


def _merge(a: Step, b: Step, total_checks: int) -> Step:
    done = cut(f"{a.done.rstrip('.')}; {b.done[:1].lower()}{b.done[1:]}", DONE_LIMIT)
    if a.kind == Kind.PLAN:  # agreeing the approach folds into the first piece of work
        return replace(b, done=done, weight=a.weight + b.weight, parts=a.parts + b.parts)
    if b.kind == Kind.SIGN_OFF:  # the sign-off folds into the last piece of work
        return replace(a, done=done, weight=a.weight + b.weight, parts=a.parts + b.parts)
    checks = tuple(dict.fromkeys(a.checks + b.checks))
    weight, parts = a.weight + b.weight, a.parts + b.parts
    if a.kind == b.kind == Kind.CHECK and bool(a.stage) == bool(b.stage):
        merged = Step("", done, Kind.CHECK, weight, _span(a.stage, b.stage), checks, parts)
        return replace(merged, title=step_title(merged, total_checks))
    return Step(_joined_title(a, b), done, Kind.WORK, weight, "", checks, parts)


def _span(first: str, last: str) -> str:
    """The stages two merged checks cover: "staging", "development to production"."""
    if first == last:
        return first
    return f"{first.split(' to ')[0]} to {last.split(' to ')[-1]}"


def _pair_cost(a: Step, b: Step) -> tuple[int, int, int]:
    """Which neighbours merge first: fill-in steps, then checks of the same stage, then the
    smallest pair."""
    if a.kind == Kind.PLAN or b.kind == Kind.SIGN_OFF:
        return (0, 0, 0)
    same_stage = a.kind == b.kind == Kind.CHECK and a.stage == b.stage
    return (1, 0 if same_stage else 1, a.parts + b.parts)


def fit(steps: Sequence[Step], slots: int) -> list[Step]:
    """``steps`` merged, neighbour by neighbour and in order, down to at most ``slots``."""
    plan = list(steps)
    total_checks = len({check for step in plan for check in step.checks})
    while len(plan) > max(slots, 1):
        costs = [_pair_cost(plan[i], plan[i + 1]) for i in range(len(plan) - 1)]
        i = costs.index(min(costs))
        plan[i : i + 2] = [_merge(plan[i], plan[i + 1], total_checks)]
    return plan


# -- dates --------------------------------------------------------------------------------------


def _spread(weights: Sequence[float], slots: Sequence[date]) -> list[date]:
    """One date per weight, spread over ``slots`` in proportion to the weights: the last on
    the last slot, never two on one slot (there are at least as many slots as weights)."""
    clean = [max(w, 0.0) for w in weights]
    if not sum(clean):
        clean = [1.0] * len(clean)
    total, running, previous = sum(clean), 0.0, -1
    count, length = len(clean), len(slots)
    dues = []
    for index, weight in enumerate(clean):
        running += weight
        position = math.ceil(running / total * length - 1e-9) - 1
        position = min(max(position, previous + 1), length - (count - index))
        dues.append(slots[position])
        previous = position
    return dues


def _from_hints(hints: Sequence[date | None], slots: Sequence[date]) -> list[date] | None:
    """A proposer's own dates moved onto the slots (a weekend to the next working day, a date
    before the first slot to the first, after the last to the last), or None when they cannot
    all keep their order on separate days."""
    known = [hint for hint in hints if hint is not None]
    if len(known) != len(hints) or len(known) > len(slots):
        return None
    dues: list[date] = []
    previous = -1
    for index, hint in enumerate(known):
        position = next((i for i, slot in enumerate(slots) if slot >= hint), len(slots) - 1)
        if position <= previous or position > len(slots) - (len(known) - index):
            return None
        dues.append(slots[position])
        previous = position
    return dues


def _milestones(steps: Sequence[Step], dues: Sequence[date]) -> list[Milestone]:
    return [
        Milestone(title=cut(s.title, TITLE_LIMIT), due=due, done_criterion=cut(s.done, DONE_LIMIT))
        for s, due in zip(steps, dues, strict=True)
    ]


def schedule(
    steps: Sequence[Step],
    today: date,
    deadline: date | None,
    size: Size,
    hints: Sequence[date | None] | None = None,
) -> Plan:
    """Dated milestones for ``steps`` (see the module's rules). ``hints`` are the proposer's
    own dates, one per step: kept (moved onto working days) when they keep the rules."""
    if not steps:
        return Plan()
    first = next_working_day(today)
    if deadline is None:
        end = today + timedelta(weeks=WEEKS_BY_SIZE[size])
        end = max(end, nth_working_day(today, len(steps)))
        # A proposer's own longer schedule stands (up to a year) when nothing bounds it.
        proposed = [hint for hint in hints or () if hint is not None and hint > end]
        end = min(max(proposed, default=end), today + timedelta(days=365))
        slots = working_days(first, end)
    else:
        slots = working_days(first, deadline)
    warning = ""
    if deadline is not None and len(slots) < len(steps):
        realistic = nth_working_day(today, len(steps))
        if not slots:
            # Not one working day left: a single milestone, on the deadline itself when it is
            # still ahead (a weekend), else on the first working day there is.
            slots = [deadline if deadline > today else first]
        steps = fit(steps, len(slots))
        wanted = sum(s.parts for s in steps)
        by, earliest = day_text(deadline, today), day_text(realistic, today)
        if wanted == 1 or slots[0] > deadline:  # nothing to merge, or no day left before it
            due = day_text(slots[0], today)
            warning = (
                f"No working day is left before {by}: the plan is due {due}, and the earliest "
                f"realistic date is {earliest}; move the deadline or cut scope."
            )
        else:
            merged = f"merged into {len(steps)}" if len(steps) > 1 else "merged into one"
            warning = (
                f"Too tight for {wanted} milestones by {by}: the earliest realistic date is "
                f"{earliest}. The plan is {merged} to keep it; move the deadline or cut scope "
                "to do it step by step."
            )
        hints = None
    dues = _from_hints(hints, slots) if hints is not None and len(hints) == len(steps) else None
    return Plan(_milestones(steps, dues or _spread([s.weight for s in steps], slots)), warning)
