"""The log scan (tests/logscan.py) catches a leaked secret, wherever it was written, and only
then fails the session.

Each test runs pytest in a subprocess on a tiny test file with the plugin enabled, outside this
repository's conftest, and reads its exit status and report. The secrets are assembled at run
time, so neither these files nor pytest's output quote them whole.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests import logscan

ROOT = Path(__file__).resolve().parents[2]
TOKEN_PARTS = ("xoxb-", "test-token")  # tests/e2e/conftest.py BOT_TOKEN, in two pieces


def run_pytest(tmp_path: Path, source: str, *options: str) -> subprocess.CompletedProcess[str]:
    test_file = tmp_path / "test_tiny.py"
    test_file.write_text(textwrap.dedent(source))
    command = [sys.executable, "-m", "pytest", "-p", "tests.logscan", "-p", "no:cacheprovider"]
    command += ["-n", "0", *options]  # in-process unless the test asks for workers
    # --show-capture=no: a failing test's captured log would quote the secret whole here.
    command += ["--show-capture=no", "--rootdir", str(tmp_path), "-q", str(test_file)]
    return subprocess.run(
        command,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def logs_the_token(level: str) -> str:
    """A test module whose one test logs a test Slack token at ``level``."""
    return f"""
        import logging

        def test_logs_the_token():
            token = {TOKEN_PARTS[0]!r} + {TOKEN_PARTS[1]!r}
            logging.getLogger("bot.somewhere").{level}("calling Slack with %s", token)
        """


def test_a_session_that_logs_a_test_secret_fails_and_says_where(tmp_path: Path) -> None:
    result = run_pytest(
        tmp_path,
        logs_the_token("debug"),
    )
    secret = "".join(TOKEN_PARTS)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 passed" in result.stdout, "the test itself passed: the scan failed the session"
    assert "logscan: test secrets found in the logs" in result.stdout
    assert "during test_tiny.py::test_logs_the_token" in result.stdout
    assert (
        "DEBUG bot.somewhere" in result.stdout
        and "calling Slack with xoxb…[masked" in result.stdout
    )
    assert secret not in result.stdout + result.stderr, "the report masks the secret"


def test_a_secret_logged_in_a_parallel_worker_fails_the_whole_session(tmp_path: Path) -> None:
    """./dev test runs the suite on pytest-xdist workers: a worker's finding reaches the
    session's report and exit status."""
    result = run_pytest(
        tmp_path,
        logs_the_token("warning")
        + """
        def test_logs_nothing():
            logging.getLogger("bot.somewhere").warning("nothing to see")
        """,
        "-n",
        "2",
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "2 passed" in result.stdout, "the tests passed: the scan failed the session"
    assert "logscan: test secrets found in the logs" in result.stdout
    assert "during test_tiny.py::test_logs_the_token" in result.stdout
    assert "".join(TOKEN_PARTS) not in result.stdout + result.stderr


def test_a_session_with_clean_logs_passes(tmp_path: Path) -> None:
    result = run_pytest(
        tmp_path,
        """
        import logging

        def test_logs_nothing_secret():
            logging.getLogger("bot.somewhere").warning("token [secret] refused")
            logging.getLogger("bot.somewhere").info("xoxb-1234-made-up-for-a-redaction-test")
        """,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
    assert "logscan: no test secret in" in result.stdout


@pytest.mark.parametrize(
    ("where", "body", "reported_as"),
    [
        (
            "a traceback",
            """
            try:
                raise RuntimeError("Slack refused " + token)
            except RuntimeError:
                logging.getLogger("bot.errors").exception("unhandled error")
            """,
            "in log during",
        ),
        (
            "a subprocess's stderr",
            """
            import subprocess, sys
            code = "import sys; sys.stderr.write(sys.argv[1])"
            subprocess.run([sys.executable, "-c", code, token], capture_output=True, text=True)
            """,
            "in subprocess",
        ),
        (
            "a subprocess's pipe read line by line",
            """
            import subprocess, sys
            code = "import sys; print('listening', sys.argv[1], flush=True)"
            with subprocess.Popen([sys.executable, "-c", code, token], stdout=subprocess.PIPE,
                                  text=True) as process:
                assert process.stdout is not None
                for line in process.stdout:
                    pass
            """,
            "in subprocess",
        ),
        ("a print", "print('config:', token)", "in stdout (call)"),
        (
            "a record logged at DEBUG from a thread",
            """
            import threading
            worker = threading.Thread(target=lambda: logging.getLogger("x").debug(token))
            worker.start(); worker.join()
            """,
            "in log during",
        ),
    ],
    ids=["traceback", "subprocess-run", "subprocess-pipe", "print", "thread"],
)
def test_the_secret_is_found_wherever_it_was_written(
    tmp_path: Path, where: str, body: str, reported_as: str
) -> None:
    result = run_pytest(
        tmp_path,
        f"""
        import logging

        def test_leaks():
            token = {TOKEN_PARTS[0]!r} + {TOKEN_PARTS[1]!r}
{textwrap.indent(textwrap.dedent(body), " " * 12)}
        """,
    )
    assert result.returncode == 1, f"{where}: not caught\n{result.stdout}{result.stderr}"
    assert reported_as in result.stdout, result.stdout
    assert "".join(TOKEN_PARTS) not in result.stdout + result.stderr


def test_a_failing_test_keeps_its_own_exit_status(tmp_path: Path) -> None:
    result = run_pytest(
        tmp_path,
        f"""
        import logging

        def test_fails_and_leaks():
            logging.getLogger("x").error({TOKEN_PARTS[0]!r} + {TOKEN_PARTS[1]!r})
            assert False
        """,
    )
    assert result.returncode == 1
    assert "1 failed" in result.stdout and "logscan: test secrets found" in result.stdout


# -- the list of secrets -----------------------------------------------------------------------

# Made-up secrets some tests log on purpose, to prove the redacting filter removes them; they
# are not configured anywhere, so a hit would only be the test doing its job.
LOGGED_ON_PURPOSE = {
    "8f14e45fceea167a5a36dedd4bea2543",  # tests/observability/test_logs.py
    "xoxb-1234-5678-abcdefghij sk-proj-abcdef0123456789 Bearer eyJhbGci.x.y ann@corp.io",
}
_ASSIGNED = re.compile(
    r"\b[A-Za-z_]*(?:SECRET|TOKEN|API_KEY|secret|token|api_key)\s*=\s*\"([^\"]+)\""
    r"|\"(?:SLACK_BOT_TOKEN|SLACK_SIGNING_SECRET|SLACK_APP_TOKEN|SLACK_CLIENT_SECRET"
    r"|INTAKE_WEBHOOK_SECRET|OPENAI_API_KEY)\"\s*:\s*\"([^\"]+)\""
    r"|\bTeam\([^)]*\"(xox[a-z]-[^\"]+)\""
)


def test_every_secret_a_fixture_configures_is_scanned_for() -> None:
    """Secrets assigned in the tests and the fakes (constants, settings, environments of the
    processes the tests start) are all in tests/logscan.py's list, or too short to scan."""
    found: dict[str, str] = {}
    for path in [*ROOT.glob("tests/**/*.py"), *ROOT.glob("bot/sandbox/*.py")]:
        if path.is_relative_to(ROOT / "tests" / "security") or path.name == "logscan.py":
            continue
        for match in _ASSIGNED.finditer(path.read_text()):
            value = next(group for group in match.groups() if group)
            found.setdefault(value, str(path.relative_to(ROOT)))
    missing = {
        value: where
        for value, where in found.items()
        if len(value) >= logscan.MIN_SECRET_CHARS
        and value not in logscan.SECRETS
        and value not in LOGGED_ON_PURPOSE
    }
    assert missing == {}, f"add these to tests/logscan.py SECRETS: {missing}"
    assert {"xoxb-test-token", "e2e-signing-secret", "fake-verification-token"} <= set(found)


def test_masking_keeps_no_secret_whole() -> None:
    line = "token xoxb-test-token and e2e-signing-secret"
    masked = logscan.mask(line)
    assert all(secret not in masked for secret in logscan.SECRETS)
    assert masked.startswith("token xoxb…[masked 15 chars]")
