"""Shared fixtures live in plugin modules owned by their layer:
- tests.dbfixtures: databases (SQLite always; PostgreSQL when INTAKE_TEST_DATABASE_URL is set)
- tests.fakes.fixtures: the fake Slack Web API server and the signed-request driver
"""

pytest_plugins = [
    "tests.dbfixtures",
    "tests.fakes.fixtures",
    "tests.fakes.openai_fixtures",
    "tests.logscan",
]
