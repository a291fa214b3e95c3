"""The sandbox page's mrkdwn renderer (JavaScript), run under node when node is there: Slack's
markup drawn as Slack draws it, and nothing a message says runs as HTML."""

from __future__ import annotations

import json
import re
import subprocess
from typing import Any

import pytest

from bot.sandbox.server import STATIC
from tests.sandbox.conftest import ROOT, node

MRKDWN_CASES = {
    "*b* _i_ ~s~ `c*d*`": "<strong>b</strong> <em>i</em> <del>s</del> <code>c*d*</code>",
    "a &lt;script&gt; &amp;lt;": "a &lt;script&gt; &amp;lt;",
    "<https://x.test/a_b_c|the *docs*>": '<a href="https://x.test/a_b_c">the *docs*</a>',
    "<javascript:alert(1)|x>": "&lt;javascript:alert(1)|x&gt;",
    '<https://x.test/"onmouseover=1|y>': '<a href="https://x.test/&quot;onmouseover=1">y</a>',
    "hi <@U0ALICE> in <#C0REVIEW|platform-review> <!here>": (
        'hi <span class="mention">@alice</span> in <span class="mention">#platform-review'
        '</span> <span class="mention">@here</span>'
    ),
    "> quoted *b*\n> two\nafter": "<blockquote>quoted <strong>b</strong><br>two</blockquote>after",
    "```\ncode *not bold* <b>\n```\nafter": "<pre>code *not bold* &lt;b&gt;</pre>after",
    "snake_case_name and 2*3*4": "snake_case_name and 2*3*4",
    ":white_check_mark: done :nope:": "\u2705 done :nope:",
    "<!date^1795078806^{date_short_pretty} at {time}|fallback>": "Nov 19, 2026 at 10:00",
    "<!date^1795078806^{unknown}|the fallback>": "the fallback",
}


def with_mrkdwn_js(script: str, data: Any) -> Any:
    """Run ``script`` in node with the page's renderer as ``m`` and ``data`` as JSON in
    ``process.argv[2]``; what it prints, as JSON."""
    runner = node()
    if runner is None:
        pytest.skip("node is not installed (the browser tests run the same renderer)")
    result = subprocess.run(
        [
            runner,
            "-e",
            "const m = require(process.argv[1]);" + script,
            str(STATIC / "mrkdwn.js"),
            json.dumps(data),
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return json.loads(result.stdout)


def test_the_mrkdwn_renderer() -> None:
    script = (
        "const cases = JSON.parse(process.argv[2]);"
        "const names = {U0ALICE: 'alice'};"
        "const ctx = {tz: 'Europe/Berlin', userName: (id) => names[id] || id};"
        "console.log(JSON.stringify(cases.map((c) => m.toHtml(m.parse(c), ctx))));"
    )
    cases = list(MRKDWN_CASES)
    rendered = with_mrkdwn_js(script, cases)
    assert dict(zip(cases, rendered, strict=True)) == MRKDWN_CASES


def test_every_emoji_the_bot_sends_is_drawn_without_an_emoji_font() -> None:
    """The readiness and status marks must not be empty boxes on a machine without an emoji
    font: the page draws each emoji the bot uses (SVG) instead of relying on a font."""
    sources = [p for p in (ROOT / "bot").rglob("*.py") if "sandbox" not in p.parts]
    used = sorted({name for p in sources for name in re.findall(r":([a-z0-9_+]+):", p.read_text())})
    script = (
        "const used = JSON.parse(process.argv[2]);"
        "const known = used.filter((n) => m.emoji(':' + n + ':') !== ':' + n + ':');"
        "console.log(JSON.stringify({known: known, drawn: m.drawn}));"
    )
    found = with_mrkdwn_js(script, used)
    # Shortcodes of other things (":reply:" in an outbox key) are not emoji the renderer knows.
    assert {"white_check_mark", "white_large_square", "warning", "red_circle"} <= set(
        found["known"]
    )
    missing = set(found["known"]) - set(found["drawn"])
    assert not missing, f"draw these in bot/sandbox/static/mrkdwn.js (DRAWN): {sorted(missing)}"
