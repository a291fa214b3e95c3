"""What burst.py and flood.py share: one `intake-bot serve` (HTTP, a temporary SQLite file, the
rule assistant: the embedded default) whose WebClient talks to the fake Slack Web API in this
process with Slack's documented rate limits on, a prober that times GET /healthz, a sampler of
the replica's threads and open database connections, and how an ack is read.

``BENCH_REPLICA_PATH=DIR`` runs the replica from another copy of the code (its PYTHONPATH),
e.g. ``git archive <commit> | tar -x -C DIR``, to measure before and after a change.

Signing and payloads are SlackDriver's (bot/sandbox/requests.py); the replica process and the
percentiles are ack_latency.py's.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "benchmarks"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from ack_latency import Replica, ms, percentile, proc_status  # noqa: E402

from bot.busy import BUSY, SLOW_DOWN_INTAKE, WORKSPACE_BUSY  # noqa: E402
from tests.fakes.slack_api import FakeSlack  # noqa: E402
from tests.fakes.slack_requests import DriverResponse, SlackDriver  # noqa: E402

SIGNING_SECRET = "benchmark-signing-secret"
TOKEN = "xoxb-benchmark"
REVIEW_CHANNEL = "C0REVIEW"
SLACK_GIVES_UP = 3.0

__all__ = ["ms", "percentile"]


@dataclass
class Rig:
    fake: FakeSlack
    replica: Replica
    driver: SlackDriver
    workdir: Path
    database: Path

    @property
    def healthz_url(self) -> str:
        return self.replica.events_url.replace("/slack/events", "/healthz")


@contextlib.contextmanager
def serve(rate_limits: bool = True, **settings: str) -> Iterator[Rig]:
    """A running replica on a fresh SQLite file; stopped (and the files removed) after."""
    workdir = Path(tempfile.mkdtemp(prefix="serve-rig-"))
    database = workdir / "intake.db"
    fake = FakeSlack(bot_token=TOKEN).start()
    fake.add_channel(REVIEW_CHANNEL, "platform-review")
    fake.add_channel("C0REQUESTS", "platform-requests")
    if rate_limits:
        fake.use_documented_rates()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "INTAKE_", "DATABASE_", "OPENAI_"))
    }
    env.update(
        PYTHONPATH=os.environ.get("BENCH_REPLICA_PATH") or str(ROOT),
        DATABASE_URL=f"sqlite:///{database}",
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake.api_url,
        INTAKE_REVIEW_CHANNEL=REVIEW_CHANNEL,
        **{k.upper(): v for k, v in settings.items()},
    )
    replica = Replica(env, workdir).start()
    driver = SlackDriver(replica.events_url, SIGNING_SECRET, fake, timeout=10.0)
    try:
        yield Rig(fake, replica, driver, workdir, database)
    finally:
        replica.stop()
        fake.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def add_people(fake: FakeSlack, count: int, prefix: str = "U0P") -> list[str]:
    people = [f"{prefix}{n:05d}" for n in range(count)]
    for n, person in enumerate(people):
        fake.add_user(person, f"person{n}", tz="Europe/Berlin")
    return people


def answer_kind(response: DriverResponse) -> str:
    """What the person saw: "ok", "busy", "slow down", or an error."""
    if response.status != 200:
        return f"HTTP {response.status}"
    if response.elapsed_seconds > SLACK_GIVES_UP:
        return "over 3 s"
    if SLOW_DOWN_INTAKE[:20] in response.body or "Slow down" in response.body:
        return "slow down"
    if BUSY[:20] in response.body or WORKSPACE_BUSY[:20] in response.body:
        return "busy"
    return "ok"


def send(driver: SlackDriver, kind: str, *args: object) -> DriverResponse:
    """One request; a connection error or timeout is an answer with status 0."""
    started = time.perf_counter()
    try:
        return getattr(driver, kind)(*args)  # type: ignore[no-any-return]
    except OSError as error:
        return DriverResponse(0, str(error), None, time.perf_counter() - started, None, b"", "")


_PROBE = """
import sys, time, urllib.request
url, every = sys.argv[1], float(sys.argv[2])
while True:
    asked = time.monotonic()
    ok = False
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            ok = answer.status == 200 and answer.read() == b"ok"
    except OSError:
        pass
    print(asked, time.monotonic() - asked if ok else 2.0, int(ok), flush=True)
    time.sleep(max(0.0, every - (time.monotonic() - asked)))
"""


@dataclass
class HealthProbe:
    """GET /healthz every ``every`` seconds from a process of its own (so that the load
    generator's threads do not delay it); each latency is kept with the time it was asked
    (a failure or a timeout after 2 s counts as 2 s and a failure)."""

    url: str
    every: float = 0.25
    times: list[tuple[float, float, bool]] = field(default_factory=list)
    _process: subprocess.Popen[str] | None = None

    def start(self) -> HealthProbe:
        self._process = subprocess.Popen(
            [sys.executable, "-c", _PROBE, self.url, str(self.every)],
            stdout=subprocess.PIPE,
            text=True,
        )
        threading.Thread(target=self._read, name="healthz", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(5)

    def _read(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        for line in self._process.stdout:
            asked, took, ok = line.split()
            self.times.append((float(asked), float(took), ok == "1"))

    def between(self, start: float, end: float) -> list[tuple[float, bool]]:
        return [(took, ok) for asked, took, ok in self.times if start <= asked < end]


def health_line(label: str, probes: list[tuple[float, bool]]) -> str:
    took = [t for t, _ in probes]
    failed = sum(1 for _, ok in probes if not ok)
    return (
        f"/healthz {label}: {len(took)} probes, p50 {ms(percentile(took, 50))}, "
        f"p99 {ms(percentile(took, 99))}, max {ms(max(took, default=float('nan')))}, "
        f"failed or over 2 s: {failed}"
    )


def db_connections(pid: int, database: Path) -> int:
    """The replica's open connections to the SQLite file (its open descriptors on it)."""
    count = 0
    with contextlib.suppress(OSError):
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                if os.readlink(f"/proc/{pid}/fd/{fd}") == str(database):
                    count += 1
    return count


@dataclass
class Sampler:
    """The replica's threads and database connections every 0.2 s: peak and last."""

    pid: int
    database: Path
    threads_peak: int = 0
    threads_last: int = 0
    connections_peak: int = 0
    connections_last: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> Sampler:
        threading.Thread(target=self._loop, name="sampler", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        while not self._stop.wait(0.2):
            with contextlib.suppress(OSError, ValueError):
                self.threads_last = proc_status(self.pid, "Threads")
                self.threads_peak = max(self.threads_peak, self.threads_last)
            self.connections_last = db_connections(self.pid, self.database)
            self.connections_peak = max(self.connections_peak, self.connections_last)
