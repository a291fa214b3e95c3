"""Real `intake-bot` processes for end-to-end tests: the command, a clean environment, a
`serve` replica found by the port it logs (and read through its /metrics), and stopping a
process politely then firmly."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from storage import queue
from storage.db import make_engine
from tests.observability.conftest import scrape, value

INTAKE_BOT = str(Path(sys.executable).parent / "intake-bot")
START_TIMEOUT = 60.0


def clean_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "INTAKE_", "DATABASE_", "OPENAI_"))
    }
    env.update(extra)
    return env


def run_at_once(
    args: list[str], env: dict[str, str], *, cwd: Path | None = None, timeout: float = 60
) -> list[tuple[str, str]]:
    """Two `intake-bot ARGS` processes started together; both must succeed. Their
    (stdout, stderr)."""
    runs = [
        subprocess.Popen(
            [INTAKE_BOT, *args],
            env=env,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=timeout) for run in runs]
    assert all(run.returncode == 0 for run in runs), outputs
    return outputs


def launch(
    args: list[str], env: dict[str, str], cwd: Path, log: Path, *, stdout_too: bool = False
) -> subprocess.Popen[bytes]:
    """`intake-bot ARGS` in ``cwd``, its stderr (and stdout, if asked) appended to ``log``."""
    with log.open("ab") as out:
        stdout = out if stdout_too else subprocess.DEVNULL
        return subprocess.Popen([INTAKE_BOT, *args], env=env, cwd=cwd, stdout=stdout, stderr=out)


def start_serve(name: str, env: dict[str, str], where: Path) -> Replica:
    """`intake-bot serve` on a free port, logging to WHERE/NAME.log (not yet waited for)."""
    log = where / f"{name}.log"
    return Replica(
        name, launch(["serve", "--host", "127.0.0.1", "--port", "0"], env, where, log), log
    )


class LoggedProcess:
    """A process whose output goes to a file."""

    def __init__(self, process: subprocess.Popen[bytes], log: Path) -> None:
        self.process, self.log = process, log

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@dataclass
class Replica:
    """One `intake-bot serve` process; its log (JSON lines) goes to a file."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path
    port: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def events_url(self) -> str:
        return f"{self.base_url}/slack/events"

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def wait_listening(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            found = re.search(r"listening on http://127\.0\.0\.1:(\d+)", self.log_text())
            if found:
                self.port = int(found.group(1))
                break
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        assert self.port, f"{self.name} did not start:\n{self.log_text()[-3000:]}"
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.base_url}/healthz", timeout=5) as health:
                    if health.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"{self.name}: /healthz never answered 200")

    def idle(self, timeout: float) -> bool:
        """Whether, within ``timeout`` seconds, the replica's /metrics shows no work in flight
        and no queued job (a worker's, with INTAKE_DEFER_WORK). ``FakeSlack.watch(replica.idle)``
        makes the fake's wait_idle() wait for this process's work, not for a quiet gap."""
        deadline = time.monotonic() + timeout
        while True:
            samples = scrape(f"{self.base_url}/metrics")
            if not value(samples, "intake_work_in_flight") and not value(
                samples, "intake_jobs_queued"
            ):
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)

    def metric(self, name: str, **labels: str) -> float | None:
        """One sample of the replica's /metrics now (None: not there)."""
        return value(scrape(f"{self.base_url}/metrics"), name, **labels)

    def wait_metric(self, name: str, at_least: float, timeout: float = 30.0) -> float:
        """Scrape /metrics until the sample ``name`` is at least ``at_least``; its value."""
        deadline = time.monotonic() + timeout
        while True:
            seen = self.metric(name)
            if seen is not None and seen >= at_least:
                return seen
            assert self.process.poll() is None, f"{self.name} exited:\n{self.log_text()[-3000:]}"
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{self.name}: {name} is {seen}, not {at_least}, after {timeout}s"
                )
            time.sleep(0.05)

    def stop(self) -> None:
        stop_process(self.process)


def queued_jobs(database_url: str) -> int:
    """How many commands serve has queued (INTAKE_DEFER_WORK) that no worker has finished."""
    engine = make_engine(database_url)
    try:
        return queue.pending(engine).get("command", (0, None))[0]
    finally:
        engine.dispose()


def stop_process(process: subprocess.Popen[bytes], grace: float = 20.0) -> None:
    """SIGTERM (the process drains and exits), then SIGKILL if it is still there after grace."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
