"""One person floods the bot; does another person still get an answer?

400 correctly signed `/intake` commands from one user in a burst (all sent at once from
``--senders`` threads), then one `/intake` from another user, against `intake-bot serve` on a
temporary SQLite file with the fake Slack's documented rate limits on (serve_rig.py). Prints:
how the 400 were answered (started, told to slow down, busy, errors), the time from the other
person's /intake to their first DM from the bot, /healthz latencies during the flood and
after, the replica's threads (peak and at the end) and open database connections, and how
many intakes of the flooding user exist at the end.

    .venv/bin/python benchmarks/flood.py
    .venv/bin/python benchmarks/flood.py --count 400 --no-rate-limits --settle 30
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from serve_rig import (
    HealthProbe,
    Sampler,
    add_people,
    answer_kind,
    health_line,
    ms,
    percentile,
    send,
    serve,
)

ASK = "we need a postgres db for billing asap"


def asks_of(database: Path, person: str) -> int:
    with sqlite3.connect(database) as connection:
        row = connection.execute(
            "SELECT count(*) FROM asks WHERE requester = ?", (person,)
        ).fetchone()
    return int(row[0])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=400)
    parser.add_argument("--senders", type=int, default=100, help="threads sending the burst")
    parser.add_argument("--no-rate-limits", action="store_true")
    parser.add_argument("--wait", type=float, default=150.0, help="most to wait for the DM")
    parser.add_argument("--settle", type=float, default=20.0, help="watch this long after")
    args = parser.parse_args()

    with serve(rate_limits=not args.no_rate_limits) as rig:
        flooder, other = add_people(rig.fake, 2)
        probe = HealthProbe(rig.healthz_url).start()
        sampler = Sampler(rig.replica.pid, rig.database).start()
        time.sleep(1.0)
        threads_before = sampler.threads_last
        started = time.monotonic()
        with ThreadPoolExecutor(args.senders) as pool:
            answers = list(
                pool.map(
                    lambda n: send(rig.driver, "slash_command", flooder, f"{ASK} #{n}"),
                    range(args.count),
                )
            )
        flood_sent = time.monotonic()
        asked = time.monotonic()
        other_ack = send(rig.driver, "slash_command", other, ASK)
        dm = rig.fake.dm_channel(other)
        first_dm = None
        while time.monotonic() - asked < args.wait:
            if rig.fake.bot_messages(dm):
                first_dm = time.monotonic() - asked
                break
            time.sleep(0.05)
        time.sleep(args.settle)
        ended = time.monotonic()
        probe.stop()
        sampler.stop()
        drafts = asks_of(rig.database, flooder)

    kinds = Counter(answer_kind(a) for a in answers)
    acks = [a.elapsed_seconds for a in answers]
    print(f"flood: {args.count} /intake from one person in {flood_sent - started:.1f} s")
    print(
        "  answered: "
        + ", ".join(f"{kinds[k]} {k}" for k in sorted(kinds))
        + f"; ack p50 {ms(percentile(acks, 50))}, p99 {ms(percentile(acks, 99))}, "
        f"max {ms(max(acks))}"
    )
    print(f"  intakes of the flooding person that exist at the end: {drafts}")
    print(
        f"another person's /intake: ack {answer_kind(other_ack)} in "
        f"{ms(other_ack.elapsed_seconds)}; first DM after "
        + (f"{first_dm:.2f} s" if first_dm is not None else f"none within {args.wait:.0f} s")
    )
    print(health_line("during the flood", probe.between(started, flood_sent + 5)))
    print(health_line("after it", probe.between(flood_sent + 5, ended)))
    print(
        f"replica threads: {threads_before} before, peak {sampler.threads_peak}, "
        f"at the end {sampler.threads_last}; open database connections: peak "
        f"{sampler.connections_peak}, at the end {sampler.connections_last}"
    )
    failed = first_dm is None or first_dm > 5 or any(k.startswith(("HTTP", "over")) for k in kinds)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
