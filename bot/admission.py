"""Admission: every request Slack sends is answered at once, and the work behind the answers
is bounded and shared fairly between people.

Bolt runs each listener, ``ack()`` included, on its listener executor and answers Slack when
the listener acks. With work queued behind the acks (an unbounded pool grew to hundreds of
threads, all waiting on Slack's rate limits and the database) the acks waited too, and Slack
gave up after 3 s. So, in ``serve``:

* **Limits first** (``bot.limits``), in the request's own thread, before any database work:
  a person over their limit for new intakes or actions (or a workspace over its own) gets
  the "slow down" answer (``bot.busy``) and nothing runs.
* **A bounded number of listener runs** (``max_pending``: admitted and not finished; new
  intakes at most half of them, so that people already in an intake still get answers).
  When they are all taken the bot is saturated: the request gets the "busy" answer at once
  instead of waiting. Every admitted run has a thread of its own from the start (the pool
  is a little larger than ``max_pending``), so its ``ack()`` never waits behind work.
* **Work after the ack takes a fair turn.** When a listener has acked and goes on to its
  command (``bot.commands``; one that only opens a form never waits) its thread waits for a
  slot of ``bot.work_slots.WorkSlots`` in the queue of the person who asked;
  slots are handed round-robin over people, so a burst from one person queues behind
  itself while another person's first request goes next. An event (acked by Bolt before
  the listener starts) takes its turn before the listener runs. The slot is lent while
  the work waits on the model or for a pacing token, and given back when the run ends.

With ``INTAKE_DEFER_WORK`` the listeners in ``serve`` queue their commands at the ack
(``bot.commands``): the limits and the bound apply, and there is no work to take turns for.
"""

from __future__ import annotations

import contextvars
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

from slack_bolt import Ack, App, BoltRequest, BoltResponse

from bot import busy
from bot.limits import Kind, Limits
from bot.work_slots import WorkSlots

log = logging.getLogger(__name__)

T = TypeVar("T")

MAX_PENDING = 100  # listener runs admitted and not finished (INTAKE_MAX_PENDING_WORK)
SPARE_THREADS = 8  # for listener runs nobody is admitted for (options loads, closed modals)


@dataclass(eq=False)
class Run:
    """One admitted request, from the middleware to the end of its listener."""

    key: str
    kind: Kind = Kind.ACTION
    submitted: bool = False
    acked_early: bool = False  # acked by Bolt before the listener started (events)
    thread: int | None = None
    took_turn: bool = False
    ended: bool = field(default=False, repr=False)


RUN: Final[contextvars.ContextVar[Run | None]] = contextvars.ContextVar(
    "intake_admitted_run", default=None
)


class TurnAck(Ack):
    """Bolt's ``ack``: answers Slack at once. The work after it waits for the person's turn
    (``take_turn``, from ``bot.commands``' ``after``), so a listener that only opens a form
    (its trigger_id lasts 3 s) never waits behind other work."""

    def __init__(self, admission: Admission, run: Run) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._admission = admission
        self._run = run

    def __call__(self, *args: Any, **kwargs: Any) -> BoltResponse:
        response = super().__call__(*args, **kwargs)
        if self._run.thread != threading.get_ident():
            self._run.acked_early = True  # Bolt's own ack of an event: the turn comes first
        return response

    def take_turn(self) -> None:
        """In the listener's thread, before its work: wait for the person's turn."""
        self._admission.take_turn(self._run)


class Admission:
    def __init__(
        self,
        *,
        limits: Limits | None,
        slots: WorkSlots | None,
        max_pending: int = MAX_PENDING,
        notices: busy.Notices | None = None,
    ) -> None:
        if max_pending < 1:
            raise ValueError("at least one request must be admitted")
        self.limits = limits
        self.slots = slots
        self.max_pending = max_pending
        self.notices = notices
        self._lock = threading.Lock()
        self._pending = 0
        self._pending_intakes = 0

    @property
    def max_intakes(self) -> int:
        """New intakes take at most half the bound (at least one): when the bot is saturated,
        the answers and clicks of intakes under way still get in."""
        return max(1, self.max_pending // 2)

    @property
    def threads(self) -> int:
        """The listener pool's size: a thread for every admitted run, and a few spare."""
        return self.max_pending + SPARE_THREADS

    def install(self, app: App) -> None:
        """Register the admission middleware (call before any other of the app's own: it runs
        after Bolt's signature check, so only Slack's requests count against anyone) and
        settle, once Bolt is done with a request, an admitted one no listener ran for."""
        app.middleware(self._admit)
        dispatch = app.dispatch

        def dispatch_admitted(req: BoltRequest) -> BoltResponse:
            # Bolt runs the listener after the last middleware, not inside its next().
            token = RUN.set(None)
            try:
                return dispatch(req)
            finally:
                run = RUN.get()
                RUN.reset(token)
                if run is not None and not run.submitted:
                    self._end(run)  # refused by a later middleware, or nothing handled it

        setattr(app, "dispatch", dispatch_admitted)  # noqa: B010

    def executor(self, inner: Executor) -> Executor:
        return _AdmittedExecutor(inner, self)

    # -- the request's thread -----------------------------------------------------------------

    def _admit(
        self, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse:
        found = busy.classify(req.body)
        if found is None:  # nobody waits on it as a request of theirs
            return next()
        kind, team, person = found
        refusal = self._refusal(kind, team, person)
        if refusal is not None:
            return busy.answer(req.body, refusal, kind, self.notices, req.context.client)
        run = Run(key=f"{team}:{person}", kind=kind)
        if self.slots is not None:
            req.context["ack"] = TurnAck(self, run)
        RUN.set(run)  # read by the executor as Bolt submits the listener; reset by dispatch
        return next()

    def _refusal(self, kind: Kind, team: str, person: str) -> str | None:
        new_intake = kind is Kind.INTAKE
        with self._lock:
            if self._pending >= self.max_pending:
                return "busy"
            if new_intake and self._pending_intakes >= self.max_intakes:
                return "busy"
            if self.limits is not None:
                limited = self.limits.allow(kind, team, person)
                if limited is not None:
                    return limited
            self._pending += 1
            self._pending_intakes += new_intake
            return None

    def _end(self, run: Run) -> None:
        with self._lock:
            if not run.ended:
                run.ended = True
                self._pending -= 1
                self._pending_intakes -= run.kind is Kind.INTAKE

    # -- the listener's thread ------------------------------------------------------------------

    def take_turn(self, run: Run) -> None:
        """Wait for ``run``'s person's turn (once per run)."""
        if self.slots is not None and not run.took_turn:
            run.took_turn = self.slots.take(run.key)

    def _run(self, run: Run, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        run.thread = threading.get_ident()
        try:
            if run.acked_early:
                self.take_turn(run)
            return fn(*args, **kwargs)
        finally:
            if run.took_turn and self.slots is not None:
                self.slots.give_back()
            self._end(run)


class _AdmittedExecutor(Executor):
    """Runs each listener of an admitted request inside its ``Run`` (see ``Admission``)."""

    def __init__(self, inner: Executor, admission: Admission) -> None:
        self.inner = inner
        self.admission = admission

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        run = RUN.get()
        if run is None or run.submitted:
            return self.inner.submit(fn, *args, **kwargs)
        run.submitted = True
        try:
            return self.inner.submit(self.admission._run, run, fn, *args, **kwargs)
        except BaseException:
            self.admission._end(run)
            raise

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.inner.shutdown(wait=wait, cancel_futures=cancel_futures)
