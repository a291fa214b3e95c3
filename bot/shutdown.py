"""Stopping `serve` and `worker` on SIGTERM or SIGINT within a grace period
(``INTAKE_SHUTDOWN_GRACE``, 25 s; Kubernetes kills the pod 30 s after SIGTERM).

On the signal the process takes no new work and, until the deadline, finishes what it holds
or hands it back, so that another replica (or the next start) picks it up at once rather than
after a lease runs out:

* `worker`: claims no more queued commands (``bot.commands``, run by ``bot.runner``); a
  claimed one that has not started is handed back, the running ones are waited for, and
  those still running at the deadline are handed back in doubt. The scheduler starts no
  more ticks (a running tick is waited for). The runner takes up no more messages and
  finishes the one it is posting and records it; a send waiting for the pacer (a
  Retry-After) wakes up and is handed back, since it never went out (``bot.sender``).
* `serve` (HTTP): every request but GET /metrics is answered 503 from then on (Slack retries
  events; the readiness probe fails, so no traffic is routed here), the requests being
  handled get their answer, the listeners' work after the ack runs to its end, and the
  scheduler and senders stop as in the worker. Socket Mode disconnects first (Slack
  redelivers what is not acknowledged).

One line is logged at the start (what the process holds) and one at the end (how much was
finished, handed back, and cut off: still running at the deadline, like a crash, since every
step is idempotent). The process then exits with status 0; with work cut off, at once rather
than waiting for it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import FrameType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.background import Background
    from bot.runner import Runner

log = logging.getLogger(__name__)

# How the last line names the queue's kinds (bot.commands.KIND, storage.slack_outbox.KIND).
KIND_NAMES = {"command": "commands", "slack.message": "outbox messages"}
SIGNALS = (signal.SIGTERM, signal.SIGINT)
# ``container.in_flight`` counts listener runs after their ack and the queue items claimed here;
# the log names the queue items by kind (``Tally.add_queue``), the rest as listener runs.
IN_FLIGHT = "listener runs"
EXIT_MARGIN_S = 1.0  # of the grace, kept for the last log line, closing the database, exiting

StartResponse = Callable[..., Any]


@dataclass
class Tally:
    """What a shutdown finished, handed back and cut off (still running at the deadline),
    by kind of work ("outbox messages")."""

    finished: dict[str, int] = field(default_factory=dict)
    handed_back: dict[str, int] = field(default_factory=dict)
    cut_off: dict[str, int] = field(default_factory=dict)

    @staticmethod
    def _text(counts: dict[str, int]) -> str:
        total = sum(counts.values())
        parts = ", ".join(f"{n} {kind}" for kind, n in counts.items() if n)
        return f"{total} ({parts})" if parts else str(total)

    def add_queue(self, runner: Runner, before: QueueCounts) -> Tally:
        """Add what ``runner`` did since ``before`` (``queue_counts``'s answer, at the signal)."""
        tallies = (self.finished, self.handed_back, self.cut_off)
        for into, now, then in zip(tallies, queue_counts(runner), before, strict=True):
            for kind, n in (now - then).items():
                into[KIND_NAMES.get(kind, kind)] = n
        return self


QueueCounts = tuple[Counter[str], ...]


def queue_counts(runner: Runner) -> QueueCounts:
    """The runner's items finished, handed back and cut off so far, by kind."""
    return Counter(runner.finished), Counter(runner.handed_back), Counter(runner.cut_off)


class Shutdown:
    """The signal, the deadline and the two log lines of one process's shutdown."""

    def __init__(self, grace: float) -> None:
        self.grace = grace
        self.stopping = threading.Event()
        self.signal_name = "stop"
        self.started = 0.0
        self.deadline = 0.0

    def install(self) -> Shutdown:
        """Catch SIGTERM and SIGINT (from the main thread) to set ``stopping``."""
        for signum in SIGNALS:
            signal.signal(signum, self._on_signal)
        return self

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if not self.stopping.is_set():
            self.signal_name = signal.Signals(signum).name
        self.stopping.set()

    def wait(self) -> None:
        """Block until a signal came."""
        while not self.stopping.wait(1.0):  # a timed wait lets the signal handler run
            pass

    def begin(self, holding: dict[str, int]) -> float:
        """Log what the process holds; the deadline (``time.monotonic()``) for its work."""
        self.started = time.monotonic()
        self.deadline = self.started + max(self.grace - min(EXIT_MARGIN_S, self.grace / 5), 0.0)
        held = ", ".join(f"{n} {kind}" for kind, n in holding.items()) or "nothing"
        log.info(
            "shutdown: %s received; taking no new work; holding %s; finishing or handing it "
            "back within %g s",
            self.signal_name,
            held,
            self.grace,
            extra={"shutdown": "begin", "holding": holding},
        )
        return self.deadline

    def left(self) -> float:
        """Seconds until the deadline of the work (0 when it passed)."""
        return max(self.deadline - time.monotonic(), 0.0)

    def grace_left(self) -> float:
        """Seconds until the grace period ends (the process must be gone by then)."""
        return max(self.grace - (time.monotonic() - self.started), 0.0)

    def end(self, tally: Tally) -> None:
        took = time.monotonic() - self.started
        cut_off = sum(tally.cut_off.values())
        log.log(
            logging.WARNING if cut_off else logging.INFO,
            "shutdown: done in %.1f s (grace %g s): finished %s, handed back %s%s",
            took,
            self.grace,
            Tally._text(tally.finished),
            Tally._text(tally.handed_back),
            f", cut off {Tally._text(tally.cut_off)}" if cut_off else "",
            extra={
                "shutdown": "end",
                "seconds": round(took, 3),
                "finished": sum(tally.finished.values()),
                "handed_back": sum(tally.handed_back.values()),
                "cut_off": cut_off,
            },
        )


def exit_process(clean: bool, grace_left: float) -> None:
    """End the process with status 0. ``clean``: nothing is running any more, so the
    interpreter exits normally (a watchdog exits anyway after ``grace_left`` seconds if
    some thread still holds it); else at once, without waiting for the threads still busy."""
    if clean:
        watchdog = threading.Timer(max(grace_left, 0.1), _exit_now)
        watchdog.daemon = True
        watchdog.start()
        return
    _exit_now()


def _exit_now() -> None:
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(0)


def close_databases(container: Any) -> None:
    for engine in {id(e): e for e in (container.db_engine, container.pace_db_engine) if e}.values():
        engine.dispose()


# -- worker -----------------------------------------------------------------------------------


def drain_worker(shutdown: Shutdown, background: Background) -> bool:
    """Stop the worker's loops and finish or hand back their work by the deadline; whether
    everything ended in time."""
    before = queue_counts(background.runner)
    shutdown.begin(
        {
            "claimed queue items": background.runner.holding(),
            "follow-through ticks": background.ticking.count,
        }
    )
    clean = background.stop_by(shutdown.deadline)
    shutdown.end(Tally().add_queue(background.runner, before))
    return clean


# -- serve ------------------------------------------------------------------------------------


class Refusing:
    """A WSGI app in front of the bot's while it shuts down: 503 to everything but GET
    /metrics (Slack retries an event elsewhere; /healthz fails, so the pod leaves the
    Service's endpoints)."""

    def __init__(self, app: Callable[[dict[str, Any], StartResponse], Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/metrics":
            return self.app(environ, start_response)
        body = b"shutting down"
        start_response(
            "503 Service Unavailable",
            [
                ("Content-Type", "text/plain; charset=utf-8"),
                ("Content-Length", str(len(body))),
                ("Retry-After", "1"),
            ],
        )
        return [body]


def serve_until_stopped(server: Any, container: Any, background: Background) -> None:
    """Serve HTTP (``bot.serving.create_server``'s server) until SIGTERM or SIGINT, then
    shut down gracefully (see the module docstring) and exit."""
    from bot.serving import run_in_thread

    shutdown = Shutdown(container.settings.intake_shutdown_grace).install()
    run_in_thread(server, "slack-http")
    shutdown.wait()
    dispatcher = server.task_dispatcher
    requests = _requests_in_progress(dispatcher)
    listeners = _listener_runs(container, background)
    before = queue_counts(background.runner)
    shutdown.begin(
        {
            "HTTP requests": requests,
            IN_FLIGHT: listeners,
            "claimed queue items": background.runner.holding(),
        }
    )
    server.application = Refusing(server.application)  # each request reads it anew
    background.request_stop()
    requests_left = _wait_requests(dispatcher, shutdown)
    listeners_done = container.in_flight.wait_idle(shutdown.left())
    listeners_left = _listener_runs(container, background)
    clean = background.stop_by(shutdown.deadline) and listeners_done and not requests_left
    server.close()
    _end_serve(shutdown, background, before, (requests, requests_left), (listeners, listeners_left))
    close_databases(container)
    exit_process(clean, shutdown.grace_left())


def run_socket_mode_until_stopped(handler: Any, container: Any, background: Background) -> None:
    """Socket Mode: connect, and on SIGTERM or SIGINT disconnect (Slack sends no more
    here), let the listeners finish, stop the background loops and exit."""
    shutdown = Shutdown(container.settings.intake_shutdown_grace).install()
    handler.connect()
    shutdown.wait()
    listeners = _listener_runs(container, background)
    before = queue_counts(background.runner)
    shutdown.begin({IN_FLIGHT: listeners, "claimed queue items": background.runner.holding()})
    background.request_stop()
    handler.close()
    listeners_done = container.in_flight.wait_idle(shutdown.left())
    listeners_left = _listener_runs(container, background)
    clean = background.stop_by(shutdown.deadline) and listeners_done
    _end_serve(shutdown, background, before, (0, 0), (listeners, listeners_left))
    close_databases(container)
    exit_process(clean, shutdown.grace_left())


def _requests_in_progress(dispatcher: Any) -> int:
    with dispatcher.lock:
        return int(dispatcher.active_count) + len(dispatcher.queue)


def _wait_requests(dispatcher: Any, shutdown: Shutdown) -> int:
    """Wait until waitress has answered the requests it holds (at most until the deadline);
    how many are left."""
    with dispatcher.lock:
        while dispatcher.active_count or dispatcher.queue:
            if not shutdown.left():
                break
            dispatcher.queue_cv.wait(0.01)
        return int(dispatcher.active_count) + len(dispatcher.queue)


def _listener_runs(container: Any, background: Background) -> int:
    """Work started after an ack and not done: the work in flight but for the queue items
    (those are the runner's, counted by kind)."""
    held: int = container.in_flight.count
    return max(held - background.runner.holding(), 0)


def _end_serve(
    shutdown: Shutdown,
    background: Background,
    before: QueueCounts,
    requests: tuple[int, int],
    in_flight: tuple[int, int],
) -> None:
    tally = Tally(
        finished={
            "HTTP requests": max(requests[0] - requests[1], 0),
            IN_FLIGHT: max(in_flight[0] - in_flight[1], 0),
        },
        cut_off={"HTTP requests": requests[1], IN_FLIGHT: in_flight[1]},
    )
    shutdown.end(tally.add_queue(background.runner, before))
