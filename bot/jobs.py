"""The worker's side of deferred work (``bot.deferral``): claim the requests ``serve`` queued
and run each through the same listeners, in a Bolt app built with ``create_app(...,
worker=True)``.

Up to ``threads`` requests run at once: listeners mostly wait (on the model, on Slack), so
that is many; of those, the ones running Python at any moment hold one of ``slots``
(``bot.work_slots``). The runner polls the jobs table every ``poll_s`` seconds while idle
and at once again while it finds work. A request that fails is handled by the listener's
own error handling (the person is told); the job is done either way. A worker that dies leaves its
jobs to be claimed again after the lease (``storage.jobs``); one whose every attempt died
with its worker is given up (logged) after the last lease.

Shutting down: ``stop`` claims nothing more; a claimed job that has not started its listener
is handed back at once (``storage.jobs.hand_back``), the running ones are waited for
(``wait_idle``), and those still running at the deadline are handed back
(``hand_back_running``) for another worker to run now, not after the lease (at-least-once,
as after a crash: the use cases de-duplicate by Slack's IDs).
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App, BoltRequest
from sqlalchemy import Engine

from bot.observability.context import request_scope
from bot.work_slots import WorkSlots
from intake.clock import Clock
from storage import jobs

log = logging.getLogger(__name__)

THREADS = 500
POLL_S = 0.05
BATCH = 50
GIVE_UP_EVERY_S = 60.0


class JobRunner:
    def __init__(
        self,
        app: App,
        engine: Engine,
        clock: Clock,
        *,
        threads: int = THREADS,
        poll_s: float = POLL_S,
        slots: WorkSlots | None = None,
    ) -> None:
        self.app = app
        self.slots = slots or WorkSlots()
        self.engine = engine
        self.clock = clock
        self.threads = threads
        self.poll_s = poll_s
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="job")
        self._free = threading.Semaphore(threads)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._idle = threading.Condition()
        self._held: dict[int, jobs.Job] = {}  # claimed and not finished or handed back
        self.finished_total = 0
        self.handed_back_total = 0

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="job-runner", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Claim no more jobs (a claimed one not started yet is handed back); the running
        ones go on (``wait_idle``)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._pool.shutdown(wait=False, cancel_futures=False)

    def holding(self) -> int:
        """Jobs claimed by this runner and not finished or handed back."""
        with self._idle:
            return len(self._held)

    def wait_idle(self, timeout: float) -> bool:
        """Block until no job is held; False when ``timeout`` seconds passed first."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._held:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
            return True

    def hand_back_running(self) -> int:
        """The process exits with jobs still running: give them back for another worker to
        run now (their listeners are cut off with the process). How many."""
        with self._idle:
            held, self._held = list(self._held), {}
            self._idle.notify_all()
        if not held:
            return 0
        jobs.hand_back(self.engine, held)
        with self._idle:
            self.handed_back_total += len(held)
        return len(held)

    def _release(self, job: jobs.Job, *, handed_back: bool) -> None:
        """Stop holding ``job`` (unless it was handed back at the deadline already)."""
        with self._idle:
            if self._held.pop(job.id, None) is None:
                return
            if handed_back:
                self.handed_back_total += 1
            else:
                self.finished_total += 1
            self._idle.notify_all()

    def _loop(self) -> None:
        next_give_up = 0.0
        while not self._stop.is_set():
            if time.monotonic() >= next_give_up:
                next_give_up = time.monotonic() + GIVE_UP_EVERY_S
                self._give_up()
            try:
                found = self.run_due()
            except Exception:
                log.warning("could not claim queued work; retrying", exc_info=True)
                found = 0
            if not found:
                self._stop.wait(self.poll_s)

    def _give_up(self) -> None:
        try:
            given_up = jobs.give_up(self.engine, self.clock.now())
        except Exception:
            log.warning("could not clear abandoned queued work", exc_info=True)
            return
        if given_up:
            log.error(
                "gave up on %d queued Slack request(s): their worker died on each of %d attempts",
                given_up,
                jobs.MAX_ATTEMPTS,
            )

    def run_due(self) -> int:
        """Claim as many jobs as there are free threads (at most ``BATCH``) and start them."""
        if not self._free.acquire(timeout=self.poll_s):  # every thread busy
            return 0
        free = 1
        while free < BATCH and self._free.acquire(blocking=False):
            free += 1
        claimed = jobs.claim(self.engine, self.clock.now(), free)
        for _ in range(free - len(claimed)):
            self._free.release()
        with self._idle:
            self._held.update((job.id, job) for job in claimed)
        for job in claimed:
            self._pool.submit(self._run, job)
        return len(claimed)

    def _run(self, job: jobs.Job) -> None:
        try:
            if self._run_listener(job):
                try:
                    jobs.done(self.engine, job.id)  # gone before it stops being held
                finally:
                    self._release(job, handed_back=False)
            else:
                try:
                    jobs.hand_back(self.engine, [job.id])  # claimable before it stops being held
                finally:
                    self._release(job, handed_back=True)
        except Exception:
            log.warning("could not mark job %d done or hand it back", job.id, exc_info=True)
        finally:
            self._free.release()

    def _run_listener(self, job: jobs.Job) -> bool:
        """Run the job's listener; False when the runner is stopping and it did not start."""
        try:
            with request_scope():
                request = BoltRequest(body=job.body, headers={"content-type": [job.content_type]})
                with self.slots.hold():
                    if self._stop.is_set():
                        return False
                    response = self.app.dispatch(request)
                if response.status != 200:
                    log.warning("queued job %d: nothing handled it (%s)", job.id, response.status)
        except Exception:
            log.error("queued job %d failed", job.id, exc_info=True)
        return True
