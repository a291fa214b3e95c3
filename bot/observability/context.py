"""The request ID: one per incoming Slack request, on every log line written while handling it.

Where it is set:

* **HTTP** (``bot.serving.WsgiApp``): a new ``uuid4`` hex for every request, bound with
  ``request_scope`` around the whole WSGI call (reading the body, Bolt's middleware, the
  listener up to its ``ack()``), and returned as the ``X-Request-Id`` response header;
* **Socket Mode**: no WSGI layer, so a global Bolt middleware (``bind_bolt``) binds a new one
  for each request it dispatches. (In HTTP mode it keeps the one the WSGI layer set.)

How it reaches the listener threads: with ``process_before_response=False`` Bolt runs each
listener in its ``listener_executor`` (a plain ``ThreadPoolExecutor``) and answers Slack when
the listener calls ``ack()``; most of the work (and the logging) happens there, after the
HTTP response. A ``ThreadPoolExecutor`` does not carry ``contextvars`` into its threads, so
``bind_bolt`` wraps the app's executor (``app.listener_runner.listener_executor`` and the lazy
listener runner's ``executor``, the same object) in ``ContextExecutor``, whose ``submit`` runs
the function inside ``contextvars.copy_context()`` taken in the submitting thread: the
listener sees the request ID (and any other context variable, such as the pacing lane) of the
request that started it. The copy is made per submit, so two listeners never share a context.
(Alternatively pass ``listener_executor=ContextExecutor(ThreadPoolExecutor(5))`` to ``App``.)

Threads that are not serving a request (the outbox and webhook senders, the scheduler) have
no request ID: their log lines carry ``request_id: null``.
"""

from __future__ import annotations

import contextlib
import contextvars
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from typing import Any, Final, ParamSpec, TypeVar

from slack_bolt import App, BoltContext, BoltRequest

REQUEST_ID: Final[contextvars.ContextVar[str | None]] = contextvars.ContextVar(
    "intake_request_id", default=None
)

P = ParamSpec("P")
T = TypeVar("T")


def new_request_id() -> str:
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    return REQUEST_ID.get()


@contextlib.contextmanager
def request_scope(request_id: str | None = None) -> Iterator[str]:
    """Bind ``request_id`` (a new one by default) for the block; yields it."""
    bound = request_id or new_request_id()
    token = REQUEST_ID.set(bound)
    try:
        yield bound
    finally:
        REQUEST_ID.reset(token)


class ContextExecutor(Executor):
    """An ``Executor`` that runs each submitted call in a copy of the submitter's context
    (``contextvars``), delegating the threads to ``inner``."""

    def __init__(self, inner: Executor) -> None:
        self.inner = inner

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        context = contextvars.copy_context()

        def run() -> T:
            return context.run(fn, *args, **kwargs)

        return self.inner.submit(run)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.inner.shutdown(wait=wait, cancel_futures=cancel_futures)


_BOUND_MARK = "_intake_request_context_bound"


def bind_bolt(app: App) -> None:
    """Carry the request ID into ``app``'s listener threads and bind one for Socket Mode
    requests (see the module docstring). Idempotent."""
    if getattr(app, _BOUND_MARK, False):
        return
    runner = app.listener_runner
    if not isinstance(runner.listener_executor, ContextExecutor):
        wrapped = ContextExecutor(runner.listener_executor)
        runner.listener_executor = wrapped
        lazy: Any = runner.lazy_listener_runner
        if getattr(lazy, "executor", None) is wrapped.inner:
            lazy.executor = wrapped

    def bind_request_id(req: BoltRequest, context: BoltContext, next: Callable[[], None]) -> None:
        # Bolt runs middleware one after the other and the listener after the last one, all in
        # this thread: the ID set here stays for the listener's submit (no reset after next()).
        # In HTTP mode the WSGI layer has bound one already; Socket Mode threads are reused, so
        # there every request gets a fresh one.
        if req.mode == "socket_mode" or REQUEST_ID.get() is None:
            REQUEST_ID.set(new_request_id())
        context["request_id"] = REQUEST_ID.get()
        next()

    app.use(bind_request_id)
    setattr(app, _BOUND_MARK, True)


__all__ = [
    "REQUEST_ID",
    "ContextExecutor",
    "bind_bolt",
    "current_request_id",
    "new_request_id",
    "request_scope",
]
