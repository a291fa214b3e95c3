"""Over 400 lines: one newcomer's path whose steps build on each other in one browser and one
sandbox; split, each file would have to replay the steps before it.

The sandbox in a real browser (headless Chromium from the system's packages): a newcomer's
path, step by step, as the README describes it. The steps build on each other (one sandbox per
module), and each one saves a screenshot under test-output/sandbox/.

1. Alice asks with /intake from the composer, answers by button and by typing, submits.
2. Lee approves the ask in #platform-review through the modal, with the milestone plan; Alice's
   "Submitted" message no longer offers Cancel ask.
3. The clock jumps to next Monday 09:00: Owen clicks his nudge, and his DM about the ask shows
   the same (and the other way round); Alice's thread gets its progress reply;
   #platform-digest gets one digest.
4. The Home tab of each person.
5. The Web API panel lists the calls; Slack would have rejected none of them. Another week:
   a digest of its own.
6. Every kind of block and element the sandbox draws (a message posted through the emulation).
7. Calls Slack would reject, and a 429 with Retry-After, are shown with the reason.
8. The sandbox's GitHub page: an issue with its milestone sub-issues; closing one sends the bot
   GitHub's signed webhook.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.sandbox.runtime import Sandbox
from tests.sandbox.conftest import SHOTS

# The story shares one sandbox and one browser (module fixtures) and runs in order: one worker.
pytestmark = pytest.mark.xdist_group("sandbox-browser")

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips, or fails where the browser is required
    expect = None

WAIT = 15_000  # ms: the bot paces its posts to one channel at about one a second


def shot(page: Any, name: str) -> None:
    """A screenshot once a poll that started after the last action has been drawn."""
    target = page.evaluate(
        "() => { Sandbox.poll(true);"
        " return Sandbox.state.pollsStarted + (Sandbox.state.pollAgain ? 1 : 0); }"
    )
    page.wait_for_function(f"() => (Sandbox.state.pollsDone || 0) >= {target}")
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def act_as(page: Any, real_name: str, screenshot: str | None = None) -> None:
    page.get_by_test_id("person-switcher").click()
    if screenshot:
        expect(page.locator("#person-menu")).to_be_visible()
        shot(page, screenshot)
    page.locator(".person-item", has_text=real_name).click()
    expect(page.get_by_test_id("person-switcher")).to_contain_text(real_name)


def open_channel(page: Any, name: str) -> None:
    if name == "Platform Intake":
        page.locator("#app-list button").click()
    else:
        page.locator("#channel-list button", has_text=name).click()
    expect(page.locator("#channel-title")).to_contain_text(name)


def thread(page: Any) -> Any:
    return page.get_by_test_id("thread-messages")


def reply(page: Any, text: str) -> None:
    box = page.get_by_test_id("thread-composer")
    box.fill(text)
    box.press("Enter")


def submitted(page: Any) -> Any:
    """Alice's "Submitted as PLAT-1" message in her open intake thread."""
    return thread(page).locator(".msg", has_text="Submitted as PLAT-1").last


def digests(page: Any) -> Any:
    """The weekly digests in the open channel (their header, not the replies under them)."""
    return page.get_by_test_id("messages").locator(".msg", has_text="Platform intake — week")


def test_1_a_full_intake_from_the_composer(page: Any, sandbox: Sandbox) -> None:
    expect(page.get_by_test_id("person-switcher")).to_contain_text("Alice Berger")
    expect(page.locator("#channel-title")).to_contain_text("platform-requests")

    # Typed text is shown as typed: escaped, never markup (and mrkdwn still formats).
    composer = page.get_by_test_id("composer")
    composer.fill("hello <b>team</b> & *everyone*, ask @lee in #platform-review")
    composer.press("Enter")
    said = page.get_by_test_id("messages").locator(".msg", has_text="hello").last
    expect(said).to_contain_text("hello <b>team</b> & everyone")
    expect(said.locator("strong")).to_have_text("everyone")
    expect(said.locator(".mention")).to_have_text(["@lee", "#platform-review"])
    assert said.locator("b").count() == 0

    composer.fill("/intake we need a postgres db for billing asap")
    composer.press("Enter")
    expect(page.get_by_test_id("messages")).to_contain_text(
        "opening your intake in a DM", timeout=WAIT
    )
    expect(page.get_by_test_id("messages")).to_contain_text("Only visible to you")
    expect(page.locator("#app-list .unread-count")).to_be_visible(timeout=WAIT)
    shot(page, "01-slash-command-in-platform-requests")

    open_channel(page, "Platform Intake")
    expect(page.get_by_test_id("messages")).to_contain_text("New platform ask", timeout=WAIT)
    page.get_by_test_id("replies").first.click()
    expect(thread(page)).to_contain_text("Question 1", timeout=WAIT)
    expect(thread(page)).to_contain_text("Here is what I understood")
    shot(page, "02-intake-thread-first-question")

    thread(page).get_by_role("button", name="production", exact=True).click()  # a button
    expect(thread(page)).to_contain_text("Question 2", timeout=WAIT)
    reply(page, "about 200 GB")  # typing
    expect(thread(page)).to_contain_text("Question 3", timeout=WAIT)
    reply(page, "invoices can't be generated without it, finance closes the month on it")
    expect(thread(page)).to_contain_text("Question 4", timeout=WAIT)
    reply(
        page, "billing-api connects to it from production; nightly backups restore in under 1 hour"
    )
    expect(thread(page)).to_contain_text("Ready for review", timeout=WAIT)
    expect(thread(page)).to_contain_text("Draft: PostgreSQL database for billing")
    # The readiness marks are drawn (SVG), so they show on a machine without an emoji font.
    mark = thread(page).locator('svg.emoji-drawn[data-emoji="white_check_mark"]').first
    expect(mark).to_be_visible()
    assert mark.bounding_box()["width"] > 8
    shot(page, "03-draft-with-readiness")

    thread(page).get_by_role("button", name="Submit", exact=True).last.click()
    expect(thread(page)).to_contain_text("PLAT-1", timeout=WAIT)
    # While the ask waits for review, Alice may withdraw it.
    expect(submitted(page).get_by_role("button", name="Cancel ask")).to_be_visible(timeout=WAIT)
    shot(page, "04-submitted-as-plat-1")


def test_2_a_lead_approves_in_the_review_channel_through_the_modal(
    page: Any, sandbox: Sandbox
) -> None:
    act_as(page, "Lee Novak", screenshot="05-person-switcher")
    expect(page.locator("#channel-list button", has_text="platform-review")).to_have_class(
        "unread", timeout=WAIT
    )
    open_channel(page, "platform-review")
    card = page.get_by_test_id("messages").locator(".msg", has_text="PLAT-1").last
    expect(card).to_contain_text("submitted", timeout=WAIT)
    expect(card).to_contain_text("Meets the definition of ready")
    shot(page, "06-review-card-for-the-lead")

    card.get_by_role("button", name="Approve", exact=True).click()
    modal = page.get_by_test_id("modal")
    expect(modal).to_be_visible(timeout=WAIT)
    expect(modal.locator(".modal-title")).to_have_text("Approve")
    modal.locator('select[data-block-id="owner"]').select_option("U0OWEN")
    modal.locator('select[data-block-id="priority"]').select_option("P1")
    modal.locator('input[data-block-id="ms_due:m0"]').fill("2026-11-24")
    modal.get_by_role("button", name="Add milestone").click()  # views.update with the state
    titles = modal.locator('input[data-block-id^="ms_title:"]')
    expect(titles).to_have_count(3, timeout=WAIT)  # the asap plan merged to two, plus one
    # What was chosen before the form changed is still there (as in Slack).
    expect(modal.locator('select[data-block-id="owner"]')).to_have_value("U0OWEN")
    expect(modal.locator('input[data-block-id="ms_due:m0"]')).to_have_value("2026-11-24")
    # A calendar date reads as the bot writes one, not in the browser's locale (11/24/2026).
    picked = modal.locator('.bk-input[data-block-id="ms_due:m0"] .bk-date-text')
    expect(picked).to_have_text("Tue 24 Nov 2026")
    row = titles.last.get_attribute("data-block-id").split(":", 1)[1]
    titles.last.fill("Billing team signs off")
    modal.locator(f'input[data-block-id="ms_due:{row}"]').fill("2026-11-27")
    modal.locator(f'input[data-block-id="ms_done:{row}"]').fill("Billing confirms invoices run")
    titles.last.scroll_into_view_if_needed()
    shot(page, "07-approve-modal-with-milestones")

    modal.get_by_test_id("modal-submit").click()
    expect(page.locator("#modal-overlay")).to_be_hidden(timeout=WAIT)
    expect(card).to_contain_text("accepted", timeout=WAIT)
    expect(card).to_contain_text("approved by")
    # Lee is in New York, where it is 04:0x on Thursday (10:0x in Berlin, where Alice asked):
    # "Submitted" and the status line are both his time and his today.
    moments = card.locator(".date")
    expect(moments).to_have_text([re.compile(r"^today at 04:\d\d$")] * 2)
    shot(page, "08-card-accepted")

    # Alice's "Submitted" message says so too, and no longer offers Cancel ask.
    act_as(page, "Alice Berger")
    open_channel(page, "Platform Intake")
    page.get_by_test_id("replies").last.click()
    expect(submitted(page)).to_contain_text("accepted", timeout=WAIT)
    expect(submitted(page).get_by_role("button", name="Cancel ask")).to_have_count(0)
    shot(page, "08b-submitted-without-cancel")
    page.locator("#thread-close").click()


def test_3_after_the_clock_jump_the_owner_clicks_a_nudge(page: Any, sandbox: Sandbox) -> None:
    act_as(page, "Owen Sato")
    page.get_by_test_id("jump-monday").click()
    expect(page.locator(".toast").last).to_contain_text("Clock moved to", timeout=WAIT)
    expect(page.locator("#clock-time")).to_contain_text("Mon 23 Nov")
    # Owen reads Lee's card in Tokyo on Monday: Thursday's moments in his zone, as dates.
    open_channel(page, "platform-review")
    card = page.get_by_test_id("messages").locator(".msg", has_text="PLAT-1").last
    expect(card.locator(".date")).to_have_text([re.compile(r"^Nov 19, 2026 at 18:\d\d$")] * 2)
    open_channel(page, "Platform Intake")
    nudge = page.get_by_test_id("messages").locator(".msg", has_text="Your milestones this week")
    expect(nudge.last).to_be_visible(timeout=WAIT)
    expect(nudge.last).to_contain_text("Billing team signs off")
    shot(page, "09-monday-nudge-for-the-owner")

    nudge.last.get_by_role("button", name="On track", exact=True).first.click()
    expect(nudge.last).to_contain_text("on track", timeout=WAIT)
    shot(page, "10-nudge-after-on-track")
    # His DM about the ask shows the same: the milestone is on track and the work started.
    dm = page.get_by_test_id("messages").locator(".msg", has_text="You own PLAT-1").last
    expect(dm).to_contain_text("on track", timeout=WAIT)
    expect(dm).to_contain_text("in progress")
    expect(dm.get_by_role("button", name="Start work", exact=True)).to_have_count(0)
    # And the other way: Done in the DM shows in the nudge.
    dm.get_by_role("button", name="Done", exact=True).first.click()
    expect(nudge.last).to_contain_text("— done", timeout=WAIT)
    expect(dm).to_contain_text("— done")
    shot(page, "10b-dm-and-nudge-agree")

    act_as(page, "Alice Berger")
    open_channel(page, "Platform Intake")
    page.get_by_test_id("replies").last.click()
    expect(thread(page)).to_contain_text("Weekly update on PLAT-1", timeout=WAIT)
    expect(thread(page)).to_contain_text("on track", timeout=WAIT)
    shot(page, "11-requester-thread-progress")

    page.locator("#thread-close").click()
    open_channel(page, "platform-digest")
    expect(page.get_by_test_id("messages")).to_contain_text("week 2026-W48", timeout=WAIT)
    expect(page.get_by_test_id("messages")).to_contain_text("PLAT-1")
    expect(digests(page)).to_have_count(1)  # one digest for the week, none for the install
    shot(page, "12-weekly-digest")


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("Alice Berger", "PLAT-1"),
        ("Lee Novak", "Review queue"),
        ("Owen Sato", "Billing team signs off"),
    ],
)
def test_4_the_home_tab_for_each_person(
    page: Any, sandbox: Sandbox, who: str, expected: str
) -> None:
    act_as(page, who)
    open_channel(page, "Platform Intake")
    page.get_by_test_id("tab-home").click()
    home = page.get_by_test_id("home")
    expect(home).to_be_visible()
    expect(home).to_contain_text(expected, timeout=WAIT)
    shot(page, f"13-home-tab-{who.split()[0].lower()}")
    page.get_by_test_id("tab-messages").click()


def test_5_the_web_api_panel_and_no_call_slack_would_reject(page: Any, sandbox: Sandbox) -> None:
    page.get_by_test_id("log-toggle").click()
    log = page.get_by_test_id("log")
    expect(log).to_be_visible()
    expect(log.locator("tr.call").first).to_be_visible(timeout=WAIT)
    expect(log).to_contain_text("chat.postMessage")
    expect(log).to_contain_text("views.open")
    shot(page, "14-web-api-calls-panel")
    assert sandbox.fake.violations == []
    assert page.get_by_test_id("violations").locator(".violation").count() == 0


def test_6_the_mrkdwn_renderer_in_the_page(page: Any) -> None:
    html = page.evaluate(
        """() => Mrkdwn.toHtml(Mrkdwn.parse(
            "*b* _i_ ~s~ `c` <https://x.test/a_b|link> <javascript:alert(1)|x> &lt;img&gt;"))"""
    )
    assert html == (
        "<strong>b</strong> <em>i</em> <del>s</del> <code>c</code> "
        '<a href="https://x.test/a_b">link</a> &lt;javascript:alert(1)|x&gt; &lt;img&gt;'
    )


def test_5b_a_second_week_gets_a_digest_of_its_own(page: Any, sandbox: Sandbox) -> None:
    page.get_by_test_id("jump-monday").click()
    expect(page.locator("#clock-time")).to_contain_text("Mon 30 Nov", timeout=WAIT)
    open_channel(page, "platform-digest")
    expect(digests(page)).to_have_count(2, timeout=WAIT)
    expect(digests(page).first).to_contain_text("week 2026-W48")
    expect(digests(page).last).to_contain_text("week 2026-W49")
    shot(page, "14b-one-digest-per-week")


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def option(text: str, value: str) -> dict[str, Any]:
    return {"text": plain(text), "value": value}


def test_7_block_kit_gallery(page: Any, sandbox: Sandbox, page_url: str) -> None:
    """Every block and element the sandbox draws, in one message posted through the emulated
    Web API (it passes the same validation as the bot's messages)."""
    image = f"{page_url}/static/intake.svg"
    mrkdwn = (
        "*bold* _italic_ ~strike~ `code` <https://example.com/docs|a link> <@U0ALICE> "
        "<#C0REVIEW|platform-review> &lt;not a tag&gt; :rocket:\n> a quote\n```pre *formatted*```"
    )
    blocks = [
        {"type": "header", "text": plain("Block Kit gallery :sparkles:")},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": mrkdwn},
            "accessory": {
                "type": "overflow",
                "action_id": "gallery_overflow",
                "options": [option("Edit", "edit"), option("Archive", "archive")],
            },
        },
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": f"*{name}*\n{value}"}
                for name, value in [("Priority", "P1"), ("Size", "M"), ("Owner", "<@U0OWEN>")]
            ],
            "accessory": {"type": "image", "image_url": image, "alt_text": "logo"},
        },
        {"type": "divider"},
        {"type": "image", "image_url": image, "alt_text": "logo", "title": plain("An image")},
        {
            "type": "actions",
            "elements": [
                {"type": "button", "text": plain("Approve"), "style": "primary",
                 "action_id": "g_ok", "value": "1"},
                {"type": "button", "text": plain("Decline"), "style": "danger",
                 "action_id": "g_no", "value": "1"},
                {"type": "button", "text": plain("Later"), "action_id": "g_later"},
                {"type": "static_select", "action_id": "g_select",
                 "placeholder": plain("Priority"),
                 "options": [option("P1", "P1"), option("P2", "P2")]},
                {"type": "users_select", "action_id": "g_user", "placeholder": plain("Owner")},
                {"type": "datepicker", "action_id": "g_date", "initial_date": "2026-11-27"},
            ],
        },
        {
            "type": "actions",
            "elements": [
                {"type": "checkboxes", "action_id": "g_checks",
                 "options": [option("Staging", "staging"), option("Production", "prod")],
                 "initial_options": [option("Staging", "staging")]},
                {"type": "radio_buttons", "action_id": "g_radio",
                 "options": [option("S", "S"), option("M", "M"), option("L", "L")]},
            ],
        },
        {
            "type": "context",
            "elements": [
                {"type": "image", "image_url": image, "alt_text": "logo"},
                {"type": "mrkdwn", "text": "a context line with *mrkdwn*"},
            ],
        },
    ]  # fmt: skip
    client = WebClient(token=sandbox.bot_token, base_url=sandbox.fake.api_url)
    client.chat_postMessage(channel="C0REQUESTS", text="Block Kit gallery", blocks=blocks)
    assert sandbox.fake.violations == []

    act_as(page, "Alice Berger")
    page.get_by_test_id("log-toggle").click()  # close the panel
    open_channel(page, "platform-requests")
    message = page.get_by_test_id("messages").locator(".msg", has_text="Block Kit gallery")
    expect(message).to_be_visible(timeout=WAIT)
    expect(message.locator(".bk-header")).to_contain_text("Block Kit gallery")
    expect(message.locator("strong").first).to_have_text("bold")
    expect(message.locator("em").first).to_have_text("italic")
    expect(message.locator("del")).to_have_text("strike")
    expect(message.locator("a[href='https://example.com/docs']")).to_have_text("a link")
    expect(message.locator("blockquote")).to_have_text("a quote")
    expect(message.locator("pre")).to_have_text("pre *formatted*")
    expect(message).to_contain_text("<not a tag>")
    expect(message.locator(".bk-fields > div")).to_have_count(3)
    expect(message.locator(".bk-btn.primary")).to_have_text("Approve")
    expect(message.locator(".bk-btn.danger")).to_have_text("Decline")
    expect(message.locator("select.bk-select")).to_have_count(2)
    expect(message.locator("input[type=date]")).to_have_value("2026-11-27")
    expect(message.locator("input[type=checkbox]")).to_have_count(2)
    expect(message.locator("input[type=checkbox]").first).to_be_checked()
    expect(message.locator("input[type=radio]")).to_have_count(3)
    expect(message.locator("img")).to_have_count(3)
    expect(message.locator(".bk-divider")).to_have_count(1)
    message.get_by_role("button", name="More options").click()
    expect(message.locator(".bk-overflow-menu")).to_contain_text("Archive")
    message.scroll_into_view_if_needed()
    shot(page, "15-block-kit-gallery")
    page.keyboard.press("Escape")
    page.get_by_test_id("log-toggle").click()  # open it again for the next step


def test_8_calls_slack_would_reject_are_shown_with_the_reason(page: Any, sandbox: Sandbox) -> None:
    """What a bug in the bot would look like: the emulation answers as Slack would (an error, or
    429 with Retry-After) and the panel shows the call, highlighted, with the reason."""
    sandbox.fake.expect_violations()
    client = WebClient(token=sandbox.bot_token, base_url=sandbox.fake.api_url)
    too_long = {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}
    with pytest.raises(SlackApiError) as rejected:
        client.chat_postMessage(channel="C0REQUESTS", text="too long", blocks=[too_long])
    assert rejected.value.response["error"] == "invalid_blocks"
    limited = None
    for n in range(10):  # about one a second per channel, short bursts: the 6th is refused
        try:
            client.chat_postMessage(channel="C0DIGEST", text=f"burst {n}")
        except SlackApiError as exc:
            limited = exc.response
            break
    assert limited is not None and limited.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 1

    log = page.get_by_test_id("log")
    expect(log.locator("tr.bad").first).to_contain_text("invalid_blocks", timeout=WAIT)
    expect(log.locator("tr.bad").first).to_contain_text("3000")
    expect(log.locator("tr.limited").first).to_contain_text("Retry-After")
    expect(page.locator("#log-bad")).to_be_visible()
    page.locator("#log-only-bad").check()
    shot(page, "16-rejected-calls-highlighted")


def close_on_github(github: Any, number: int) -> None:
    """Click Close on issue ``number`` until its Reopen shows: the page redraws its list every
    second, and a click can land on a row that is being replaced."""
    for _ in range(3):
        github.get_by_test_id(f"gh-close-{number}").click()
        try:
            expect(github.get_by_test_id(f"gh-reopen-{number}")).to_be_visible(timeout=5000)
            return
        except AssertionError:
            continue
    raise AssertionError(f"#{number} did not close")


def test_9_closing_the_milestones_on_the_github_page_completes_the_ask_in_slack(
    page: Any, sandbox: Sandbox, page_url: str
) -> None:
    """The sandbox's GitHub in a browser: PLAT-1, approved by Lee in step 2, was filed there by
    the bot (its milestones as sub-issues, a link back to the Slack thread). Owen closes the
    second milestone there (the first he marked done in Slack in step 4, and the bot closed
    it in GitHub): GitHub's signed webhook reaches the bot, which marks the milestone done and
    says so in Alice's thread. He closes the last milestone and the issue: the ask is done."""
    expect(page.get_by_test_id("github-link")).to_have_attribute("href", "/github")
    ticket = sandbox.container.intake.get(1).ticket
    assert ticket.tracker is not None, "the bot filed the approved ask in the sandbox's GitHub"
    number = int(ticket.tracker.label.rsplit("#", 1)[1])
    everything = sandbox.github.api.issues("platform/asks")
    parent = next(i for i in everything if i["number"] == number)
    subs = [i for i in everything if sandbox.github.api.parents.get(i["id"]) == parent["id"]]
    assert len(subs) == len(ticket.milestones)
    assert [i["state"] for i in subs] == ["closed", "open", "open"], "milestone 1: done in Slack"
    step = subs[1]["number"]
    github = page.context.new_page()
    errors: list[str] = []
    github.on("pageerror", lambda exc: errors.append(str(exc)))
    github.goto(f"{page_url}/github#/platform/asks/issues/{number}")
    issues = github.get_by_test_id("gh-issues")
    issue = issues.get_by_test_id(f"gh-issue-{number}")
    expect(issue).to_contain_text(ticket.title, timeout=WAIT)
    expect(issue).to_contain_text(f"1 of {len(subs)} sub-issues done")
    expect(issues.get_by_test_id(f"gh-issue-{step}")).to_contain_text(ticket.milestones[1].title)
    back = issues.get_by_test_id(f"gh-slack-{number}")
    expect(back).to_have_attribute("href", re.compile(r"^/\?as=U0ALICE&channel=DU0ALICE&thread="))
    github.get_by_test_id("gh-as").select_option("U0OWEN")
    github.get_by_test_id(f"gh-close-{step}").click()
    expect(issue).to_contain_text(f"2 of {len(subs)} sub-issues done", timeout=WAIT)
    expect(issues.get_by_test_id(f"gh-reopen-{step}")).to_be_visible()
    delivery = github.get_by_test_id("gh-deliveries").locator("tr").first
    expect(delivery).to_contain_text("issues.closed")
    expect(delivery).to_contain_text("HTTP 200")
    github.screenshot(path=str(SHOTS / "17-github-page-after-closing-a-milestone.png"))
    # The last milestone, then the issue itself: the ask is done in Slack.
    close_on_github(github, subs[2]["number"])
    expect(issue).to_contain_text(f"{len(subs)} of {len(subs)} sub-issues done", timeout=WAIT)
    close_on_github(github, number)
    expect(delivery).to_contain_text("HTTP 200")
    # The way back: Alice's intake thread, opened as Alice, says what happened in GitHub.
    with github.context.expect_page() as opened:
        back.click()
    slack = opened.value
    expect(slack.get_by_test_id("person-switcher")).to_contain_text("Alice Berger", timeout=WAIT)
    thread = slack.get_by_test_id("thread-messages")
    expect(thread).to_contain_text("Submitted as PLAT-1")
    expect(thread).to_contain_text("Closed in GitHub by owen: milestone 2", timeout=WAIT)
    expect(thread).to_contain_text("Closed in GitHub by owen: PLAT-1 is done", timeout=WAIT)
    assert sandbox.container.intake.get(1).ticket.status.value == "done"
    slack.screenshot(path=str(SHOTS / "18-slack-thread-after-the-github-close.png"))
    slack.close()
    github.close()
    assert errors == [], f"JavaScript errors on the GitHub page: {errors}"
