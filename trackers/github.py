"""GitHub Issues through githubkit: an ask is an issue, each milestone a sub-issue.

Idempotency: the issue and its sub-issues all carry the ask's key as a label
(``intake-T123-42``), and each carries its own key in a hidden body marker
(``<!-- intake-key: intake-T123-42.m1 -->``). ``ensure_issue`` lists the repository's issues
with that label (``GET /repos/{o}/{r}/issues?labels=...&state=all``), which reads the issues
table directly; the search API would lag behind by its indexing delay. One label per ask keeps
the repository's label list at one entry per ask, and finds a sub-issue that was created but
not yet linked to its parent when a worker died in between.

Rate limits: githubkit's own retries are off (``auto_retry=False``): it raises
``PrimaryRateLimitExceeded`` / ``SecondaryRateLimitExceeded`` with ``retry_after`` taken from
``Retry-After`` or ``x-ratelimit-reset`` as GitHub documents, which become
``TrackerRateLimited`` here. A 403 whose message says "secondary rate limit" without those
headers waits the documented minute. Nothing sleeps here: the queue retries later.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from githubkit import GitHub
from githubkit.exception import RateLimitExceeded, RequestError, RequestFailed

from intake.tracker import (
    EnsuredIssue,
    ItemState,
    TrackerIssue,
    TrackerKind,
    TrackerRateLimited,
    TrackerRef,
    TrackerRejected,
    TrackerState,
    TrackerUnavailable,
    split_key,
    sub_item_key,
)
from intake.tracker_render import key_in_body, markdown_body, markdown_sub_body
from trackers.config import GitHubSettings

T = TypeVar("T")

_SECONDARY_DEFAULT_S = 60.0  # GitHub: "otherwise, wait for at least one minute"


@contextmanager
def _errors(what: str) -> Iterator[None]:
    """githubkit's exceptions as the port's: rate limited, unavailable, or rejected."""
    try:
        yield
    except RateLimitExceeded as error:
        raise TrackerRateLimited(error.retry_after.total_seconds(), f"({what})") from None
    except RequestFailed as error:
        status = error.response.status_code
        message = _message(error)
        if status == 429 or (status == 403 and "rate limit" in message.lower()):
            raise TrackerRateLimited(_SECONDARY_DEFAULT_S, f"({what})") from None
        if status >= 500:
            raise TrackerUnavailable(f"GitHub answered {status} to {what}") from None
        raise TrackerRejected(f"GitHub answered {status} to {what}: {message}") from None
    except RequestError as error:
        raise TrackerUnavailable(
            f"GitHub unreachable ({what}): {type(error.exc).__name__}"
        ) from None


def _message(error: RequestFailed) -> str:
    """GitHub's message and its error codes ("Validation Failed: already_exists")."""
    try:
        body = error.response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    codes = [str(e.get("code", "")) for e in body.get("errors") or [] if isinstance(e, dict)]
    return (str(body.get("message", "")) + (": " + ", ".join(codes) if codes else ""))[:200]


def _plain(value: Any) -> dict[str, Any]:
    """A response's JSON object as a plain dict (githubkit types it as a TypedDict)."""
    return dict(value)


def _repo(project: str) -> tuple[str, str]:
    owner, _, repo = project.partition("/")
    return owner, repo


class GitHubTracker:
    """The ``Tracker`` port on GitHub Issues (github.com or GitHub Enterprise Server)."""

    kind = TrackerKind.GITHUB

    def __init__(self, settings: GitHubSettings) -> None:
        self._settings = settings
        self._assignees = {k.lower(): v for k, v in settings.assignees.items()}
        self._gh: GitHub[Any] = GitHub(
            settings.token.get_secret_value(),
            base_url=settings.api_url,
            timeout=settings.timeout_s,
            auto_retry=False,
            http_cache=False,
        )

    def __repr__(self) -> str:
        return f"GitHubTracker({self._settings.api_url})"

    def _call(self, what: str, call: Callable[[], T]) -> T:
        with _errors(what):
            return call()

    # -- creating ---------------------------------------------------------------------------

    def ensure_issue(self, project: str, issue: TrackerIssue, issue_key: str) -> EnsuredIssue:
        owner, repo = _repo(project)
        found = self._find(owner, repo, issue_key)
        logins: dict[str, str | None] = {}
        parent = found.get(issue_key)
        created = parent is None
        if parent is None:
            self._ensure_label(owner, repo, issue_key, f"Platform Intake: ask {issue.ask_key}")
            parent = self._create(
                owner,
                repo,
                title=issue.title,
                body=markdown_body(issue, issue_key),
                labels=[*issue.labels],
                key_label=issue_key,
                login=self._login(owner, repo, issue.assignee_email, logins),
            )
        linked: set[int] = set()
        if not created and issue.sub_items:
            linked = {s["id"] for s in self._sub_issues(owner, repo, parent["number"])}
        subs: dict[str, TrackerRef] = {}
        for sub in issue.sub_items:
            key = sub_item_key(issue_key, sub.suffix)
            item = found.get(key)
            if item is None:
                item = self._create(
                    owner,
                    repo,
                    title=f"{issue.ask_key} · {sub.title}",
                    body=markdown_sub_body(issue, sub, key),
                    labels=["intake", "milestone"],
                    key_label=issue_key,
                    login=self._login(owner, repo, sub.assignee_email, logins),
                )
            if item["id"] not in linked:
                self._link(owner, repo, parent["number"], item["id"])
            subs[sub.suffix] = self._ref(project, item)
        return EnsuredIssue(self._ref(project, parent), subs, created=created)

    def _link(self, owner: str, repo: str, number: int, sub_issue_id: int) -> None:
        self._call(
            "add sub-issue",
            lambda: self._gh.rest.issues.add_sub_issue(
                owner, repo, number, sub_issue_id=sub_issue_id
            ),
        )

    def _find(self, owner: str, repo: str, issue_key: str) -> dict[str, dict[str, Any]]:
        """Our issues with this ask's label, by the key in their body."""
        rest = self._gh.rest
        found: dict[str, dict[str, Any]] = {}

        def scan() -> None:
            for item in self._every(
                rest.issues.list_for_repo,
                owner=owner,
                repo=repo,
                labels=issue_key,
                state="all",
                sort="created",
                direction="asc",
            ):
                key = key_in_body(item.get("body"))
                if key and split_key(key)[0] == issue_key and "pull_request" not in item:
                    found.setdefault(key, item)  # oldest first: a stray twin never wins

        self._call("list issues by label", scan)
        return found

    def _create(
        self,
        owner: str,
        repo: str,
        *,
        title: str,
        body: str,
        labels: list[str],
        key_label: str,
        login: str | None,
    ) -> dict[str, Any]:
        response = self._call(
            "create issue",
            lambda: self._gh.rest.issues.create(
                owner,
                repo,
                title=title[:256],
                body=body,
                labels=[*labels, key_label],
                assignees=[login] if login else [],
            ),
        )
        created = _plain(response.json())
        if key_label not in {label.get("name") for label in created.get("labels", [])}:
            # GitHub drops labels silently when the token may not set them. Without the key
            # label a retry would not find this issue and would create another: stop here.
            raise TrackerRejected(
                f"GitHub created {owner}/{repo}#{created.get('number')} without its label "
                f"{key_label}: the token needs write (or triage) access to set labels"
            )
        return created

    def _ensure_label(self, owner: str, repo: str, name: str, description: str) -> None:
        """Create the ask's key label up front (GitHub would create it with the issue, but
        drops it silently when it cannot); "already exists" is fine."""
        try:
            self._call(
                "create label",
                lambda: self._gh.rest.issues.create_label(
                    owner, repo, name=name, color="ededed", description=description[:100]
                ),
            )
        except TrackerRejected as error:
            if "already_exists" not in str(error):
                raise

    def _sub_issues(self, owner: str, repo: str, number: int) -> list[dict[str, Any]]:
        rest = self._gh.rest
        return self._call(
            "list sub-issues",
            lambda: list(
                self._every(
                    rest.issues.list_sub_issues, owner=owner, repo=repo, issue_number=number
                )
            ),
        )

    def _every(self, method: Any, **params: Any) -> Iterator[dict[str, Any]]:
        """Every item of a listing, page by page (100 a page, following the Link header)."""
        rest = self._gh.rest
        for item in rest.paginate(method, map_func=lambda r: r.json(), per_page=100, **params):
            yield _plain(item)

    def _login(
        self, owner: str, repo: str, email: str | None, seen: dict[str, str | None]
    ) -> str | None:
        """The GitHub login of ``email`` who may be assigned here, or None (left unassigned)."""
        if not email:
            return None
        email = email.strip().lower()
        if email not in seen:
            seen[email] = self._match(owner, repo, email)
        return seen[email]

    def _match(self, owner: str, repo: str, email: str) -> str | None:
        login = self._assignees.get(email)
        if login is None:
            try:
                result = self._call(
                    "search users",
                    lambda: self._gh.rest.search.users(q=f"{email} in:email", per_page=2).json(),
                )
            except TrackerRejected:
                return None
            items = result.get("items") or []
            if len(items) != 1:
                return None  # not public, or ambiguous: better unassigned than wrong
            login = str(items[0]["login"])
        try:
            self._call(
                "check assignee",
                lambda: self._gh.rest.issues.check_user_can_be_assigned(owner, repo, login),
            )
        except TrackerRejected:
            return None  # 404: not a collaborator of this repository
        return login

    # -- reading and closing ----------------------------------------------------------------

    def fetch(self, ref: TrackerRef) -> TrackerState:
        owner, repo = _repo(ref.project)
        number = int(ref.key)
        issue = self._call(
            "get issue", lambda: _plain(self._gh.rest.issues.get(owner, repo, number).json())
        )
        subs = self._sub_issues(owner, repo, number)
        return TrackerState(
            issue=self._state(ref.project, issue),
            sub_items=tuple(self._state(ref.project, s) for s in subs),
        )

    def set_closed(self, ref: TrackerRef, closed: bool) -> None:
        owner, repo = _repo(ref.project)
        self._call(
            "close issue" if closed else "reopen issue",
            lambda: self._gh.rest.issues.update(
                owner,
                repo,
                int(ref.key),
                state="closed" if closed else "open",
                state_reason="completed" if closed else "reopened",
            ),
        )

    def _ref(self, project: str, item: dict[str, Any]) -> TrackerRef:
        return TrackerRef(
            kind=TrackerKind.GITHUB,
            project=project,
            key=str(item["number"]),
            id=str(item["id"]),
            url=str(item["html_url"]),
        )

    def _state(self, project: str, item: dict[str, Any]) -> ItemState:
        key = key_in_body(item.get("body"))
        assignees = item.get("assignees") or ([item["assignee"]] if item.get("assignee") else [])
        return ItemState(
            ref=self._ref(project, item),
            closed=item.get("state") == "closed",
            assignee=str(assignees[0]["login"]) if assignees else None,
            suffix=split_key(key)[1] if key else None,
        )
