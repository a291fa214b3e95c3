"""Fan-out benchmark: 1,000 owner nudges through the pacer while people keep clicking.

    .venv/bin/python benchmarks/fanout.py [--owners 1000] [--senders 2]
        [--workspace-per-minute 600] [--burst 20] [--interactive-every 0.5]
        [--database-url postgresql://...]

Starts the fake Slack Web API (tests/fakes/slack_api.py) on 127.0.0.1 with chat.postMessage
limited to 1 message per second per channel and, workspace-wide, ``--workspace-per-minute``
with a burst of ``--burst``; over either it answers 429 with Retry-After. ``--senders``
processes each send their share of the owners one DM nudge (``PacedWebClient``, BULK lane),
sharing one ``SqlPaceStore`` (a temporary SQLite file, or ``--database-url``). None of them
is told the limits. Meanwhile this process sends an interactive chat.postMessage every
``--interactive-every`` seconds (each in its own thread, as Bolt runs each click) through
its own ``PacedWebClient`` on the same store, and measures how long each takes.

It prints what was delivered (from the fake's message store: each owner must have exactly one
DM), the 429s, the total time against the minimum the limits allow for everything that was
posted (``(messages - burst) / rate``) and the interactive latencies; exit status 1 when a
nudge was lost or duplicated. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from slack_sdk.errors import SlackApiError  # noqa: E402
from sqlalchemy import text  # noqa: E402

from bot.pacing import Lane, PacedWebClient, Pacer, lane  # noqa: E402
from storage.db import make_engine, upgrade  # noqa: E402
from storage.pace import SqlPaceStore  # noqa: E402
from tests.fakes.slack_api import FakeSlack  # noqa: E402

TOKEN = "xoxb-benchmark"
CLICK_CHANNELS = 20  # interactive replies rotate over this many channels
APP_RETRIES = 10  # what an outbox would do after the client's own 429 retries


def owner_id(n: int) -> str:
    return f"U{n:07d}"


class CountingPacer(Pacer):
    """A Pacer that counts the 429s it was told about."""

    rate_limited = 0

    def on_rate_limited(self, method: str, channel: str | None, retry_after: float) -> None:
        self.rate_limited += 1
        super().on_rate_limited(method, channel, retry_after)


# -- a sender process ----------------------------------------------------------------------


def worker(args: argparse.Namespace) -> int:
    engine = make_engine(args.database_url)
    pacer = CountingPacer(SqlPaceStore(engine))
    client = PacedWebClient(token=TOKEN, base_url=args.api_url, timeout=30, pacer=pacer)
    mine = [owner_id(n) for n in range(args.owners) if n % args.senders == args.index]
    print("ready", flush=True)
    sys.stdin.readline()  # "go"
    sent = failed = app_retries = 0
    with lane(Lane.BULK):
        for owner in mine:
            for attempt in range(APP_RETRIES):
                try:
                    client.chat_postMessage(
                        channel=owner, text=f"Reminder: PLAT-{owner[1:]} has a milestone due"
                    )
                except SlackApiError as error:
                    if error.response.status_code == 429 and attempt + 1 < APP_RETRIES:
                        app_retries += 1
                        continue
                    failed += 1
                    break
                sent += 1
                break
    print(
        json.dumps(
            {
                "sent": sent,
                "failed": failed,
                "app_retries": app_retries,
                "429s_seen": pacer.rate_limited,
                "finished_at": time.time(),
            }
        ),
        flush=True,
    )
    engine.dispose()
    return 0


# -- the run -------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1)]


def run(args: argparse.Namespace) -> int:
    tmp = tempfile.TemporaryDirectory(prefix="fanout-")
    database_url = args.database_url or f"sqlite:///{Path(tmp.name) / 'pace.db'}"
    upgrade(database_url)
    engine = make_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM pace"))  # learn from scratch

    fake = FakeSlack(bot_token=TOKEN).start()
    fake.set_rate("chat.postMessage", per_minute=60, burst=1, per_channel=True)
    fake.set_workspace_rate(
        "chat.postMessage", per_minute=args.workspace_per_minute, burst=args.burst
    )
    clicks = [f"C0CLICK{k:02d}" for k in range(CLICK_CHANNELS)]
    for channel in clicks:
        fake.add_channel(channel, channel.lower())

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--worker",
                f"--index={i}",
                f"--senders={args.senders}",
                f"--owners={args.owners}",
                f"--api-url={fake.api_url}",
                f"--database-url={database_url}",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        )
        for i in range(args.senders)
    ]
    for proc in procs:
        assert proc.stdout is not None
        if proc.stdout.readline().strip() != "ready":
            raise SystemExit("a sender did not start")

    pacer = CountingPacer(SqlPaceStore(engine))
    client = PacedWebClient(token=TOKEN, base_url=fake.api_url, timeout=30, pacer=pacer)
    latencies: list[float] = []
    interactive_failed = 0
    done = threading.Event()
    lock = threading.Lock()

    def click(n: int, due: float) -> None:
        nonlocal interactive_failed
        try:
            client.chat_postMessage(channel=clicks[n % len(clicks)], text=f"Approved (click {n})")
        except SlackApiError:
            with lock:
                interactive_failed += 1
            return
        with lock:
            latencies.append(time.monotonic() - due)

    def clicker(pool: ThreadPoolExecutor, futures: list[Future[None]]) -> None:
        start = time.monotonic()
        n = 0
        while not done.is_set():
            due = start + n * args.interactive_every
            delay = due - time.monotonic()
            if delay > 0 and done.wait(delay):
                break
            futures.append(pool.submit(click, n, due))
            n += 1

    started = time.time()
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    futures: list[Future[None]] = []
    with ThreadPoolExecutor(max_workers=16, thread_name_prefix="click") as pool:
        clicking = threading.Thread(target=clicker, args=(pool, futures), daemon=True)
        clicking.start()
        results = []
        for proc in procs:
            out, _ = proc.communicate()
            results.append(json.loads(out.strip().splitlines()[-1]))
        done.set()
        clicking.join()
        for future in futures:
            future.result()

    # -- what happened, from the fake's point of view --
    calls = fake.calls_to("chat.postMessage")
    bulk_ok = [c for c in calls if c.ok and str(c.args.get("channel", "")).startswith("U")]
    all_ok = [c for c in calls if c.ok]
    finished = max((c.at for c in bulk_ok), default=started)
    elapsed = finished - started
    during = [c for c in all_ok if c.at <= finished]
    rate = args.workspace_per_minute / 60.0
    minimum = max(len(during) - args.burst, 0) / rate
    minimum_bulk_only = max(args.owners - args.burst, 0) / rate
    counts = [len(fake.bot_messages(fake.dm_channel(owner_id(n)))) for n in range(args.owners)]
    delivered = sum(1 for c in counts if c >= 1)
    duplicates = sum(c - 1 for c in counts if c > 1)
    lost = sum(1 for c in counts if c == 0)
    limited = fake.ratelimited["chat.postMessage"]
    by_cause = {cause: n for (method, cause), n in fake.ratelimited_by.items() if n}
    learned = SqlPaceStore(engine).rate("chat.postMessage")
    fake.stop()
    engine.dispose()
    tmp.cleanup()

    backend = "PostgreSQL" if database_url.startswith("postgres") else "SQLite"
    print(
        f"fan-out: {args.owners} owners, {args.senders} sender process(es), {backend} pace store; "
        f"limits {args.workspace_per_minute:g}/min (burst {args.burst:g}) per workspace, "
        "1/s per channel"
    )
    print(
        f"  delivered           {delivered} / {args.owners}   lost {lost}   duplicates {duplicates}"
    )
    print(
        f"  429s received       {limited} of {len(calls)} chat.postMessage calls "
        f"({100 * limited / max(len(calls), 1):.2f} %) {by_cause or ''}"
    )
    print(
        f"  total time          {elapsed:.1f} s; minimum {minimum:.1f} s for the "
        f"{len(during)} messages posted meanwhile ({len(during) - len(bulk_ok)} interactive) "
        f"-> {elapsed / minimum if minimum else math.nan:.3f}x   "
        f"(nudges alone: {minimum_bulk_only:.1f} s)"
    )
    print(
        f"  interactive replies {len(latencies)} sent, {interactive_failed} failed, "
        f"{pacer.rate_limited} answered 429 first; latency "
        f"p50 {percentile(latencies, 50):.3f} s, p95 {percentile(latencies, 95):.3f} s, "
        f"max {max(latencies, default=math.nan):.3f} s"
    )
    print(
        f"  learned rate        {learned:.0f}/min;   violations recorded by the fake "
        f"{len(fake.violations)}"
    )
    for r, proc in zip(results, procs, strict=True):
        print(f"  sender pid {proc.pid}: {r}")
    return 1 if lost or duplicates else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--owners", type=int, default=1000)
    parser.add_argument("--senders", type=int, default=2)
    parser.add_argument("--workspace-per-minute", type=float, default=600)
    parser.add_argument("--burst", type=float, default=20)
    parser.add_argument("--interactive-every", type=float, default=0.5)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--index", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--api-url", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    return worker(args) if args.worker else run(args)


if __name__ == "__main__":
    raise SystemExit(main())
