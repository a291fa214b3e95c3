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

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="job-runner", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._pool.shutdown(wait=False, cancel_futures=False)

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
        for job in claimed:
            self._pool.submit(self._run, job)
        return len(claimed)

    def _run(self, job: jobs.Job) -> None:
        try:
            with request_scope():
                request = BoltRequest(body=job.body, headers={"content-type": [job.content_type]})
                with self.slots.hold():
                    response = self.app.dispatch(request)
                if response.status != 200:
                    log.warning("queued job %d: nothing handled it (%s)", job.id, response.status)
        except Exception:
            log.error("queued job %d failed", job.id, exc_info=True)
        finally:
            try:
                jobs.done(self.engine, job.id)
            except Exception:
                log.warning("could not mark job %d done", job.id, exc_info=True)
            self._free.release()
