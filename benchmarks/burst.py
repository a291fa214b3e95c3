"""Acks under a steady burst: 50 signed requests a second for 60 s, slash commands and button
clicks, against `intake-bot serve` on a temporary SQLite file (the embedded default, rule
assistant) with the fake Slack's documented rate limits on (serve_rig.py).

Before the run ``--seed`` people each start an intake (rate limits off and the pacer's table
filled as if it had learned generous limits, as ack_latency.py seeds), so that there are
questions to click; the run starts with the pace table empty (Slack's published tiers).

The run alternates `/intake <ask>` from a new person and a click on an answer button of a
question waiting in some seeded intake (a slot with nothing to click sends an `/intake`;
counted as substituted). Requests are sent open loop at their due times from a pool of
threads. Prints: errors (non-200, no answer, acks over 3 s), how the requests were answered
(ok, busy, slow down: for clicks, the private notes the bot sent through their response_url),
ack p50/p95/p99/max, /healthz latency during the run and right after it, the replica's
threads and database connections, and how many of the /intake acked "ok" got their first DM
by the end.

    .venv/bin/python benchmarks/burst.py
    .venv/bin/python benchmarks/burst.py --rate 50 --seconds 60 --seed 300 --drain 20
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
import threading
import time
from collections import Counter, deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ack_latency import LEARNED_RATE, set_pace
from serve_rig import (
    HealthProbe,
    Rig,
    Sampler,
    add_people,
    answer_kind,
    health_line,
    ms,
    percentile,
    send,
    serve,
)

from bot.busy import BUSY, SLOW_DOWN_ACTION, WORKSPACE_BUSY

ASKS = [
    "we need a postgres db for billing asap",
    "we need a redis cache for the search service",
    "please give the data team access to the analytics bucket",
    "we need a new kubernetes namespace for payments",
]
ANSWER = "intake_answer"


def question(rig: Rig, person: str) -> tuple[dict[str, Any], str, str] | None:
    """The newest bot message in the person's DM with an answer button, and that button's
    action_id and value, if any."""
    for message in reversed(rig.fake.bot_messages(rig.fake.dm_channel(person))):
        for block in message.get("blocks") or []:
            for element in block.get("elements") or [] if block.get("type") == "actions" else []:
                action = str(element.get("action_id", ""))
                if action.startswith(ANSWER):
                    return message, action, str(element.get("value"))
    return None


def seed(rig: Rig, people: list[str], timeout: float) -> list[str]:
    deadline = time.monotonic() + timeout

    def start(person: str) -> None:
        # A busy bot says so: then wait and send again, as a person would.
        while time.monotonic() < deadline:
            if answer_kind(send(rig.driver, "slash_command", person, ASKS[0])) == "ok":
                return
            time.sleep(1.0)

    database_url = f"sqlite:///{rig.database}"
    set_pace(database_url, LEARNED_RATE)  # seeding goes fast: as if limits were learned
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(start, people))
    while True:
        ready = [p for p in people if question(rig, p) is not None]
        if len(ready) == len(people) or time.monotonic() > deadline:
            set_pace(database_url, None)  # the run starts from Slack's published tiers
            return ready
        time.sleep(0.5)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=300)
    parser.add_argument("--drain", type=float, default=20.0)
    parser.add_argument("--no-rate-limits", action="store_true")
    args = parser.parse_args()
    total = int(args.rate * args.seconds)
    random.seed(7)

    with serve(rate_limits=False) as rig:
        seeded = seed(rig, add_people(rig.fake, args.seed, prefix="U0S"), timeout=120)
        if not args.no_rate_limits:
            rig.fake.use_documented_rates()
        newcomers = iter(add_people(rig.fake, total, prefix="U0N"))
        clickable = deque(seeded)
        lock = threading.Lock()
        results: list[tuple[str, Any, float]] = []  # (kind, response, sent late)
        substituted = 0
        print(f"seeded {len(seeded)} of {args.seed} intakes; running {total} requests")

        def one(kind: str, due: float) -> None:
            try:
                request(kind, due)
            except Exception as error:  # the generator's own failure: shown, never hidden
                print(f"could not send a {kind}: {error!r}", file=sys.stderr)

        def request(kind: str, due: float) -> None:
            nonlocal substituted
            late = time.monotonic() - due
            if kind == "click":
                with lock:
                    person = clickable.popleft() if clickable else None
                button = question(rig, person) if person else None
                if person is None or button is None:
                    with lock:
                        substituted += 1
                    kind = "slash"
                else:
                    response = send(rig.driver, "click", person, *button)
                    with lock:
                        clickable.append(person)  # its next question comes later
                        results.append(("click", response, late))
                    return
            response = send(rig.driver, "slash_command", next(newcomers), random.choice(ASKS))
            with lock:
                results.append(("slash", response, late))

        probe = HealthProbe(rig.healthz_url).start()
        sampler = Sampler(rig.replica.pid, rig.database).start()
        start = time.monotonic() + 0.5
        with ThreadPoolExecutor(256) as pool:
            for n, kind in zip(range(total), itertools.cycle(("slash", "click")), strict=False):
                due = start + n / args.rate
                time.sleep(max(0.0, due - time.monotonic()))
                pool.submit(one, kind, due)
        run_end = start + args.seconds
        time.sleep(args.drain)
        drained = time.monotonic()
        probe.stop()
        sampler.stop()
        notes = Counter(_note(post.body.get("text", "")) for post in rig.fake.responses)
        dms = sum(
            1
            for kind, response, _ in results
            if kind == "slash"
            and answer_kind(response) == "ok"
            and rig.fake.bot_messages(rig.fake.dm_channel(_user(response)))
        )
        violations = len(rig.fake.violations)
        ratelimited = sum(rig.fake.ratelimited.values())

    kinds = Counter((kind, answer_kind(r)) for kind, r, _ in results)
    errors = sum(n for (_, k), n in kinds.items() if k.startswith(("HTTP", "over")))
    acks = [r.elapsed_seconds for _, r, _ in results]
    late = [lateness for _, _, lateness in results]
    oks = sum(n for (kind, k), n in kinds.items() if kind == "slash" and k == "ok")
    print(f"requests: {len(results)} ({substituted} clicks substituted by /intake)")
    print("  answers: " + ", ".join(f"{k} {a}: {n}" for (k, a), n in sorted(kinds.items())))
    print(f"  notes to clickers: busy {notes['busy']}, slow down {notes['slow down']}")
    print(f"  errors (non-200, no answer, over 3 s): {errors}")
    print(
        f"ack p50 {ms(percentile(acks, 50))}, p95 {ms(percentile(acks, 95))}, "
        f"p99 {ms(percentile(acks, 99))}, max {ms(max(acks))}; sent late p99 "
        f"{ms(percentile(late, 99))}"
    )
    print(f"/intake acked ok that got their DM by the end: {dms} of {oks}")
    print(health_line("during the run", probe.between(start, run_end)))
    print(health_line("right after", probe.between(run_end, drained)))
    print(
        f"replica threads: peak {sampler.threads_peak}, at the end {sampler.threads_last}; "
        f"database connections: peak {sampler.connections_peak}; fake Slack: "
        f"{ratelimited} calls answered 429, {violations} violations"
    )
    ack_p99 = percentile(acks, 99)
    return 1 if errors or ack_p99 >= 1.0 else 0


def _note(text: str) -> str:
    if text in (BUSY, WORKSPACE_BUSY):
        return "busy"
    if text == SLOW_DOWN_ACTION:
        return "slow down"
    return "other"


def _user(response: Any) -> str:
    return str((response.payload or {}).get("user_id", ""))


if __name__ == "__main__":
    sys.exit(main())
