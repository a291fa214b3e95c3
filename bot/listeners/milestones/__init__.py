"""Follow-through in Slack: milestone status buttons (wherever a milestone line is shown: the
owner's DM, the weekly nudge), the reason and due-date forms, adding and removing milestones
from the owner's DM, and the requester's "is it done?" answer.

After every change: the message that was clicked is updated in place, every other message that
shows the ask is re-rendered (``bot.refresh``, through the announcer), a short note goes to the
ask's intake thread. Permissions are checked on the server
(MilestoneService) for every click; a refusal is told privately to whoever clicked.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from bot.blocks import milestones as render
from bot.commands import Handler
from bot.listeners.milestones import answers, changed, plan
from bot.listeners.milestones import status as statuses
from bot.listeners.milestones.answers import confirm, not_yet, save_not_done
from bot.listeners.milestones.plan import add, remove, save_add
from bot.listeners.milestones.status import due, reason, save_due, status

ACTIONS: dict[str | re.Pattern[str], Callable[..., None]] = {
    render.STATUS_ACTION: status,
    re.compile(rf"^{render.DUE_ACTION}(:|$)"): due,
    render.ADD_ACTION: add,
    re.compile(rf"^{render.REMOVE_ACTION}(:|$)"): remove,
    render.CONFIRM_DONE: confirm,
    render.NOT_DONE: not_yet,
}

VIEWS: dict[str | re.Pattern[str], Callable[..., None]] = {
    render.REASON_MODAL: reason,
    render.DUE_MODAL: save_due,
    render.ADD_MODAL: save_add,
    render.NOT_DONE_MODAL: save_not_done,
}

LATER: dict[type, Handler] = {**answers.LATER, **changed.LATER, **plan.LATER, **statuses.LATER}
