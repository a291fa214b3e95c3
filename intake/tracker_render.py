"""How an ask reads in each tracker: Markdown for GitHub, wiki markup for Jira.

GitHub: the body is GitHub-flavoured Markdown; acceptance criteria are a task list
(``- [ ] ...``), which GitHub shows as checkboxes with a progress count. The idempotency key
rides along as a hidden HTML comment (``<!-- intake-key: ... -->``), which GitHub does not
show. The requester's words are escaped so that they cannot forge that marker or ping
people (``@team`` would notify a whole team).

Jira: the adapter speaks REST API v2 (the ``jira`` client's default), whose ``description``
is a string in Jira wiki markup; v3 would need the Atlassian Document Format, a JSON tree.
Wiki markup has no checkbox, so criteria are a numbered list; the key is a label, not text.
"""

from __future__ import annotations

import re
from datetime import date

from intake.tracker import SubItem, TrackerIssue

_MARKER = "<!-- intake-key: {key} -->"
_MARKER_RE = re.compile(r"<!-- intake-key: ([A-Za-z0-9_.-]+) -->")
_MENTION = re.compile(r"(?<![\w`])@(?=[A-Za-z0-9])")


def marker(key: str) -> str:
    return _MARKER.format(key=key)


def key_in_body(body: str | None) -> str | None:
    """The idempotency key hidden in a GitHub issue body, if the body has one."""
    found = _MARKER_RE.search(body or "")
    return found.group(1) if found else None


def md_text(text: str) -> str:
    """The requester's words, safe in Markdown: no HTML comments (the marker), no mentions."""
    text = text.replace("<!--", "&lt;!--").replace("-->", "--&gt;")
    return _MENTION.sub("@\u200b", text.strip())


def link(url: str) -> str:
    """A URL that cannot end a Markdown link or a wiki link early."""
    return (
        url.strip().replace(" ", "%20").replace(")", "%29").replace("|", "%7C").replace("]", "%5D")
    )


def _day(value: date | None) -> str:
    return value.isoformat() if value else "none"


def _prose(issue: TrackerIssue) -> list[tuple[str, str]]:
    """The sections of free text that the ask has, by heading."""
    sections = (
        ("Problem", issue.problem),
        ("Impact", issue.impact),
        ("Desired outcome", issue.desired_outcome),
    )
    return [(heading, text) for heading, text in sections if text.strip()]


def _facts(issue: TrackerIssue) -> list[tuple[str, str]]:
    facts = [
        ("Deadline", _day(issue.deadline)),
        ("Environment", ", ".join(issue.environment) or "not given"),
        ("Services", ", ".join(issue.services) or "not given"),
        ("Type", issue.category),
        ("Priority", issue.priority or "not set"),
        ("Size", issue.size or "not set"),
    ]
    return facts


def markdown_body(issue: TrackerIssue, key: str) -> str:
    """The GitHub issue body."""
    lines = [
        marker(key),
        f"> Asked by {md_text(issue.requester)} in Slack: [{issue.ask_key} thread]"
        f"({link(issue.slack_url)})",
        "",
    ]
    for heading, text in _prose(issue):
        lines += [f"### {heading}", "", md_text(text), ""]
    if issue.acceptance_criteria:
        lines += ["### Acceptance criteria", ""]
        lines += [f"- [ ] {md_text(item)}" for item in issue.acceptance_criteria]
        lines.append("")
    if issue.out_of_scope:
        lines += ["### Out of scope", ""]
        lines += [f"- {md_text(item)}" for item in issue.out_of_scope]
        lines.append("")
    lines += ["### Details", "", "| | |", "|---|---|"]
    lines += [f"| {name} | {md_text(value).replace('|', '/')} |" for name, value in _facts(issue)]
    if issue.sub_items:
        lines += ["", "### Milestones", ""]
        lines += [
            f"{n}. {md_text(s.title)} (due {_day(s.due)})"
            for n, s in enumerate(issue.sub_items, start=1)
        ]
        lines += ["", "Each milestone is a sub-issue of this issue."]
    return "\n".join(lines).rstrip() + "\n"


def markdown_sub_body(issue: TrackerIssue, sub: SubItem, key: str) -> str:
    """A milestone sub-issue's body."""
    lines = [
        marker(key),
        f"> Milestone of {issue.ask_key}: {md_text(issue.title)} "
        f"([Slack thread]({link(issue.slack_url)}))",
        "",
        f"**Due:** {_day(sub.due)}",
    ]
    if sub.done_criterion.strip():
        lines += ["", "### Done when", "", f"- [ ] {md_text(sub.done_criterion)}"]
    return "\n".join(lines) + "\n"


_WIKI_SPECIAL = re.compile(r"([\[\]{}|!*_^~+\\])")
_WIKI_LINE_START = re.compile(r"^(\s*)([#\-*]|h[1-6]\.|bq\.)", re.MULTILINE)


def wiki_text(text: str) -> str:
    """The requester's words, safe in Jira wiki markup: no links, macros, tables or lists."""
    text = _WIKI_SPECIAL.sub(r"\\\1", text.strip())
    return _WIKI_LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), text)


def wiki_body(issue: TrackerIssue) -> str:
    """The Jira description (REST v2, wiki markup)."""
    lines = [
        f"Asked by {wiki_text(issue.requester)} in Slack: "
        f"[{issue.ask_key} thread|{link(issue.slack_url)}]",
        "",
    ]
    for heading, text in _prose(issue):
        lines += [f"h3. {heading}", wiki_text(text), ""]
    if issue.acceptance_criteria:
        lines += ["h3. Acceptance criteria"]
        lines += [f"# {wiki_text(item)}" for item in issue.acceptance_criteria]
        lines.append("")
    if issue.out_of_scope:
        lines += ["h3. Out of scope"]
        lines += [f"* {wiki_text(item)}" for item in issue.out_of_scope]
        lines.append("")
    lines += ["h3. Details"]
    lines += [f"||{name}|{wiki_text(value)}|" for name, value in _facts(issue)]
    if issue.sub_items:
        lines += ["", "Each milestone is a sub-task of this issue."]
    return "\n".join(lines).rstrip() + "\n"


def wiki_sub_body(issue: TrackerIssue, sub: SubItem) -> str:
    lines = [
        f"Milestone of {issue.ask_key}: {wiki_text(issue.title)} "
        f"([Slack thread|{link(issue.slack_url)}])",
        "",
        f"*Due:* {_day(sub.due)}",
    ]
    if sub.done_criterion.strip():
        lines += ["", "h3. Done when", f"* {wiki_text(sub.done_criterion)}"]
    return "\n".join(lines) + "\n"
