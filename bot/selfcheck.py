"""`intake-bot check`: can this install run `serve` and `worker`? Needs no configuration.

`intake-bot --help` imports almost nothing of the app, so an install that lacks a runtime
dependency passes it and then dies when `serve` starts (issue 15: greenlet, which slack_sdk's
SQLAlchemy OAuth stores need through sqlalchemy.ext.asyncio, was missing from the production
install). This check imports what `serve` and `worker` import first, then every other module
of the shipped packages (a dependency only the dev group brings fails here, wherever it is
imported), and reads the package data the app needs at start: the shipped request types and
the migrations. It reads no settings, opens no database and calls no one.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import traceback
from dataclasses import dataclass, field

PACKAGES = ("intake", "storage", "llm", "trackers", "bot")
# What `intake-bot serve` and `intake-bot worker` import, named first so that a failure says
# which service it breaks. The rest of the packages is imported after these.
SERVICE_MODULES = (
    "bot.cli",
    "bot.bootstrap",
    "bot.app",
    "bot.oauth",
    "bot.serving",
    "bot.commands_worker",
    "bot.background",
    "bot.commands",
    "storage.db",
)


@dataclass
class Report:
    imported: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    request_types: int = 0
    migration_head: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        if self.ok:
            return (
                f"ok: imported {len(self.imported)} modules, {self.request_types} request "
                f"types, migrations up to {self.migration_head}"
            )
        return "intake-bot check failed:\n" + "\n".join(self.problems)


def _problem(what: str, error: BaseException) -> str:
    """The error and where it came from: the chain of imports that led to it."""
    last = "".join(traceback.format_exception_only(type(error), error)).strip()
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if not frame.filename.startswith("<frozen ")
    ]
    where = "".join(traceback.format_list(frames)).rstrip()
    return f"{what}: {last}\n{where}"


def _import(name: str, report: Report) -> None:
    if name in report.imported or name in report.failed:
        return
    try:
        importlib.import_module(name)
    except Exception as error:
        report.failed.append(name)
        report.problems.append(_problem(f"import {name}", error))
    else:
        report.imported.append(name)


def _walk(report: Report) -> list[str]:
    """Every module of the packages (not ``__main__``: importing it would run it). Walking
    imports each subpackage: one that fails is a problem, not skipped (pkgutil's default)."""

    def failed(name: str) -> None:
        error = sys.exc_info()[1]
        if error is not None and name not in report.failed:
            report.failed.append(name)
            report.problems.append(_problem(f"import {name}", error))

    names: list[str] = []
    for package_name in PACKAGES:
        try:
            package = importlib.import_module(package_name)
        except Exception as error:
            report.problems.append(_problem(f"import {package_name}", error))
            continue
        names.append(package_name)
        prefix = package_name + "."
        for module in pkgutil.walk_packages(package.__path__, prefix, onerror=failed):
            if module.name.rsplit(".", 1)[-1] != "__main__":
                names.append(module.name)
    return names


def run() -> Report:
    report = Report()
    # The services' modules first, one by one, so that the first failure is reported where it
    # happens: some libraries fail only once (SQLAlchemy's asyncio extension without greenlet
    # raises at the first import, then imports without complaint).
    for name in SERVICE_MODULES:
        _import(name, report)
    for name in _walk(report):
        _import(name, report)
    try:
        from intake.templates.loader import load_templates

        report.request_types = len(load_templates())
    except Exception as error:
        report.problems.append(_problem("the shipped request types", error))
    try:
        from storage.db import head_revision

        report.migration_head = head_revision()
    except Exception as error:
        report.problems.append(_problem("the shipped migrations", error))
    return report
