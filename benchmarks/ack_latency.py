"""Over 400 lines: one benchmark run end to end (replica, model, sender, statistics, report) that
re-runs this file as its --role children; not yet cut into shared benchmark parts (issue 18).

Ack latency under load: signed Slack requests at a fixed rate against one `intake-bot serve`.

    .venv/bin/python benchmarks/ack_latency.py [--rate 50] [--seconds 60] [--llm-delay 5]
        [--database-url postgresql://...] [--seed N] [--drain S]
        [--slack-pace documented|learned] [--keep-log PATH] [--replica-path DIR]

Starts, on 127.0.0.1:

* the fake Slack Web API (tests/fakes/slack_api.py), in this process;
* the fake OpenAI-compatible server (tests/fakes/openai_api.py) in a child process, whose
  responder answers every request with valid structured output (``BenchModel``, built on
  tests/scenarios/fake_model.py) after ``--llm-delay`` seconds (``FakeReply.slow``);
* one replica, a real ``intake-bot serve`` subprocess in HTTP mode (waitress), pointed at both
  (``INTAKE_LLM_TIMEOUT`` above the delay, so the model really takes that long; token budgets
  high enough that no call is skipped), on a temporary SQLite file (the embedded default) or,
  with ``--database-url``, on that database (migrated first; asks are added to it);
* the sender, a child process that sends each request at its due time (open loop: a request
  never waits for an earlier one's answer) and times it from the moment it starts sending
  (connect included) until the HTTP response is read.

First it seeds intakes (the model answering at once): ``--seed`` people each start one with
``/intake``, and some of them are brought to an open Edit modal. Then, with the model answering
after ``--llm-delay`` s, it sends ``--rate`` requests a second for ``--seconds`` seconds, in
the cycle /intake, click, view submission, click, /intake, click:

* ``/intake <ask>`` from a new person each time (every one starts an intake);
* a click on an intake that is waiting for one: an answer button of its question, *Edit* on its
  draft (when few modals are open), *Submit* (or *Submit anyway*) on its draft;
* a view submission of an open edit modal (a changed title).

The replica's pacer (bot/pacing.py) shares its token buckets through the database's ``pace``
table. Seeding runs with that table filled as if every method allowed 6,000 calls a minute
(the fake Slack has no limits); before the run the table is emptied, so the pacer starts from
Slack's published rate tiers like a fresh deployment (``--slack-pace documented``, the
default), or kept (``--slack-pace learned``: as if it had learned a workspace whose limits this
load does not reach).

An intake gets its next request only once the bot has answered its previous one (the planner
reads the fake Slack's recorded calls); when none is waiting for a click or a submission, the
slot sends the next kind that is possible (``substituted``). After the run it waits up to
``--drain`` seconds for every reply, then counts errors and duplicates from the acks, the fake
Slack's recorded calls, the replica's log and the database (see benchmarks/README.md for the
exact definitions), and prints p50 / p99 / max ack latency (also as the replica measured it,
matched by X-Request-Id), the replica's CPU (user+sys from /proc/<pid>/stat over the run, as %
of one core) and peak memory (VmHWM). Exit status 1 when p99 >= 100 ms or there were errors or
duplicates. This process's garbage collector is off during the run and the drain (``GcPauses``:
its pauses sent requests in bursts); ``--generator-gc`` keeps it on.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import gc
import http.client
import http.server
import json
import math
import os
import re
import secrets
import shutil
import string
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import delete, func, select, text  # noqa: E402
from sqlalchemy.dialects import postgresql, sqlite  # noqa: E402

from bot.pacing import METHOD_LIMITS, RESERVE_SUFFIX  # noqa: E402
from bot.sandbox.requests import SignedRequest  # noqa: E402
from storage.db import make_engine, upgrade  # noqa: E402
from storage.models import AskRow, HistoryRow, PaceRow, TranscriptRow  # noqa: E402
from tests.fakes.openai_api import FakeOpenAI, FakeReply  # noqa: E402
from tests.fakes.slack_api import ApiCall, FakeSlack  # noqa: E402
from tests.fakes.slack_requests import DriverResponse, SlackDriver  # noqa: E402
from tests.scenarios.fake_model import ModelReading, ScenarioModel, block  # noqa: E402

INTAKE_BOT = str(Path(sys.executable).parent / "intake-bot")
SIGNING_SECRET = "benchmark-signing-secret"
TOKEN = "xoxb-benchmark"
REVIEW_CHANNEL = "C0REVIEW"
LEAD = "U0LEAD"
ASK_MARK = "bench-"
SLACK_GIVES_UP = 3.0  # Slack shows an error (or retries an event) after this long
HTTP_TIMEOUT = 10.0
BUILD_AHEAD = 0.05  # a request is built and handed to the sender this long before it is due
CYCLE = ("slash", "click", "view", "click", "slash", "click")
SEED_IN_FLIGHT = 12  # seeding requests waiting for the bot at once
OPENING = "opening your intake"  # in the /intake ack
SORRY = "something went wrong"  # bot.errors.SORRY
LEARNED_RATE = 6000.0  # calls a minute per method with --slack-pace learned (and while seeding)

# The fakes are ThreadingHTTPServers; socketserver's listen backlog of 5 drops connections
# (the client retries a second later) when hundreds arrive at once. Slack and OpenAI don't.
http.server.ThreadingHTTPServer.request_queue_size = 1024


# -- the model (in the --role llm child) ------------------------------------------------------


class BenchModel(ScenarioModel):
    """Reads every benchmark ask as a database for billing-api with everything but the engine
    and the environments, so an intake asks two questions (both with buttons), then shows its
    draft. Everything else is ScenarioModel (a careful model answering from the request)."""

    def __init__(self, today: date) -> None:
        super().__init__({})
        self.reading = ModelReading(
            "database",
            {
                "services": ("billing-api",),
                "deadline": ((today + timedelta(days=45)).isoformat(),),
                "storage_gb": ("200",),
                "impact": ("invoices cannot be generated without it",),
                "acceptance_criteria": (
                    "billing-api connects to it from staging",
                    "nightly backups restore in under 1 hour",
                ),
            },
        )

    def _reading(self, user: str) -> ModelReading | None:
        return self.reading if ASK_MARK in block(user, "ask") else None


def llm_role() -> int:
    """The fake model server; stdin: ``delay <seconds>`` and ``stats`` lines."""
    model = BenchModel(date.today())
    delay = [0.0]

    def respond(schema: str, body: dict[str, Any]) -> dict[str, Any] | FakeReply:
        answer = model(schema, body)
        return answer if isinstance(answer, FakeReply) else FakeReply.slow(delay[0], answer)

    fake = FakeOpenAI().start()
    fake.responder = respond
    print(fake.base_url, flush=True)
    for line in sys.stdin:
        command = line.split()
        if command[:1] == ["delay"]:
            delay[0] = float(command[1])
            print("ok", flush=True)
        elif command[:1] == ["stats"]:
            stats = {"requests": len(fake.requests), "violations": fake.violations[:5]}
            print(json.dumps(stats), flush=True)
    fake.stop()
    return 0


# -- the sender (the --role sender child) -----------------------------------------------------


def sender_role(events_url: str) -> int:
    """Reads one JSON job a line (``id``, ``due`` on time.monotonic(), ``body``, ``headers``),
    sends each at its due time in a thread of its own and writes one JSON result a line."""
    where = urlsplit(events_url)
    host, port, path = where.hostname or "127.0.0.1", where.port or 80, where.path
    out = threading.Lock()
    threads: list[threading.Thread] = []

    def send(job: dict[str, Any]) -> None:
        wait = float(job["due"]) - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        status, answer, request_id, error = 0, "", "", ""
        sent_wall, sent = time.time(), time.monotonic()
        connection = http.client.HTTPConnection(host, port, timeout=HTTP_TIMEOUT)
        try:
            connection.request("POST", path, body=job["body"].encode(), headers=job["headers"])
            response = connection.getresponse()
            data = response.read()
            status, request_id = response.status, response.getheader("X-Request-Id") or ""
            answer = data.decode("utf-8", errors="replace")[:2000]
        except (OSError, http.client.HTTPException) as exc:
            error = type(exc).__name__
        finally:
            connection.close()
        done = time.monotonic()
        result = {
            "id": job["id"],
            "sent": sent,
            "sent_wall": sent_wall,
            "done": done,
            "status": status,
            "body": answer,
            "request_id": request_id,
            "error": error,
        }
        with out:
            sys.stdout.write(json.dumps(result) + "\n")
            sys.stdout.flush()

    for line in sys.stdin:
        thread = threading.Thread(target=send, args=(json.loads(line),), daemon=True)
        thread.start()
        threads.append(thread)
        threads = [t for t in threads if t.is_alive()]
    for thread in threads:
        thread.join()
    return 0


# -- the replica ------------------------------------------------------------------------------


def proc_cpu_seconds(pid: int) -> float:
    """user + sys CPU seconds of a process (its own threads; /proc/<pid>/stat fields 14, 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_status(pid: int, name: str) -> int:
    """A number from /proc/<pid>/status (VmHWM and VmRSS in kB, Threads)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(name + ":"):
            return int(line.split()[1])
    return 0


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all CPUs from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return sum(values) - idle, sum(values)


class GcPauses:
    """This process's garbage collections that took longer than ``over`` seconds. The fake
    Slack keeps every call it answered: by the end of a run the process holds millions of
    objects, and a full collection stops the planner for a few hundred ms, so the requests
    due meanwhile reach the sender late and go out together (a burst the bot never sees in
    production)."""

    def __init__(self, over: float = 0.02) -> None:
        self.over = over
        self.pauses: list[float] = []
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        elif (took := time.perf_counter() - self._started) > self.over:
            self.pauses.append(took)


WORKER_APP = "intake-bench-worker"


class BackendRenicer:
    """Every half second, give the workers' PostgreSQL backends (``application_name``
    WORKER_APP; each opens when its pool first needs it) the workers' niceness. Needs the
    right to renice the server's processes (root, or the server's user)."""

    def __init__(self, database_url: str, nice: int) -> None:
        self.engine = make_engine(database_url)
        self.nice = nice
        self.done: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.engine.dispose()
        print(f"  reniced {len(self.done)} worker backends to nice {self.nice}")

    def _loop(self) -> None:
        query = text("SELECT pid FROM pg_stat_activity WHERE application_name = :app")
        while not self._stop.wait(0.5):
            with self.engine.connect() as connection:
                pids = {int(pid) for (pid,) in connection.execute(query, {"app": WORKER_APP})}
            for pid in pids - self.done:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.setpriority(os.PRIO_PROCESS, pid, self.nice)
                    self.done.add(pid)


class Replica:
    """``intake-bot serve`` on a free port; its log (JSON lines) goes to a file, so a busy
    reader can never block its writes."""

    def __init__(self, env: dict[str, str], workdir: Path) -> None:
        self.env = env
        self.workdir = workdir
        self.log_path = workdir / "replica.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.events_url = ""
        self.workers: list[subprocess.Popen[bytes]] = []

    def start_workers(self, count: int, nice: int = 0, timeout: float = 60.0) -> None:
        """``count`` ``intake-bot worker`` processes that run what serve queued; ``nice``
        lowers their CPU priority below serve's, as if they ran on cores of their own. Their
        PostgreSQL connections say ``application_name`` WORKER_APP (libpq's PGAPPNAME)."""
        for n in range(count):
            log_path = self.workdir / f"worker-{n}.log"
            with log_path.open("ab") as log:
                self.workers.append(
                    subprocess.Popen(
                        [INTAKE_BOT, "worker"],
                        env={**self.env, "PGAPPNAME": WORKER_APP},
                        cwd=self.workdir,
                        stdout=log,
                        stderr=log,
                        preexec_fn=(lambda: os.nice(nice)) if nice else None,
                    )
                )
            deadline = time.monotonic() + timeout
            while "worker running" not in log_path.read_text(errors="replace"):
                if self.workers[-1].poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("a worker did not start:\n" + log_path.read_text()[-3000:])
                time.sleep(0.05)

    def worker_log_text(self) -> str:
        return "".join(
            path.read_text(errors="replace") for path in sorted(self.workdir.glob("worker-*.log"))
        )

    def start(self, timeout: float = 60.0) -> Replica:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [INTAKE_BOT, "serve", "--host", "127.0.0.1", "--port", "0"],
            env=self.env,
            cwd=self.workdir,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(r"listening on http://127\.0\.0\.1:(\d+)", self.log_text())
            if found:
                self.events_url = f"http://127.0.0.1:{found.group(1)}/slack/events"
                return self
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise SystemExit("the replica did not start:\n" + self.log_text()[-3000:])

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        for process in [p for p in (self.process, *self.workers) if p is not None]:
            if process.poll() is None:
                process.terminate()
        for process in [p for p in (self.process, *self.workers) if p is not None]:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


# -- requests and intakes ---------------------------------------------------------------------


@dataclass(eq=False)
class Request:
    id: int
    kind: str  # slash, answer, edit, submit, submit_anyway, view
    intended: str  # the slot's kind: slash, click or view
    intake: Intake
    phase: str  # seed or run
    due: float  # time.monotonic()
    sent: float | None = None
    sent_wall: float | None = None
    done: float | None = None
    status: int = 0
    body: str = ""
    request_id: str = ""
    error: str = ""
    effect_at: float | None = None  # time.time() of the Web API call that answered it

    @property
    def latency(self) -> float | None:
        return None if self.sent is None or self.done is None else self.done - self.sent


# The requests each of which writes one transcript row (intake.service: what the person said).
RECORDED = ("slash", "answer", "submit", "submit_anyway", "view")


@dataclass(eq=False)
class Intake:
    n: int
    user: str
    text: str
    state: str = "starting"  # starting, question, draft, not_ready, modal, submitted
    ask_id: int | None = None
    message: dict[str, Any] | None = None  # the bot message whose buttons come next
    draft_ts: str | None = None
    view: dict[str, Any] | None = None
    waiting: Request | None = None  # the request whose answer the bot still owes
    requests: list[Request] = field(default_factory=list)
    roots: int = 0  # "New platform ask" thread roots in the DM
    questions: Counter[int] = field(default_factory=Counter)  # "Question N" posts by N
    drafts: int = 0  # drafts posted (not updated)
    submitted_notes: int = 0
    modals: int = 0  # views.open of the edit modal

    @property
    def channel(self) -> str:
        return "D" + self.user


class BuildingDriver(SlackDriver):
    """SlackDriver's payloads and signatures, without sending: the sender child sends."""

    built: tuple[bytes, dict[str, str]] = (b"", {})

    def deliver(self, request: SignedRequest) -> DriverResponse:
        self.built = (request.body, request.headers)
        return DriverResponse(
            200, "", None, 0.0, request.payload, request.body, request.content_type
        )


def action_ids(message: dict[str, Any]) -> list[str]:
    return [
        str(element.get("action_id", ""))
        for b in message.get("blocks") or []
        if b.get("type") == "actions"
        for element in b.get("elements") or []
    ]


def message_kind(message: dict[str, Any]) -> str:
    text = str(message.get("text") or "")
    ids = action_ids(message)
    if text.startswith("Thinking"):
        return "thinking"
    if any(i.startswith("intake_answer") for i in ids):
        return "question"
    if "intake_submit" in ids:
        return "draft"
    if "intake_submit_anyway" in ids:
        return "not_ready"
    if text.startswith("Submitted as"):
        return "submitted"
    if text.startswith("New platform ask"):
        return "root"
    return "other"


def ask_of_view(view: dict[str, Any]) -> int | None:
    """The ask an edit modal is for: its private_metadata, the id or JSON with "ask"."""
    meta = str(view.get("private_metadata") or "")
    if meta.isdigit():
        return int(meta)
    with contextlib.suppress(ValueError, KeyError, TypeError, AttributeError):
        return int(json.loads(meta)["ask"])
    return None


def ask_id_of(message: dict[str, Any]) -> int | None:
    for b in message.get("blocks") or []:
        for element in b.get("elements") or [] if b.get("type") == "actions" else []:
            value = str(element.get("value") or "")
            if value.isdigit():
                return int(value)
            if value.startswith("{"):
                with contextlib.suppress(ValueError, KeyError, TypeError):
                    return int(json.loads(value)["a"])
    return None


class Bench:
    """The planner: intakes, their states (from the fake Slack's calls) and what to send."""

    def __init__(self, fake: FakeSlack, events_url: str, sender: subprocess.Popen[str]) -> None:
        self.fake = fake
        self.driver = BuildingDriver(events_url, SIGNING_SECRET, fake)
        self.sender = sender
        self.tag = "".join(secrets.choice(string.ascii_uppercase) for _ in range(3))
        self.lock = threading.RLock()
        self.intakes: list[Intake] = []
        self.by_channel: dict[str, Intake] = {}
        self.by_ask: dict[int, Intake] = {}
        # Intakes waiting for their next request, by state (dicts as ordered sets).
        self.idle: dict[str, dict[Intake, None]] = {
            s: {} for s in ("question", "draft", "not_ready", "modal")
        }
        self.requests: list[Request] = []
        self.substituted: Counter[str] = Counter()
        self.seen_calls = 0
        self.modal_reserve = 4
        self.clicks = 0
        self.stopping = threading.Event()

    # -- intakes ------------------------------------------------------------------------

    def new_intake(self) -> Intake:
        n = len(self.intakes) + 1
        user = f"U{self.tag}{n:05d}"
        self.fake.add_user(user, f"bench{n}", tz="Europe/Berlin")
        text = f"{ASK_MARK}{self.tag}-{n}: we need a postgres database for billing-api"
        intake = Intake(n, user, text)
        self.intakes.append(intake)
        self.by_channel[intake.channel] = intake
        return intake

    def _available(self, intake: Intake) -> None:
        """The bot answered the intake's last request: it may get the next one."""
        intake.waiting = None
        if intake.state in self.idle:
            self.idle[intake.state][intake] = None

    def reset_pools(self) -> None:
        """Every intake that waits for nothing, in the pool of its state."""
        with self.lock:
            for pool in self.idle.values():
                pool.clear()
            for intake in self.intakes:
                if intake.waiting is None and intake.state in self.idle:
                    self.idle[intake.state][intake] = None

    def _take(self, state: str) -> Intake | None:
        pool = self.idle[state]
        while pool:
            intake = next(iter(pool))
            del pool[intake]
            if intake.waiting is None and intake.state == state:
                return intake
        return None

    def send(self, request: Request) -> None:
        """Register ``request`` (its intake now waits for the bot), build it and hand it to the
        sender, due at ``request.due`` (0: at once)."""
        with self.lock:
            request.id = len(self.requests)
            self.requests.append(request)
            request.intake.requests.append(request)
            request.intake.waiting = request
            for pool in self.idle.values():
                pool.pop(request.intake, None)
        body, headers = self._build(request)
        job = {"id": request.id, "due": request.due, "body": body.decode(), "headers": headers}
        assert self.sender.stdin is not None
        self.sender.stdin.write(json.dumps(job) + "\n")
        self.sender.stdin.flush()

    # -- what the bot did: the fake Slack's recorded calls --------------------------------

    def watch(self) -> None:
        """Apply the fake's new calls to the intakes (call it often, from one thread)."""
        calls = self.fake.calls[self.seen_calls :]  # an append-only list
        self.seen_calls += len(calls)
        with self.lock:
            for call in calls:
                if call.ok:
                    self._apply(call)

    def _apply(self, call: ApiCall) -> None:
        if call.method in ("views.open", "views.update"):  # (update: after a "loading" view)
            view = call.response.get("view") or {}
            ask = ask_of_view(view)
            intake = self.by_ask.get(ask) if ask is not None else None
            if intake is not None and view.get("callback_id") == "intake_edit_modal":
                intake.modals += 1
                intake.view = view
                intake.state = "modal"
                self._answered(intake, call, ("edit",))
            return
        if call.method not in ("chat.postMessage", "chat.update"):
            return
        intake = self.by_channel.get(str(call.response.get("channel") or ""))
        message = call.response.get("message")
        if intake is None or not isinstance(message, dict):
            return
        kind = message_kind(message)
        if intake.ask_id is None and kind in ("question", "draft", "not_ready"):
            ask = ask_id_of(message)
            if ask is not None:
                intake.ask_id = ask
                self.by_ask[ask] = intake
        if call.method == "chat.update":
            if message.get("ts") == intake.draft_ts and kind == "draft":
                intake.message = message
                if intake.state == "modal" or (
                    intake.waiting is not None and intake.waiting.kind == "view"
                ):
                    intake.state = "draft"
                self._answered(intake, call, ("view",))
            return
        if kind == "root":
            intake.roots += 1
        elif kind == "question":
            found = re.match(r"Question (\d+):", str(message.get("text") or ""))
            intake.questions[int(found.group(1)) if found else 0] += 1
            intake.state, intake.message = "question", message
            self._answered(intake, call, ("slash", "answer"))
        elif kind == "draft":
            intake.drafts += 1
            intake.state, intake.message = "draft", message
            intake.draft_ts = str(message.get("ts"))
            self._answered(intake, call, ("slash", "answer", "view"))
        elif kind == "not_ready":
            intake.state, intake.message = "not_ready", message
            self._answered(intake, call, ("submit",))
        elif kind == "submitted":
            intake.submitted_notes += 1
            intake.state, intake.message = "submitted", None
            self._answered(intake, call, ("submit", "submit_anyway"))

    def _answered(self, intake: Intake, call: ApiCall, kinds: tuple[str, ...]) -> None:
        request = intake.waiting
        if request is None or request.kind not in kinds:
            return
        request.effect_at = call.at
        self._available(intake)

    def watcher(self) -> None:
        while not self.stopping.is_set():
            self.watch()
            time.sleep(0.02)

    # -- the sender's answers -----------------------------------------------------------

    def results(self) -> None:
        assert self.sender.stdout is not None
        for line in self.sender.stdout:
            result = json.loads(line)
            with self.lock:
                request = self.requests[result["id"]]
                request.sent, request.sent_wall = result["sent"], result["sent_wall"]
                request.done, request.status = result["done"], result["status"]
                request.body, request.error = result["body"], result["error"]
                request.request_id = result["request_id"]

    # -- planning and sending -----------------------------------------------------------

    def plan(self, slot: str, phase: str, due: float) -> Request:
        """Build the request for a slot (or the next kind that is possible) and hand it to the
        sender, due at ``due``."""
        with self.lock:
            request = self._plan(slot, phase, due)
        self.send(request)
        return request

    def _plan(self, slot: str, phase: str, due: float) -> Request:
        def make(kind: str, intake: Intake) -> Request:
            if kind != slot and not (slot == "click" and kind in CLICKS):
                self.substituted[f"{slot} -> {kind}"] += 1
            return Request(-1, kind, slot, intake, phase, due)

        if slot == "view" and (intake := self._take("modal")) is not None:
            return make("view", intake)
        if slot in ("view", "click"):
            picked = self._click()
            if picked is not None:
                return make(*picked)
        return make("slash", self.new_intake())

    def _click(self) -> tuple[str, Intake] | None:
        """Edit when few modals are open; else an answer, except every third click a submit
        (each falling back to the other)."""
        self.clicks += 1
        if len(self.idle["modal"]) < self.modal_reserve and (d := self._take("draft")):
            return "edit", d
        for kind in ("submit", "answer") if self.clicks % 3 == 0 else ("answer", "submit"):
            if kind == "answer" and (q := self._take("question")):
                return "answer", q
            if kind == "submit" and (n := self._take("not_ready")):
                return "submit_anyway", n
            if kind == "submit" and (d := self._take("draft")):
                return "submit", d
        return None

    def _build(self, request: Request) -> tuple[bytes, dict[str, str]]:
        intake, driver = request.intake, self.driver
        with self.lock:
            message = copy.deepcopy(intake.message)
            view = copy.deepcopy(intake.view)
        if request.kind == "slash":
            driver.slash_command(intake.user, intake.text)
        elif request.kind == "answer":
            assert message is not None
            driver.click(intake.user, message, "intake_answer:0")
        elif request.kind in ("edit", "submit", "submit_anyway"):
            assert message is not None
            driver.click(intake.user, message, f"intake_{request.kind}")
        else:
            assert view is not None
            title = f"Billing database, revision {request.id}"
            driver.view_submission(intake.user, view, driver.state_values(view, {"title": title}))
        return driver.built

    def pending(self, phase: str) -> list[Request]:
        with self.lock:
            return [r for r in self.requests if r.phase == phase and r.intake.waiting is r]


CLICKS = ("answer", "edit", "submit", "submit_anyway")


# -- statistics -------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


def ms(value: float) -> str:
    return "-" if math.isnan(value) else f"{value * 1000:.0f} ms"


def seconds_text(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.1f} s"


@dataclass
class Sample:
    """The replica's threads and memory, sampled through the run."""

    threads: int = 0
    rss_kb: int = 0


def sampler(pid: int, sample: Sample, stop: threading.Event) -> None:
    while not stop.wait(0.25):
        with contextlib.suppress(OSError, ValueError):
            sample.threads = max(sample.threads, proc_status(pid, "Threads"))
            sample.rss_kb = max(sample.rss_kb, proc_status(pid, "VmRSS"))


def server_acks(log_text: str) -> tuple[dict[str, float], list[str], int]:
    """From the replica's JSON log: ack seconds by request ID, ERROR lines, LLM fallbacks."""
    acks: dict[str, float] = {}
    errors: list[str] = []
    fallbacks = 0
    for line in log_text.splitlines():
        if '"ERROR"' not in line and "slack request" not in line and "from rules" not in line:
            continue
        try:
            record = json.loads(line)
        except ValueError:
            continue
        message = str(record.get("message", ""))
        found = re.search(r"slack request .*ack_ms=(\d+)", message)
        if found and record.get("request_id"):
            acks[str(record["request_id"])] = int(found.group(1)) / 1000
        if record.get("level") == "ERROR":
            errors.append(message[:200])
        if "answering from rules" in message:
            fallbacks += 1
    return acks, errors, fallbacks


# -- the run ----------------------------------------------------------------------------------


@contextlib.contextmanager
def child(args: list[str], env: dict[str, str]) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [sys.executable, __file__, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    try:
        yield process
    finally:
        if process.stdin is not None:
            with contextlib.suppress(OSError):
                process.stdin.close()
        try:
            process.wait(timeout=HTTP_TIMEOUT + 5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def ask(process: subprocess.Popen[str], line: str) -> str:
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(line + "\n")
    process.stdin.flush()
    return process.stdout.readline().strip()


def wait_until(done: Callable[[], bool], timeout: float, every: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if done():
            return True
        time.sleep(every)
    return done()


def seed(bench: Bench, intakes: int, modals: int, timeout: float) -> None:
    """``intakes`` people start an intake; ``modals`` of them get to an open Edit modal. A
    request that failed (or whose answer has not come 20 s after its ack) is tried again."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        bench.watch()
        now = time.monotonic()
        with bench.lock:
            for intake in bench.intakes:
                request = intake.waiting
                if (
                    request is not None
                    and request.done is not None
                    and (request.status != 200 or request.error or now - request.done > 20)
                ):
                    intake.waiting = None  # give up on it; try again below
            in_flight = sum(1 for i in bench.intakes if i.waiting is not None)
            ready = sum(1 for i in bench.intakes[:modals] if i.state == "modal")
            starting = [i for i in bench.intakes if i.waiting is None and i.state == "starting"]
            todo = [i for i in bench.intakes[:modals] if i.waiting is None and i.state != "modal"]
        if len(bench.intakes) >= intakes and ready >= modals and in_flight == 0 and not starting:
            bench.reset_pools()
            return
        room = SEED_IN_FLIGHT - in_flight
        for intake in [*starting, *todo][: max(room, 0)]:
            kind = {"starting": "slash", "question": "answer", "draft": "edit"}.get(intake.state)
            if kind is not None:
                bench.send(Request(-1, kind, "seed", intake, "seed", 0.0))
                room -= 1
        while room > 0 and len(bench.intakes) < intakes:
            bench.plan("slash", "seed", 0.0)
            room -= 1
        time.sleep(0.02)
    raise SystemExit(f"seeding did not finish in {timeout:.0f} s")


def set_pace(database_url: str, per_minute: float | None) -> None:
    """Empty the replicas' shared pace table (storage.pace), as on a fresh deployment: the
    pacer starts from Slack's published tiers. With ``per_minute``, fill it instead as if the
    pacer had learned that the workspace allows that many calls a minute of every method."""
    engine = make_engine(database_url)
    now = datetime.now(UTC)
    upsert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
    try:
        with engine.begin() as connection:
            connection.execute(delete(PaceRow))
            for method, limits in METHOD_LIMITS.items() if per_minute else ():
                for key, burst in (
                    (method, limits.burst),
                    (method + RESERVE_SUFFIX, limits.reserve_burst),
                ):
                    values = {
                        "rate_per_minute": per_minute,
                        "tokens": burst,
                        "updated_at": now,
                        "blocked_until": None,
                        "successes_since_429": 0,
                    }
                    connection.execute(
                        upsert(PaceRow)
                        .values(key=key, **values)
                        .on_conflict_do_update(index_elements=["key"], set_=values)
                    )
    finally:
        engine.dispose()


def run(args: argparse.Namespace) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="ack-latency-"))
    database_url = args.database_url or f"sqlite:///{workdir / 'intake.db'}"
    backend = "PostgreSQL" if database_url.startswith("postgres") else "SQLite"
    upgrade(database_url)  # (`serve` would migrate only SQLite by itself)
    set_pace(database_url, LEARNED_RATE)  # seeding goes fast; the run's pace is set after it
    plain_env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "INTAKE_", "DATABASE_", "OPENAI_"))
    }
    replica_path = args.replica_path or str(ROOT)
    plain_env["PYTHONPATH"] = str(ROOT)

    fake = FakeSlack(bot_token=TOKEN).start()
    fake.add_channel(REVIEW_CHANNEL, "platform-review")
    fake.add_channel("C0REQUESTS", "platform-requests")
    fake.add_user(LEAD, "lee", tz="Europe/London")
    with child(["--role", "llm"], plain_env) as llm:
        assert llm.stdout is not None
        llm_url = llm.stdout.readline().strip()
        replica_env = {
            **plain_env,
            "PYTHONPATH": replica_path,
            "DATABASE_URL": database_url,
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": fake.api_url,
            "INTAKE_REVIEW_CHANNEL": REVIEW_CHANNEL,
            "INTAKE_LEADS": LEAD,
            "OPENAI_BASE_URL": llm_url,
            "OPENAI_API_KEY": "sk-benchmark",
            "INTAKE_LLM_MODEL": "fake-gpt",
            "INTAKE_LLM_TIMEOUT": str(min(120.0, max(30.0, 3 * args.llm_delay))),
            "INTAKE_LLM_TOKENS_PER_DAY": str(10**12),
            "INTAKE_LLM_TOKENS_PER_ASK": str(10**9),
        }
        if args.workers:  # serve acks and queues; the workers run the commands (bot.commands)
            replica_env["INTAKE_DEFER_WORK"] = "true"
            replica_env["INTAKE_RUN_SCHEDULER"] = "false"
        replica = Replica(replica_env, workdir).start()
        replica.start_workers(args.workers, args.worker_nice)
        renicer = None
        if args.worker_backends_nice and args.worker_nice and backend == "PostgreSQL":
            renicer = BackendRenicer(database_url, args.worker_nice)
            renicer.start()
        try:
            with child(["--role", "sender", "--events-url", replica.events_url], plain_env) as s:
                return measure(args, fake, llm, replica, s, backend, database_url)
        finally:
            if renicer is not None:
                renicer.stop()
            replica.stop()
            fake.stop()
            if args.keep_log:
                Path(args.keep_log).write_text(replica.log_text() + replica.worker_log_text())
            shutil.rmtree(workdir, ignore_errors=True)


def measure(
    args: argparse.Namespace,
    fake: FakeSlack,
    llm: subprocess.Popen[str],
    replica: Replica,
    sender: subprocess.Popen[str],
    backend: str,
    database_url: str,
) -> int:
    bench = Bench(fake, replica.events_url, sender)
    threading.Thread(target=bench.results, daemon=True).start()
    view_rate = args.rate * CYCLE.count("view") / len(CYCLE)
    bench.modal_reserve = max(2, math.ceil(view_rate * 2))
    seeds = args.seed
    if seeds is None:  # enough intakes waiting for clicks until the run's own ones are ready
        window = min(args.seconds, 5 * args.llm_delay + 10)
        seeds = math.ceil(args.rate * window * 0.6) + 10
    modal_seeds = min(seeds, math.ceil(view_rate * (args.llm_delay + 2)) + bench.modal_reserve)
    print(
        f"seeding {seeds} intakes ({modal_seeds} with an open edit modal), model answering at "
        f"once...",
        flush=True,
    )
    seeding_started = time.monotonic()
    seed(bench, seeds, modal_seeds, timeout=max(180.0, seeds * 0.5))
    fake.wait_idle(quiet=1.0, timeout=60)
    bench.watch()
    print(f"  seeded in {time.monotonic() - seeding_started:.0f} s", flush=True)
    assert ask(llm, f"delay {args.llm_delay}") == "ok"
    set_pace(database_url, LEARNED_RATE if args.slack_pace == "learned" else None)

    calls_before = len(fake.calls)
    violations_before = len(fake.violations)
    responses_before = len(fake.responses)
    log_before = len(replica.log_text())
    load_before = os.getloadavg()
    busy_before = machine_busy()
    cpu_before = proc_cpu_seconds(replica.pid)
    workers_before = [proc_cpu_seconds(w.pid) for w in replica.workers]
    own_before = {p: proc_cpu_seconds(p) for p in (os.getpid(), llm.pid, sender.pid)}
    sample, stop_sampling = Sample(), threading.Event()
    threading.Thread(target=sampler, args=(replica.pid, sample, stop_sampling), daemon=True).start()
    watching = threading.Thread(target=bench.watcher, daemon=True)
    watching.start()

    if not args.generator_gc:  # see GcPauses; collected again after the drain
        gc.collect()
        gc.freeze()
        gc.disable()
    gc_pauses = GcPauses()
    gc.callbacks.append(gc_pauses)
    total = round(args.rate * args.seconds)
    print(f"sending {total} requests at {args.rate:g}/s for {args.seconds:g} s...", flush=True)
    started = time.monotonic() + 0.2
    for i in range(total):
        due = started + i / args.rate
        wait = due - BUILD_AHEAD - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        bench.plan(CYCLE[i % len(CYCLE)], "run", due)
    run_requests = [r for r in bench.requests if r.phase == "run"]
    wait_until(lambda: all(r.done is not None for r in run_requests), HTTP_TIMEOUT + 5)
    window = time.monotonic() - started
    cpu = proc_cpu_seconds(replica.pid) - cpu_before
    workers_cpu = [
        proc_cpu_seconds(w.pid) - before
        for w, before in zip(replica.workers, workers_before, strict=True)
    ]
    own = {p: proc_cpu_seconds(p) - before for p, before in own_before.items()}
    busy_after = machine_busy()
    load_after_run = os.getloadavg()

    print(f"waiting up to {args.drain:g} s for the bot's replies...", flush=True)
    drain_started = time.monotonic()
    wait_until(lambda: not bench.pending("run"), args.drain, every=0.5)
    with contextlib.suppress(AssertionError):
        fake.wait_idle(quiet=2.0, timeout=10)
    drained = time.monotonic() - drain_started
    bench.stopping.set()
    watching.join()
    bench.watch()
    stop_sampling.set()
    gc.enable()
    gc.unfreeze()
    gc.callbacks.remove(gc_pauses)
    peak_kb = proc_status(replica.pid, "VmHWM")
    workers_peak_kb = [proc_status(w.pid, "VmHWM") for w in replica.workers]
    # Over the run and the drain: the whole work of the run's requests, for what it costs.
    workers_cpu_all = sum(
        proc_cpu_seconds(w.pid) - before
        for w, before in zip(replica.workers, workers_before, strict=True)
    )
    worker_log_before = 0
    llm_stats = json.loads(ask(llm, "stats"))
    replica.stop()

    # -- acks ---------------------------------------------------------------------------
    log_text = replica.log_text()
    acks, error_lines, fallbacks = server_acks(log_text[log_before:])
    if replica.workers:  # their whole logs: the run's work is most of them
        _, worker_errors, worker_fallbacks = server_acks(
            replica.worker_log_text()[worker_log_before:]
        )
        error_lines += worker_errors
        fallbacks += worker_fallbacks
    rows: list[tuple[str, list[Request]]] = [
        ("all", run_requests),
        ("/intake", [r for r in run_requests if r.kind == "slash"]),
        ("clicks", [r for r in run_requests if r.kind in CLICKS]),
        ("view submissions", [r for r in run_requests if r.kind == "view"]),
    ]
    lat = [r.latency for r in run_requests if r.latency is not None]
    non_200 = [r for r in run_requests if r.status != 200 and not r.error]
    failed = [r for r in run_requests if r.error]
    late = [
        r
        for r in run_requests
        if not r.error and r.latency is not None and r.latency > SLACK_GIVES_UP
    ]
    unexpected = [r for r in run_requests if r.status == 200 and not expected_ack(r)]

    # -- what the bot did -----------------------------------------------------------------
    calls = fake.calls[calls_before:]
    bad_calls = Counter(f"{c.method}: {c.error}" for c in calls if not c.ok)
    violations = fake.violations[violations_before:]
    notes = [p.body.get("text", "") for p in fake.responses[responses_before:]]
    notes += [str(c.args.get("text", "")) for c in calls if c.method == "chat.postEphemeral"]
    unanswered = [
        r for r in run_requests if r.intake.waiting is r and r.status == 200 and expected_ack(r)
    ]
    replies = [
        r.effect_at - r.sent_wall
        for r in run_requests
        if r.effect_at is not None and r.sent_wall is not None
    ]

    # -- duplicates -----------------------------------------------------------------------
    dup = duplicates(bench, fake.calls, database_url)

    errors = {
        "non-200 answers": len(non_200),
        "no answer (connection error or 10 s timeout)": len(failed),
        f"acks over {SLACK_GIVES_UP:.0f} s (Slack gives up)": len(late),
        "unexpected acks": len(unexpected),
        "fake Slack violations": len(violations),
        "failed Web API calls": sum(bad_calls.values()),
        "error notes to people": len(notes),
        "replica ERROR log lines": len(error_lines),
        f"no reply within the drain ({args.drain:g} s)": len(unanswered),
    }
    total_errors = sum(errors.values())
    total_dup = sum(dup.values())
    p99 = percentile(lat, 99)

    kinds = Counter(r.kind for r in run_requests)
    print()
    print(
        f"ack latency: {len(run_requests)} requests at {args.rate:g}/s for {args.seconds:g} s "
        f"({kinds['slash']} /intake, {sum(kinds[k] for k in CLICKS)} clicks "
        f"[{kinds['answer']} answers, {kinds['edit']} edit, {kinds['submit']} submit, "
        f"{kinds['submit_anyway']} submit anyway], {kinds['view']} view submissions); "
        f"model answering after {args.llm_delay:g} s; {backend}; {seeds} intakes seeded"
    )
    cores = os.cpu_count() or 1
    busy = (busy_after[0] - busy_before[0]) / max(busy_after[1] - busy_before[1], 1) * 100
    print(
        f"  machine: {cores} CPUs; load average {load_before[0]:.2f} before, "
        f"{load_after_run[0]:.2f} after the run; all CPUs {busy:.0f} % busy during the run"
    )
    print(f"  {'':<18}{'requests':>9}{'p50':>9}{'p99':>9}{'max':>9}   replica's own measure")
    for name, group in rows:
        values = [r.latency for r in group if r.latency is not None]
        server = [acks[r.request_id] for r in group if r.request_id in acks]
        print(
            f"  {name:<18}{len(group):>9}{ms(percentile(values, 50)):>9}"
            f"{ms(percentile(values, 99)):>9}{ms(max(values, default=math.nan)):>9}   "
            f"{ms(percentile(server, 50))} / {ms(percentile(server, 99))} / "
            f"{ms(max(server, default=math.nan))} ({len(server)} matched)"
        )
    print(f"  errors            {total_errors}")
    for name, count in errors.items():
        if count:
            print(f"    {name}: {count}")
    for call_error, count in bad_calls.most_common(5):
        print(f"      {call_error} x{count}")
    for method, reason in violations[:5]:
        print(f"      violation {method}: {reason[:150]}")
    for note in Counter(notes).most_common(3):
        print(f"      note x{note[1]}: {note[0][:150]}")
    for logged in error_lines[:3]:
        print(f"      log: {logged}")
    status_counts = Counter(r.status for r in non_200)
    if status_counts:
        print(f"      statuses: {dict(status_counts)}")
    print(f"  duplicates        {total_dup}")
    for name, count in dup.items():
        if count:
            print(f"    {name}: {count}")
    print(
        f"  replica           CPU {cpu:.1f} s user+sys in {window:.1f} s = "
        f"{100 * cpu / window:.0f} % of one core; peak memory (VmHWM) {peak_kb / 1024:.0f} MB; "
        f"up to {sample.threads} threads" + (" (serve: acks and queues)" if replica.workers else "")
    )
    if replica.workers:
        print(
            f"  {len(replica.workers)} worker(s)       CPU "
            + ", ".join(f"{100 * c / window:.0f} %" for c in workers_cpu)
            + f" of one core ({sum(workers_cpu):.1f} s in all); peak memory "
            + ", ".join(f"{kb / 1024:.0f} MB" for kb in workers_peak_kb)
        )
        if replies:
            per_reply = workers_cpu_all / len(replies)
            print(
                f"  work's cost       {workers_cpu_all:.1f} s of worker CPU over the run and "
                f"the drain = {1000 * per_reply:.0f} ms per request answered; "
                f"{args.rate:g} requests a second need {args.rate * per_reply:.1f} cores of workers"
            )
    sent_lag = [r.sent - r.due for r in run_requests if r.sent is not None]
    print(
        f"  bot's replies     p50 {seconds_text(percentile(replies, 50))}, p99 "
        f"{seconds_text(percentile(replies, 99))}, "
        f"max {seconds_text(max(replies, default=math.nan))}"
        f" from a request to its reply in Slack ({len(replies)} of {len(run_requests)}; "
        f"drained in {drained:.0f} s); {fallbacks} LLM calls answered from rules; "
        f"{llm_stats['requests']} model requests in all"
    )
    print(
        f"  load generator    sent late by p99 {ms(percentile(sent_lag, 99))}, max "
        f"{ms(max(sent_lag, default=math.nan))}; substituted {sum(bench.substituted.values())} "
        f"{dict(bench.substituted) or ''}; CPU of this process {own[os.getpid()]:.1f} s, "
        f"model {own[llm.pid]:.1f} s, sender {own[sender.pid]:.1f} s; "
        f"{len(gc_pauses.pauses)} garbage collections over 20 ms (longest "
        f"{ms(max(gc_pauses.pauses, default=0.0))}, collector "
        f"{'on' if args.generator_gc else 'off'} during the run)"
    )
    met = p99 < 0.1 and total_errors == 0 and total_dup == 0
    print(f"  target (p99 < 100 ms, no errors, no duplicates): {'met' if met else 'NOT met'}")
    return 0 if met else 1


def expected_ack(request: Request) -> bool:
    """A slash command is acked with the "opening your intake" note, everything else empty."""
    if request.kind == "slash":
        return OPENING in request.body
    return request.body.strip() == ""


def duplicates(bench: Bench, calls: list[ApiCall], database_url: str) -> dict[str, int]:
    """Effects that happened more than once for one request (see benchmarks/README.md)."""
    prefix = f"U{bench.tag}%"
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            asks = connection.execute(
                select(AskRow.id, AskRow.requester, AskRow.key).where(AskRow.requester.like(prefix))
            ).all()
            said = {
                int(ask_id): int(count)
                for ask_id, count in connection.execute(
                    select(TranscriptRow.ask_id, func.count())
                    .where(TranscriptRow.author.like(prefix))
                    .group_by(TranscriptRow.ask_id)
                )
            }
            submitted = {
                int(ask_id): int(count)
                for ask_id, count in connection.execute(
                    select(HistoryRow.ask_id, func.count())
                    .where(HistoryRow.to_status == "submitted")
                    .group_by(HistoryRow.ask_id)
                )
            }
    finally:
        engine.dispose()
    asks_of: Counter[str] = Counter(requester for _, requester, _ in asks)
    keys = {key for _, requester, key in asks if key}
    cards: Counter[str] = Counter()
    for call in calls:
        if (
            call.ok
            and call.method == "chat.postMessage"
            and call.args.get("channel") == (REVIEW_CHANNEL)
        ):
            found = re.match(r"([A-Z][A-Z0-9]*-\d+)\b", str(call.args.get("text") or ""))
            if found and found.group(1) in keys:
                cards[found.group(1)] += 1
    extra_rows = 0
    for ask_id, requester, _ in asks:
        intake = bench.by_channel.get("D" + requester)
        sent = sum(1 for r in intake.requests if r.kind in RECORDED) if intake else 0
        extra_rows += max(0, said.get(ask_id, 0) - sent)
    intakes = bench.intakes
    return {
        "asks for one /intake (database)": sum(n - 1 for n in asks_of.values() if n > 1),
        "intake threads for one /intake (Slack)": sum(max(0, i.roots - 1) for i in intakes),
        "transcript rows beyond one per request (database)": extra_rows,
        "a question posted twice (Slack)": sum(
            n - 1 for i in intakes for n in i.questions.values() if n > 1
        ),
        "drafts posted twice (Slack)": sum(max(0, i.drafts - 1) for i in intakes),
        "'Submitted as' posted twice (Slack)": sum(max(0, i.submitted_notes - 1) for i in intakes),
        "review cards posted twice (Slack)": sum(n - 1 for n in cards.values() if n > 1),
        "submitted twice (database history)": sum(n - 1 for n in submitted.values() if n > 1),
        "edit modals beyond one per Edit click (Slack)": sum(
            max(0, i.modals - sum(1 for r in i.requests if r.kind == "edit")) for i in intakes
        ),
    }


def main() -> int:
    # The docstring's first paragraph is why the file is long; the second says what it does.
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[1])
    parser.add_argument("--rate", type=float, default=50, help="requests per second")
    parser.add_argument("--seconds", type=float, default=60, help="how long to send")
    parser.add_argument("--llm-delay", type=float, default=5, help="seconds the model takes")
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--seed", type=int, default=None, help="intakes started before the run")
    parser.add_argument(
        "--drain",
        type=float,
        default=None,
        help="seconds to wait for the replies after the run (default: 6 x llm-delay + seconds)",
    )
    parser.add_argument(
        "--slack-pace",
        choices=["documented", "learned"],
        default="documented",
        help="how the replica's pacer starts the run: from Slack's published rate tiers (a "
        f"fresh deployment), or as if it had learned {LEARNED_RATE:,.0f} calls/min per method",
    )
    parser.add_argument("--keep-log", default=None, help="write the replica's log here")
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help="run serve with INTAKE_DEFER_WORK=true and this many `intake-bot worker` "
        "processes doing the work (default 0: serve does everything)",
    )
    parser.add_argument(
        "--worker-nice",
        type=int,
        default=0,
        help="run the workers at this niceness (e.g. 10): serve first, as if the workers had "
        "cores of their own, as they do in a real deployment (default 0)",
    )
    parser.add_argument(
        "--generator-gc",
        action="store_true",
        help="leave this process's garbage collector on during the run (default: off from "
        "the end of seeding to the end of the drain; its pauses sent requests in bursts)",
    )
    parser.add_argument(
        "--worker-backends-nice",
        action="store_true",
        help="on PostgreSQL, also run the workers' database backends at --worker-nice (found "
        "by their application_name), as if the work's queries had cores of their own too",
    )
    parser.add_argument(
        "--replica-path",
        default=None,
        help="PYTHONPATH of the replica (default: this checkout), to measure a changed copy",
    )
    parser.add_argument("--role", choices=["llm", "sender"], help=argparse.SUPPRESS)
    parser.add_argument("--events-url", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.drain is None:
        args.drain = 6 * args.llm_delay + args.seconds
    if args.role == "llm":
        return llm_role()
    if args.role == "sender":
        return sender_role(args.events_url)
    return run(args)


if __name__ == "__main__":
    raise SystemExit(main())
