/* The sandbox's GitHub page: polls /api/github and draws the repository's issues with their
 * sub-issues; Close / Reopen go to POST /api/github, which changes the issue and sends the bot
 * GitHub's signed `issues` webhook. Plain JavaScript; text reaches the DOM through textContent
 * only. */
(function () {
  "use strict";

  var POLL_MS = 1000;
  var $ = function (id) { return document.getElementById(id); };
  var S = { state: null, drawn: "", busy: false, as: localStorage.getItem("sandbox.me") || "U0OWEN" };

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }
  function link(href, text, cls) {
    var a = el("a", cls || "", text);
    a.href = href;
    return a;
  }

  function toast(text) {
    var t = $("gh-toast");
    t.textContent = text;
    t.classList.remove("hidden");
    clearTimeout(S.toastTimer);
    S.toastTimer = setTimeout(function () { t.classList.add("hidden"); }, 4000);
  }

  function poll() {
    return fetch("/api/github", { cache: "no-store" })
      .then(function (r) { return r.json(); })
      .then(function (state) {
        S.state = state;
        var key = JSON.stringify(state) + S.as;
        if (key !== S.drawn) { S.drawn = key; draw(); }
      })
      .catch(function () { /* the sandbox stopped: keep what is shown */ });
  }

  function loop() { poll().then(function () { setTimeout(loop, POLL_MS); }); }

  function setState(issue, state, button) {
    if (S.busy) return;
    S.busy = true;
    button.disabled = true;
    fetch("/api/github", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ as: S.as, number: issue.number, state: state })
    })
      .then(function (r) { return r.json(); })
      .then(function (answer) {
        if (!answer.ok) { toast(answer.error || "failed"); return; }
        var d = answer.delivery;
        toast("#" + d.number + " " + d.action + " · " + (d.status
          ? "webhook delivered: HTTP " + d.status
          : "webhook not delivered: " + d.answer));  // status 0: the bot was unreachable
      })
      .catch(function (e) { toast(String(e)); })
      .then(function () { S.busy = false; return poll(); });
  }

  function issueRow(issue, isSub) {
    var row = el("div", "gh-row");
    row.dataset.testid = "gh-issue-" + issue.number;
    var open = issue.state === "open";
    var mark = el("span", "gh-state " + issue.state, open ? "◎" : "✓");
    mark.title = open ? "Open" : "Closed (" + (issue.state_reason || "completed") + ")";
    row.appendChild(mark);
    var body = el("div", "gh-body");
    var title = el("span", "gh-title", issue.title);
    body.appendChild(title);
    (issue.labels || []).forEach(function (name) {
      if (name.indexOf("intake-") === 0) return;  // the idempotency label: GitHub shows it, it says nothing
      body.appendChild(el("span", "gh-label", name));
    });
    var meta = el("div", "gh-meta");
    meta.appendChild(document.createTextNode(
      "#" + issue.number + (open ? " · open" : " · closed") +
      (issue.assignees.length ? " · assigned to " + issue.assignees.join(", ") : "")));
    if (issue.slack) {
      meta.appendChild(document.createTextNode(" · "));
      var back = link(issue.slack.page, "Slack thread ↗");
      back.title = issue.slack.url;
      back.target = "_blank";
      back.dataset.testid = "gh-slack-" + issue.number;
      meta.appendChild(back);
    }
    if (!isSub && issue.summary && issue.summary.total) {
      var s = issue.summary;
      meta.appendChild(document.createTextNode(" · "));
      var bar = el("span", "gh-progress");
      var fill = el("span");
      fill.style.width = (s.percent_completed || 0) + "%";
      bar.appendChild(fill);
      meta.appendChild(bar);
      meta.appendChild(document.createTextNode(s.completed + " of " + s.total + " sub-issues done"));
    }
    body.appendChild(meta);
    row.appendChild(body);
    var button = el("button", "gh-btn", open ? "Close issue" : "Reopen issue");
    button.type = "button";
    button.dataset.testid = (open ? "gh-close-" : "gh-reopen-") + issue.number;
    button.addEventListener("click", function () { setState(issue, open ? "closed" : "open", button); });
    row.appendChild(button);
    return row;
  }

  function draw() {
    var st = S.state;
    $("gh-hook").textContent = "POST " + (st.webhook_url || "(the bot is not running)");
    var select = $("gh-as");
    if (!select.options.length) {
      st.people.forEach(function (p) {
        var o = el("option", "", p.login + " (" + p.name + ")");
        o.value = p.id;
        select.appendChild(o);
      });
      if (!st.people.some(function (p) { return p.id === S.as; })) S.as = st.people[0].id;
      select.value = S.as;
    }
    var open = 0, closed = 0;
    st.issues.forEach(function (i) {
      [i].concat(i.sub_issues).forEach(function (x) { if (x.state === "open") open++; else closed++; });
    });
    $("gh-counts").textContent = "◎ " + open + " Open   ✓ " + closed + " Closed";
    var list = clear($("gh-issues"));
    var target = (location.hash.match(/\/issues\/(\d+)$/) || [])[1];
    if (!st.issues.length) {
      list.appendChild(el("li", "gh-empty",
        "No issues yet. Approve an ask in #platform-review: it becomes an issue here."));
    }
    st.issues.forEach(function (issue) {
      var li = el("li");
      li.appendChild(issueRow(issue, false));
      var subs = el("ul", "gh-subs");
      issue.sub_issues.forEach(function (sub) {
        var item = el("li");
        item.appendChild(issueRow(sub, true));
        if (String(sub.number) === target) li.classList.add("gh-target");
        subs.appendChild(item);
      });
      if (issue.sub_issues.length) li.appendChild(subs);
      if (String(issue.number) === target) li.classList.add("gh-target");
      list.appendChild(li);
    });
    var rows = clear($("gh-deliveries"));
    if (!st.deliveries.length) {
      var none = el("tr");
      var cell = el("td", "gh-meta", "None yet: close or reopen an issue.");
      cell.colSpan = 4;
      none.appendChild(cell);
      rows.appendChild(none);
    }
    st.deliveries.forEach(function (d) {
      var tr = el("tr");
      tr.appendChild(el("td", "", d.at.slice(0, 16).replace("T", " ")));
      tr.appendChild(el("td", "", "issues." + d.action));
      tr.appendChild(el("td", "", "#" + d.number + " " + d.title));
      var ok = d.status >= 200 && d.status < 300;
      var answer = el("td", ok ? "ok" : "bad", d.status ? "HTTP " + d.status + " " : "not delivered ");
      answer.appendChild(el("span", "gh-answer", d.answer));
      tr.appendChild(answer);
      rows.appendChild(tr);
    });
  }

  function init() {
    $("gh-as").addEventListener("change", function () { S.as = $("gh-as").value; S.drawn = ""; draw(); });
    window.addEventListener("hashchange", function () { S.drawn = ""; if (S.state) draw(); });
    loop();
  }

  window.SandboxGitHub = { state: S, poll: poll };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
