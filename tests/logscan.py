"""A pytest plugin that fails the session when a test secret shows up in anything logged.

Enable it with ``-p tests.logscan`` or from the root conftest
(``pytest_plugins = [..., "tests.logscan"]``). For the whole session it:

- attaches a handler at DEBUG to the root logger (and lowers the root logger to DEBUG, else
  the records would never be made), formats every record the way a log file would hold it,
  exception tracebacks and stack info included, and keeps it to be scanned;
- keeps the output of subprocesses the tests start with ``stdout``/``stderr=PIPE`` (whatever
  the test reads from the pipes or gets back from ``communicate()``, so also
  ``subprocess.run(capture_output=True)``), e.g. ``intake-bot serve`` writing JSON log lines;
- keeps what each test printed to stdout and stderr (pytest's capture), where a library's
  unhandled-thread traceback or a stray ``print`` would land.

At the end of the session all of it is scanned for the literal values in ``SECRETS``: the
tokens, signing secrets, webhook secrets and API keys the fixtures configure. A hit fails the
session (exit status 1, even when every test passed) and the report prints the offending lines
with the secret masked, and the test that was running. Only the tests that ran are scanned, so
``pytest -p tests.logscan tests/e2e/test_review.py`` works as well as the whole suite.

Only exact values are looked for, not shapes such as ``xoxb-…``: several tests log made-up
tokens on purpose to prove ``bot.observability.logs.RedactingFilter`` removes them. The
records reach this plugin's handler before any redacting filter of another handler, so what
is scanned is what the code logged, not what a filter made of it: a secret that only the
safety net keeps out of production logs is still reported here.

Pytest's own "Captured log" sections stay at the level they had (the root logger's level when
the session started, WARNING by default), so failing tests do not print pages of DEBUG lines.
"""

from __future__ import annotations

import logging
import subprocess
import threading
from collections.abc import Generator, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import IO, Any, Final

import pytest

# Every secret a fixture or test configures, and where. Keep it in step with the tests:
# tests/security/test_logscan.py finds every token, secret and key assigned in tests/ (and in
# bot/sandbox, where the fakes live now) and fails when one is missing here.
SECRETS: Final[dict[str, str]] = {
    "xoxb-test-token": "bot token: tests/e2e/conftest.py BOT_TOKEN, FakeSlack's default",
    "xoxb-revoked": "bot token Slack refuses: tests/e2e/test_cli.py",
    "xoxb-wrong": "bot token FakeSlack refuses: tests/fakes/test_fake_slack.py",
    "xoxb-test": "bot token: tests/deploy/test_dockerfile.py, test_slack_scopes.py",
    "xapp-test": "app-level token (Socket Mode): tests/e2e/test_replicas.py",
    "e2e-signing-secret": "signing secret: tests/e2e/conftest.py SIGNING_SECRET",
    "process-signing-secret": "signing secret: tests/observability/test_processes.py SECRET",
    "cli-secret": "signing secret: tests/e2e/test_cli.py",
    "test-signing-secret": "signing secret: tests/fakes/test_slack_driver.py SECRET",
    "whsec-e2e-0123456789": "webhook secret: tests/fakes/webhook_receiver.py SECRET",
    "webhook-secret-for-tests": "webhook secret: tests/observability/test_metrics.py",
    "sk-test-0123456789abcdef": "OpenAI API key: tests/llm/conftest.py API_KEY",
    "sk-scenarios-0000": "OpenAI API key: tests/scenarios/engines.py",
    "ghp-revoked": "GitHub token the fake refuses: tests/trackers/test_github_tracker.py",
    "ghp-very-secret-token-value": "GitHub token: tests/trackers/test_setup.py",
    "ghp-test-token": "GitHub token: the fake GitHub's default (bot/sandbox/github_api.py)",
    "fake-verification-token": (
        "Slack's verification token, in the body of every request: SlackDriver.verification_token"
    ),
    "multi-client-secret": "OAuth client secret: tests/multiworkspace/conftest.py CLIENT_SECRET",
    "multi-signing-secret": "signing secret: tests/multiworkspace/conftest.py SIGNING_SECRET",
    "xoxb-team-one-token": "installed bot token: tests/multiworkspace/conftest.py T1",
    "xoxb-team-two-token": "installed bot token: tests/multiworkspace/conftest.py T2",
    "xoxb-unused-default": "bot token: tests/multiworkspace/conftest.py",
    "xoxb-one": "bot token: tests/multiworkspace/test_modes.py",
    "xoxb-never-shown": "bot token the start-up check words: tests/unit/test_token_check.py",
    "install-test-signing": "signing secret: tests/observability/test_metrics.py",
    "production-install-signing-secret": (
        "signing secret: tests/deploy/test_production_install.py SIGNING_SECRET"
    ),
    "install-test-client-secret": "OAuth client secret: tests/observability/test_metrics.py",
}
MIN_SECRET_CHARS: Final = 8  # shorter values ("test", "s") would match ordinary text
SHOWN_PER_SOURCE: Final = 5  # offending lines printed per (secret, source)


@dataclass(frozen=True)
class Hit:
    secret: str
    source: str  # "log", "subprocess …" or "stdout"/"stderr"
    test: str  # the test running when it was written ("session" outside any test)
    line: str


def mask(text: str, secrets: Iterable[str] = SECRETS) -> str:
    """``text`` with every secret replaced by its first four characters and a marker."""
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, f"{secret[:4]}…[masked {len(secret)} chars]")
    return text


def find_hits(text: str, source: str, test: str, secrets: Iterable[str] = SECRETS) -> Iterator[Hit]:
    """One Hit per (secret, line) of ``text`` that holds it. A secret inside a longer one
    ("xoxb-test" in "xoxb-test-token") is only reported where it stands on its own."""
    longest_first = sorted(secrets, key=len, reverse=True)
    if not any(secret in text for secret in longest_first):
        return
    for line in text.splitlines():
        rest = line
        for secret in longest_first:
            if secret in rest:
                yield Hit(secret, source, test, line)
                rest = rest.replace(secret, "\0")


class _Keeper(logging.Handler):
    """Formats every record (traceback and stack included) and keeps it with its test."""

    def __init__(self, scanner: Scanner) -> None:
        super().__init__(logging.DEBUG)
        self.scanner = scanner
        self.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(threadName)s]: %(message)s")
        )

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
        except Exception:  # a broken format string: keep what there is
            text = f"{record.name}: {record.msg!r} {record.args!r}"
        self.scanner.keep("log", text)

    def handleError(self, record: logging.LogRecord) -> None:  # never print to stderr
        pass


@dataclass
class Scanner:
    """The session's kept output and where each piece came from."""

    secrets: tuple[str, ...] = tuple(s for s in SECRETS if len(s) >= MIN_SECRET_CHARS)
    test: str = "session"
    kept: list[tuple[str, str, str]] = field(default_factory=list)  # (source, test, text)
    records: int = 0
    hits: list[Hit] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def keep(self, source: str, text: str) -> None:
        if not text:
            return
        with self._lock:
            self.kept.append((source, self.test, text))
            self.records += 1

    def add(self, records: int, hits: list[Hit]) -> None:
        """What another process's scanner kept (a pytest-xdist worker's)."""
        with self._lock:
            self.records += records
            self.hits.extend(hit for hit in hits if hit not in self.hits)

    def scan(self) -> list[Hit]:
        with self._lock:
            kept, self.kept = self.kept, []
        seen = set(self.hits)
        for source, test, text in kept:
            for hit in find_hits(text, source, test, self.secrets):
                if hit not in seen:  # communicate() and a pipe read can keep the same text
                    seen.add(hit)
                    self.hits.append(hit)
        return self.hits


# -- subprocess output ---------------------------------------------------------------------------


class _TeeStream:
    """A subprocess pipe that hands what is read from it to the scanner as well."""

    def __init__(self, stream: IO[Any], keep: Any) -> None:
        self._stream = stream
        self._keep = keep

    def _seen(self, data: Any) -> Any:
        if data:
            self._keep(data.decode("utf-8", "replace") if isinstance(data, bytes) else str(data))
        return data

    def read(self, *args: Any) -> Any:
        return self._seen(self._stream.read(*args))

    def readline(self, *args: Any) -> Any:
        return self._seen(self._stream.readline(*args))

    def readlines(self, *args: Any) -> Any:
        lines = self._stream.readlines(*args)
        for line in lines:
            self._seen(line)
        return lines

    def __iter__(self) -> _TeeStream:
        return self

    def __next__(self) -> Any:
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def __enter__(self) -> _TeeStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stream.close()

    def __getattr__(self, name: str) -> Any:  # fileno, close, closed, write, flush, ...
        return getattr(self._stream, name)


def _scanned_popen(scanner: Scanner) -> type[subprocess.Popen[Any]]:
    original = subprocess.Popen

    class ScannedPopen(original):  # type: ignore[valid-type,misc]
        """subprocess.Popen whose PIPE output is also kept for the scan."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            command = args[0] if args else kwargs.get("args", "")
            words = command if isinstance(command, list | tuple) else [command]
            self._scan_source = "subprocess " + " ".join(str(w) for w in words[:4])[:120]
            for name in ("stdout", "stderr"):
                stream = getattr(self, name)
                if stream is not None:
                    setattr(self, name, _TeeStream(stream, self._scan_keep))

        def _scan_keep(self, text: str) -> None:
            scanner.keep(self._scan_source, text)

        def communicate(self, *args: Any, **kwargs: Any) -> Any:
            out, err = super().communicate(*args, **kwargs)
            for data in (out, err):
                if data:
                    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
                    self._scan_keep(str(text))
            return out, err

    ScannedPopen.__name__ = ScannedPopen.__qualname__ = "Popen"
    return ScannedPopen


# -- the plugin ----------------------------------------------------------------------------------


class LogScanPlugin:
    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.scanner = Scanner()
        self.handler = _Keeper(self.scanner)
        self.root_level = logging.WARNING
        self._popen: Any = None

    def _watch(self) -> None:
        """The handler on the root logger, and the root logger at DEBUG (code under test may
        have reset either, e.g. a CLI command configuring logging in-process)."""
        root = logging.getLogger()
        if self.handler not in root.handlers:
            root.addHandler(self.handler)
        if root.level > logging.DEBUG:
            root.setLevel(logging.DEBUG)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        root = logging.getLogger()
        self.root_level = root.level
        self._watch()
        # Keep pytest's "Captured log" report at the level it would have had without us.
        logging_plugin = self.config.pluginmanager.get_plugin("logging-plugin")
        report_handler = getattr(logging_plugin, "report_handler", None)
        if report_handler is not None and report_handler.level == logging.NOTSET:
            report_handler.setLevel(self.root_level or logging.WARNING)
        if self._xdist_controller():
            return  # its subprocesses are pytest-xdist's workers, which scan their own tests
        self._popen = subprocess.Popen
        subprocess.Popen = _scanned_popen(self.scanner)  # type: ignore[misc,assignment]

    def _xdist_controller(self) -> bool:
        """Whether this process hands the tests to pytest-xdist workers and runs none."""
        is_worker = getattr(self.config, "workerinput", None) is not None
        dist = getattr(self.config.option, "dist", "no")
        return not is_worker and dist != "no"

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, object, object]:
        self.scanner.test = item.nodeid
        self._watch()
        try:
            return (yield)
        finally:
            self.scanner.test = "session"

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        for source, text in (("stdout", report.capstdout), ("stderr", report.capstderr)):
            self.scanner.keep(f"{source} ({report.when})", text)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        root = logging.getLogger()
        root.removeHandler(self.handler)
        root.setLevel(self.root_level)
        if self._popen is not None:
            subprocess.Popen = self._popen  # type: ignore[misc]
        hits = self.scanner.scan()
        workeroutput = getattr(self.config, "workeroutput", None)
        if workeroutput is not None:  # a pytest-xdist worker: the controller reports and fails
            workeroutput["logscan"] = {
                "records": self.scanner.records,
                "hits": [asdict(hit) for hit in hits],
            }
            return
        if hits and session.exitstatus in (
            pytest.ExitCode.OK,
            pytest.ExitCode.NO_TESTS_COLLECTED,
        ):
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        """pytest-xdist: a worker finished; take in what its scanner kept and found."""
        found = getattr(node, "workeroutput", {}).get("logscan")
        if found:
            self.scanner.add(found["records"], [Hit(**hit) for hit in found["hits"]])

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        hits = self.scanner.hits
        write = terminalreporter.write_line
        if not hits:
            write(f"logscan: no test secret in {self.scanner.records} log records and outputs")
            return
        terminalreporter.section("logscan: test secrets found in the logs", sep="=", red=True)
        shown: dict[tuple[str, str], int] = {}
        for hit in hits:
            key = (hit.secret, hit.source)
            shown[key] = shown.get(key, 0) + 1
            if shown[key] > SHOWN_PER_SOURCE:
                continue
            write(f"[{mask(hit.secret)}: {SECRETS.get(hit.secret, '?')}]")
            write(f"  in {mask(hit.source, self.scanner.secrets)} during {hit.test}")
            write(f"  {mask(hit.line, self.scanner.secrets)[:2000]}")
        for (secret, source), count in shown.items():
            if count > SHOWN_PER_SOURCE:
                more = count - SHOWN_PER_SOURCE
                write(f"… and {more} more lines with {mask(secret)} in {mask(source)}")
        write(
            f"logscan: {len(hits)} line(s) of {self.scanner.records} kept log records and "
            "outputs hold a test secret; the session fails (see tests/logscan.py)",
            red=True,
            bold=True,
        )


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.has_plugin("logscan-session"):
        config.pluginmanager.register(LogScanPlugin(config), "logscan-session")
