"""The bot's Home tab: what concerns the person looking at it.

- everyone: a "New request" button and their own asks (status, next milestone);
- platform leads: the review queue, oldest first, with counts by status;
- owners: their milestones that are overdue or due within two weeks.
Each list shows PAGE items with "Show more"; the list being expanded grows a page at a time (to
MAX_FOCUSED items) while the others shrink to a few, so the tab stays inside 100 blocks.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from bot.blocks import kit
from bot.blocks.tracker import link_markup
from bot.blocks.when import day, local
from bot.slack_text import safe, user
from intake.lifecycle import ago, last_change
from intake.review import next_milestone, waiting_since
from intake.ticket import Milestone, Status, Ticket

T = TypeVar("T")

NEW_REQUEST_ACTION = "home_new_request"
MORE_ACTION = "home_more"
PAGE = 15
MAX_FOCUSED = 60
SHRUNK = 5
SECTIONS = ("queue", "milestones", "mine")

STATUS_LABEL = {
    "draft": ":pencil2: draft",
    "submitted": ":inbox_tray: submitted",
    "needs_info": ":question: needs info",
    "accepted": ":white_check_mark: accepted",
    "in_progress": ":hammer_and_wrench: in progress",
    "done": ":tada: done",
    "declined": ":no_entry_sign: declined",
    "cancelled": ":wastebasket: cancelled",
}


@dataclass
class HomeData:
    """What one person's Home tab shows, gathered by bot.home."""

    mine: list[Ticket]  # the newest MAX_FOCUSED at most
    mine_total: int | None = None  # how many they have, when more than ``mine`` holds
    queue: list[Ticket] | None = None  # None: not a lead
    counts: Counter[str] = field(default_factory=Counter)
    due: list[tuple[Ticket, Milestone]] = field(default_factory=list)
    focus: str | None = None  # the list being expanded with "Show more"
    pages: int = 1  # how many pages of it to show
    tz: str = "UTC"  # the person's time zone: the tab is theirs alone


def home(data: HomeData, now: datetime, today: date) -> dict[str, Any]:
    """The tab of one person: ``today`` is theirs (their time zone), which decides what is
    overdue and whether a date needs its year."""
    blocks: list[kit.Block] = [
        kit.header("Platform Intake"),
        kit.section(
            "Tell the platform team what you need. I will ask only what is missing and turn it "
            "into a scoped ticket they can act on.",
            accessory=kit.button("New request", NEW_REQUEST_ACTION, "new", style="primary"),
        ),
        kit.context("You can also type `/intake` and your ask anywhere, or send me a DM."),
    ]
    if data.queue is not None:
        blocks += _queue(data, now)
    if data.due:
        blocks += _milestones(data, today)
    blocks += _mine(data, now, today)
    return {"type": "home", "blocks": blocks[: kit.VIEW_BLOCKS]}


def _queue(data: HomeData, now: datetime) -> list[kit.Block]:
    queue = data.queue or []
    oldest = waiting_since(queue[0]) if queue else None
    summary = f"{len(queue)} waiting" + (
        f", oldest {ago(oldest, now).replace(' ago', '')}" if oldest else ""
    )
    counts = " · ".join(
        f"{STATUS_LABEL[s.value]} {data.counts[s.value]}"
        for s in Status
        if data.counts.get(s.value)
    )
    blocks: list[kit.Block] = [kit.divider(), kit.section(f"*Review queue* — {summary}")]
    if counts:
        blocks.append(kit.context(counts))

    def line(ticket: Ticket) -> str:
        since = waiting_since(ticket)
        waited = ago(since, now).replace(" ago", "") if since else "—"
        status = " · :question: waiting for answers" if ticket.status is Status.NEEDS_INFO else ""
        return (
            f"*{safe(ticket.key or '', 20)}* {safe(ticket.title, 120)}\n"
            f"from {user(ticket.requester)} · waiting {waited} · "
            f"{ticket.priority or '—'}{status}"
        )

    if not queue:
        return [*blocks, kit.context("Nothing waiting for review.")]
    return blocks + _listed(queue, data, "queue", line)


def _milestones(data: HomeData, today: date) -> list[kit.Block]:
    def line(entry: tuple[Ticket, Milestone]) -> str:
        ticket, milestone = entry
        late = " — *overdue*" if milestone.due and milestone.due < today else ""
        due = f"due {day(milestone.due, today)}" if milestone.due else "no due date"
        return (
            f"*{safe(ticket.key or '', 20)}* · {safe(milestone.title, 120)}\n{due}{late} · "
            f"{milestone.status.value.replace('_', ' ')}"
        )

    header = [kit.divider(), kit.section("*Your milestones due soon*")]
    return header + _listed(data.due, data, "milestones", line)


def _mine(data: HomeData, now: datetime, today: date) -> list[kit.Block]:
    blocks: list[kit.Block] = [kit.divider(), kit.section("*Your asks*")]
    if not data.mine:
        blocks.append(kit.context("Nothing yet. Your asks and their status will show here."))
        return blocks

    def line(ticket: Ticket) -> str:
        label = ticket.key or "draft"
        nxt = (
            next_milestone(ticket, today)
            if ticket.status in (Status.ACCEPTED, Status.IN_PROGRESS)
            else None
        )
        detail = (
            f" · next: {safe(nxt.title, 80)}" + (f" ({day(nxt.due, today)})" if nxt.due else "")
            if nxt
            else ""
        )
        deadline = f" · due {day(ticket.deadline, today)}" if ticket.deadline and not nxt else ""
        last = last_change(ticket)
        since = f" ({local(last.at, data.tz, now)})" if last else ""
        status = STATUS_LABEL.get(ticket.status.value, ticket.status.value)
        link = f" · :link: {link_markup(ticket.tracker)}" if ticket.tracker else ""
        return (
            f"*{safe(label, 20)}* {safe(ticket.title or ticket.problem, 150)}\n"
            f"{status}{since}{detail}{deadline}{link}"
        )

    return blocks + _listed(data.mine, data, "mine", line, data.mine_total)


def _listed(
    items: list[T],
    data: HomeData,
    section: str,
    line: Callable[[T], str],
    total: int | None = None,
) -> list[kit.Block]:
    """One section per item shown of ``section`` (a page, as ``data.focus`` asks), and its
    "Show more" button when some are not shown; ``total``: how many there are, when
    ``items`` holds only the first of them."""
    shown = _page(items, data, section)
    return [kit.section(line(item)) for item in shown] + _more(
        len(items) if total is None else total, len(shown), section, data
    )


def _page(items: list[T], data: HomeData, section: str) -> list[T]:
    if data.focus is None:
        return items[:PAGE]
    if data.focus == section:
        return items[: min(PAGE * data.pages, MAX_FOCUSED)]
    return items[:SHRUNK]


def _more(total: int, shown: int, section: str, data: HomeData) -> list[kit.Block]:
    if total <= shown or (data.focus == section and shown >= MAX_FOCUSED):
        return []
    pages = data.pages + 1 if data.focus == section else 2
    return [
        kit.actions(
            kit.button(
                f"Show more ({total - shown} more)",
                f"{MORE_ACTION}:{section}",
                f"{section}:{pages}",
            ),
            block_id=f"home_more:{section}",
        )
    ]


def read_more(value: str) -> tuple[str | None, int]:
    """The list and page count a "Show more" button asks for (its value: "queue:2")."""
    name, _, count = value.partition(":")
    if name not in SECTIONS or not count.isdigit():
        return None, 1
    return name, max(1, min(int(count), MAX_FOCUSED // PAGE))
