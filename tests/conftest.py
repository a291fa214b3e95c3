"""Shared fixtures live in plugin modules owned by their layer:
- tests.dbfixtures: databases (SQLite always; PostgreSQL when INTAKE_TEST_DATABASE_URL is set)
- tests.fakes.fixtures: the fake Slack Web API server and the signed-request driver
"""

import os

pytest_plugins = [
    "tests.dbfixtures",
    "tests.fakes.fixtures",
    "tests.fakes.openai_fixtures",
    "tests.logscan",
]


def pytest_xdist_auto_num_workers(config: object) -> int:
    """`-n auto`: two workers per core (at most 8). Most tests wait on sockets, subprocesses
    and the database rather than compute, so one worker per core leaves the cores idle."""
    return max(2, min(8, 2 * (os.cpu_count() or 1)))
