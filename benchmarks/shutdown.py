"""Shutdown benchmark: SIGTERM to `intake-bot worker` in the middle of a fan-out of nudges.

    .venv/bin/python benchmarks/shutdown.py [--nudges 300] [--database-url postgresql://...]
        [--code DIR]

Queues ``--nudges`` weekly nudge DMs (one per owner) in the queue of a temporary SQLite file
or of ``--database-url`` (a throwaway database: it is migrated and its queue, pace and runs
tables are emptied first), starts the fake Slack Web API on 127.0.0.1 with Slack's
chat.postMessage limits (1 a second per channel; workspace-wide 600 a minute, burst 20; over
either: 429 with Retry-After) and 20 ms per call, and runs two scenarios with a real
`intake-bot worker` process each:

* **mid fan-out**: SIGTERM once a quarter of the nudges went out; then a second worker sends
  the rest. Every owner must end with exactly one DM.
* **Retry-After 30 s**: SIGTERM while the sender waits out a forced 429 with Retry-After 30.

For each it prints the seconds from SIGTERM to the process's exit, its exit status, how many
claimed messages it handed back (its last log line) and whether every unsent message was due
again at once (no lease to wait for). ``--code DIR`` runs the workers from another source
tree (``git archive <commit> bot storage intake trackers llm | tar -x -C DIR``) to compare
with an older commit that queues messages the same way (``queue_items``, migration 0012 on).
Exit status 1 when a nudge was lost or duplicated. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import select, text  # noqa: E402

from storage import slack_outbox  # noqa: E402
from storage.db import make_engine, upgrade  # noqa: E402
from storage.models import QueueItemRow  # noqa: E402
from tests.fakes.slack_api import FakeSlack  # noqa: E402
from tests.storage.slack_messages import queue_nudges  # noqa: E402

TOKEN = "xoxb-benchmark"
EMPTIED = ("queue_items", "pace", "job_runs")


def awake_zone() -> str:
    """A time zone where it is now midday (nudges only go out 08:00-18:00 local)."""
    offset = (12 - datetime.now(UTC).hour) % 24
    offset = offset - 24 if offset > 12 else offset
    return "UTC" if offset == 0 else f"Etc/GMT{-offset:+d}"


def prepare(url: str, fake: FakeSlack, nudges: int) -> list[str]:
    engine = make_engine(url)
    try:
        upgrade(engine)
        with engine.begin() as connection:
            for table in EMPTIED:
                connection.execute(text(f"DELETE FROM {table}"))
        owners = [f"U{n:07d}" for n in range(nudges)]
        queue_nudges(engine, fake, owners, zone=awake_zone(), at=datetime.now(UTC), period="bench")
        return owners
    finally:
        engine.dispose()


def delivered(fake: FakeSlack) -> int:
    return sum(1 for call in fake.calls_to("chat.postMessage") if call.ok)


def start_worker(url: str, fake: FakeSlack, log: Path, code: str | None) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "INTAKE_"))}
    env.update(DATABASE_URL=url, SLACK_BOT_TOKEN=TOKEN, SLACK_API_URL=fake.api_url)
    if code:
        env["PYTHONPATH"] = code
    command = [sys.executable, "-c", "from bot.cli import main; main()", "worker"]
    with log.open("ab") as out:
        process = subprocess.Popen(
            command, env=env, cwd=log.parent, stdout=out, stderr=out
        )  # not the checkout's directory: with ``-c`` it would come before --code
    deadline = time.monotonic() + 60
    while "worker running" not in log.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"the worker did not start:\n{log.read_text()[-2000:]}")
        time.sleep(0.05)
    return process


def wait(condition: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def terminate(process: subprocess.Popen[bytes]) -> tuple[float, int]:
    """SIGTERM; (seconds until it exited, exit status). SIGKILL after 120 s."""
    sent = time.monotonic()
    process.send_signal(signal.SIGTERM)
    try:
        code = process.wait(timeout=120)
    except subprocess.TimeoutExpired:
        process.kill()
        code = process.wait()
    return time.monotonic() - sent, code


def unsent_state(url: str) -> tuple[int, int]:
    """(messages not sent, of which still leased or in doubt)."""
    engine = make_engine(url)
    now = datetime.now(UTC)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                select(QueueItemRow.run_at, QueueItemRow.started_at).where(
                    QueueItemRow.kind == slack_outbox.KIND, QueueItemRow.done_at.is_(None)
                )
            ).all()
    finally:
        engine.dispose()
    held = 0
    for due, started_at in rows:
        held += due > now or started_at is not None
    return len(rows), held


def logged(log: Path, pattern: str) -> str:
    """The last match of ``pattern`` in the worker's log ("-": none, e.g. an older commit)."""
    found = re.findall(pattern, log.read_text(errors="replace"))
    return found[-1] if found else "-"


def report(name: str, took: float, code: int, log: Path, url: str) -> None:
    unsent, held = unsent_state(url)
    drained = logged(log, r"shutdown: done in ([0-9.]+) s")
    back = logged(log, r"handed back (\d+)")
    print(
        f"{name:<18} exit {code:>3} after {took:5.1f} s (drained in {drained} s); handed back "
        f"{back:>4}; unsent {unsent:>4}, of which still leased or in doubt {held}"
    )


def run(args: argparse.Namespace, url: str, where: Path) -> int:
    fake = FakeSlack(bot_token=TOKEN).start()
    try:
        fake.set_rate("chat.postMessage", 60, burst=1, per_channel=True)
        fake.set_workspace_rate("chat.postMessage", 600, burst=20)
        fake.delay("chat.postMessage", 0.02)
        owners = prepare(url, fake, args.nudges)

        first = start_worker(url, fake, where / "worker-1.log", args.code)
        wait(lambda: delivered(fake) >= args.nudges // 4, 300)
        took, code = terminate(first)
        report("mid fan-out", took, code, where / "worker-1.log", url)
        second = start_worker(url, fake, where / "worker-2.log", args.code)
        wait(lambda: delivered(fake) >= args.nudges, 600)
        terminate(second)
        counts = [len(fake.bot_messages(fake.dm_channel(owner))) for owner in owners]
        lost, dup = counts.count(0), sum(n - 1 for n in counts if n > 1)
        print(f"{'':<18} then a second worker: lost {lost}, sent twice {dup}")

        prepare(url, fake, args.nudges)
        fake.clear()
        third = start_worker(url, fake, where / "worker-3.log", args.code)
        wait(lambda: delivered(fake) >= 10, 300)
        fake.rate_limit("chat.postMessage", retry_after=30)
        wait(lambda: fake.ratelimited["chat.postMessage"] >= 1, 60)
        took, code = terminate(third)
        report("Retry-After 30 s", took, code, where / "worker-3.log", url)
        return 1 if lost or dup else 0
    finally:
        fake.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nudges", type=int, default=300)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--code", default=None, help="run the workers from this source tree")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        where = Path(tmp)
        url = args.database_url or f"sqlite:///{where / 'intake.db'}"
        print(f"{args.nudges} nudges on {url.split(':', 1)[0]}")
        return run(args, url, where)


if __name__ == "__main__":
    sys.exit(main())
