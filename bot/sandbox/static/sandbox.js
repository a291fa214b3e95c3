/* The sandbox's page: polls /api/state, draws the workspace the way Slack does, and turns every
 * click, choice and message into a call to the sandbox's API, which sends the bot the signed
 * request Slack would (bot/sandbox/server.py). Plain JavaScript, no build step.
 * Text only ever reaches the DOM through textContent or Mrkdwn.toDom (no innerHTML). */
(function () {
  "use strict";

  var POLL_MS = 700;
  var $ = function (id) { return document.getElementById(id); };

  var S = {
    me: localStorage.getItem("sandbox.me") || "U0ALICE",
    where: {},          // person -> {channel, tab, thread}
    snap: null,
    seen: {},           // person -> channel -> message count seen
    calls: [],
    logAfter: -1,
    logOpen: false,
    onlyBad: false,
    drawn: {},          // section -> the JSON it was drawn from
    modalKey: null,
    form: {},           // block_id -> value (the open modal's inputs)
    formErrors: {},
    polling: false,
    busy: 0,
    openMenu: null,
    hidden: {}          // dismissed ephemerals (ts)
  };

  // -- small helpers ---------------------------------------------------------------------------

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
  }

  function people() { return S.snap ? S.snap.people : []; }
  function person(id) {
    return people().filter(function (p) { return p.id === id; })[0] || null;
  }
  function userName(id) {
    if (!S.snap) return id;
    if (id === S.snap.bot.id) return S.snap.bot.name;
    var u = S.snap.users.filter(function (x) { return x.id === id; })[0];
    return u ? (u.real_name || u.name) : id;
  }
  function handle(id) {
    if (!S.snap) return id;
    if (id === S.snap.bot.id) return S.snap.bot.name;
    var u = S.snap.users.filter(function (x) { return x.id === id; })[0];
    return u ? u.name : id;
  }
  function channelName(id) {
    if (!S.snap) return id;
    var c = S.snap.channels.filter(function (x) { return x.id === id; })[0];
    return c ? c.name : id;
  }
  function myTz() { var p = person(S.me); return p ? p.tz : "UTC"; }
  function where() {
    if (!S.where[S.me]) {
      S.where[S.me] = { channel: "C0REQUESTS", tab: "messages", thread: null };
    }
    return S.where[S.me];
  }
  function isAppChannel(id) { return id && id.charAt(0) === "D"; }

  function fmt(epoch, opts) {
    var o = { timeZone: myTz() };
    for (var k in opts) o[k] = opts[k];
    return new Intl.DateTimeFormat("en-GB", o).format(new Date(epoch * 1000));
  }
  function timeOf(ts) { return fmt(parseFloat(ts), { hour: "2-digit", minute: "2-digit" }); }
  function dayOf(ts) { return fmt(parseFloat(ts), { weekday: "long", day: "numeric", month: "long", year: "numeric" }); }
  function today() { return S.snap ? fmt(S.snap.now_epoch, { day: "numeric", month: "numeric" }) : ""; }
  function cityOf(tz) { return tz.split("/").pop().replace(/_/g, " "); }

  function avatar(id, size) {
    var a = el("div", "avatar " + (size || "") + " " + id);
    if (S.snap && id === S.snap.bot.id) {
      a.className += " bot";
      a.textContent = "PI";
    } else {
      a.textContent = (userName(id) || "?").charAt(0).toUpperCase();
    }
    a.setAttribute("aria-hidden", "true");
    return a;
  }

  function mrkdwn(text) {
    var span = el("span", "md");
    span.appendChild(Mrkdwn.toDom(Mrkdwn.parse(text), document, {
      me: S.me, userName: handle, channelName: channelName, tz: myTz(),
      now: S.snap ? S.snap.now_epoch : null
    }));
    return span;
  }

  function textObj(obj) {
    if (!obj) return el("span");
    if (obj.type === "mrkdwn") return mrkdwn(obj.text || "");
    if (obj.emoji === false) return el("span", "plain", obj.text);
    var span = el("span", "plain");
    span.appendChild(Mrkdwn.emojiText(obj.text || "", document));
    return span;
  }
  function plainOf(obj) {
    if (!obj) return "";
    return obj.type === "plain_text" ? Mrkdwn.emoji(obj.text || "") : (obj.text || "");
  }

  function toast(text, bad) {
    var t = el("div", "toast" + (bad ? " bad" : ""), text);
    $("toasts").appendChild(t);
    setTimeout(function () { t.remove(); }, bad ? 7000 : 4500);
  }

  // -- talking to the sandbox -----------------------------------------------------------------

  function post(action, body) {
    body = body || {};
    body.as = S.me;
    S.busy++;
    document.body.classList.add("busy");
    return fetch("/api/" + action, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().then(function (data) {
        if (!r.ok || data.ok === false) {
          if (data.error) toast(data.error, true);
        }
        return data;
      });
    }).catch(function (e) {
      toast("The sandbox did not answer: " + e, true);
      return { ok: false };
    }).finally(function () {
      S.busy--;
      if (!S.busy) document.body.classList.remove("busy");
      poll(true);
    });
  }

  function poll(now) {
    if (S.polling) { if (now) S.pollAgain = true; return; }
    S.polling = true;
    // Polls are numbered: S.pollsDone tells the browser tests that a poll which started after
    // their last click has been drawn (see tests/sandbox/test_browser.py shot()).
    var number = S.pollsStarted = (S.pollsStarted || 0) + 1;
    var w = where();
    var q = "as=" + encodeURIComponent(S.me) +
      "&channel=" + encodeURIComponent(w.channel) +
      (w.thread ? "&thread=" + encodeURIComponent(w.thread) : "") +
      "&log_after=" + S.logAfter;
    fetch("/api/state?" + q).then(function (r) { return r.json(); }).then(function (snap) {
      if (snap.ok === false) throw new Error(snap.error);
      if (snap.me !== S.me) return;
      S.snap = snap;
      draw();
    }).catch(function (e) {
      $("clock-time").textContent = "sandbox not answering (" + e.message + ")";
    }).finally(function () {
      S.polling = false;
      S.pollsDone = number;
      if (S.pollAgain) { S.pollAgain = false; poll(); }
    });
  }

  function loop() {
    poll();
    setTimeout(loop, POLL_MS);
  }

  function changed(section, value) {
    var json = JSON.stringify(value);
    if (S.drawn[section] === json) return false;
    S.drawn[section] = json;
    return true;
  }

  // -- drawing ---------------------------------------------------------------------------------

  function draw() {
    drawTop();
    drawSidebar();
    drawMain();
    drawThread();
    drawModal();
    drawLog();
  }

  function drawTop() {
    var snap = S.snap, me = person(S.me);
    $("clock-time").textContent = fmt(snap.now_epoch, {
      weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit"
    }) + " · " + cityOf(me.tz);
    $("clock-time").title = "The sandbox's clock, in " + me.real_name + "'s time zone (" + me.tz + ")";
    if (changed("person", [S.me, Math.floor(snap.now_epoch / 60)])) {
      var cur = clear($("person-current"));
      cur.appendChild(avatar(me.id, "small"));
      var who = el("span", "who");
      who.appendChild(el("span", null, me.real_name));
      who.appendChild(el("small", null, me.role + " · " + cityOf(me.tz) + " " +
        fmt(snap.now_epoch, { hour: "2-digit", minute: "2-digit" })));
      cur.appendChild(who);
      cur.appendChild(el("span", null, "▾"));
      var menu = clear($("person-menu"));
      menu.appendChild(el("div", "menu-title", "Act as…"));
      people().forEach(function (p) {
        var b = el("button", "person-item" + (p.id === S.me ? " active" : ""));
        b.type = "button";
        b.setAttribute("role", "menuitem");
        b.dataset.person = p.id;
        b.appendChild(avatar(p.id, "small"));
        var t = el("span");
        t.appendChild(el("b", null, p.real_name + " "));
        t.appendChild(el("span", null, "(" + p.role + ")"));
        t.appendChild(el("small", null, p.title));
        t.appendChild(el("small", null, p.tz + " · now " + new Intl.DateTimeFormat("en-GB", {
          timeZone: p.tz, weekday: "short", hour: "2-digit", minute: "2-digit"
        }).format(new Date(snap.now_epoch * 1000))));
        b.appendChild(t);
        b.addEventListener("click", function () { switchTo(p.id); });
        menu.appendChild(b);
      });
      var sub = clear($("sidebar-sub"));
      sub.appendChild(el("span", "presence"));
      sub.appendChild(el("span", null, me.real_name + " · " + me.role));
    }
    var log = snap.log;
    $("log-count").textContent = String(log.total);
    var bad = log.violations.length + log.failed;
    $("log-bad").textContent = String(bad);
    $("log-bad").classList.toggle("hidden", bad === 0);
  }

  function unread(id) {
    var seen = (S.seen[S.me] || {})[id] || 0;
    return Math.max(0, (S.snap.counts[id] || 0) - seen);
  }

  function markSeen(id) {
    S.seen[S.me] = S.seen[S.me] || {};
    S.seen[S.me][id] = S.snap.counts[id] || 0;
  }

  function drawSidebar() {
    var w = where();
    markSeen(w.channel);
    var state = S.snap.channels.map(function (c) { return [c.id, unread(c.id)]; });
    if (!changed("sidebar", [S.me, w.channel, w.tab, state])) return;
    var chans = clear($("channel-list")), apps = clear($("app-list"));
    S.snap.channels.forEach(function (c) {
      var li = el("li"), b = el("button");
      b.type = "button";
      b.dataset.channel = c.id;
      var n = unread(c.id);
      if (c.id === w.channel) b.className = "active";
      else if (n) b.className = "unread";
      if (c.kind === "app") {
        b.appendChild(avatar(S.snap.bot.id, "tiny"));
        b.appendChild(el("span", null, c.name));
      } else {
        b.appendChild(el("span", "hash", "#"));
        b.appendChild(el("span", null, c.name));
      }
      if (n && c.id !== w.channel) b.appendChild(el("span", "unread-count", String(n)));
      b.addEventListener("click", function () { openChannel(c.id); });
      li.appendChild(b);
      (c.kind === "app" ? apps : chans).appendChild(li);
    });
  }

  function openChannel(id) {
    var w = where();
    if (w.channel !== id) w.thread = null;
    w.channel = id;
    S.drawn = {};
    if (isAppChannel(id) && w.tab === "home") post("home");
    poll(true);
    draw();
    $("composer-input").focus();
  }

  function switchTo(id) {
    S.me = id;
    localStorage.setItem("sandbox.me", id);
    $("person-menu").classList.add("hidden");
    $("person-current").setAttribute("aria-expanded", "false");
    S.drawn = {};
    S.modalKey = null;
    var w = where();
    if (isAppChannel(w.channel) && w.channel !== "D" + id) w.channel = "D" + id;
    if (isAppChannel(w.channel) && w.tab === "home") post("home");
    poll(true);
  }

  function drawMain() {
    var w = where(), snap = S.snap;
    if (snap.channel !== w.channel) return; // a snapshot of the previous channel
    var c = snap.channels.filter(function (x) { return x.id === w.channel; })[0];
    var app = c.kind === "app";
    $("channel-title").textContent = app ? c.name : "# " + c.name;
    $("channel-topic").textContent = app ? "App · your DM and the bot's Home tab" : c.topic;
    $("app-tabs").classList.toggle("hidden", !app);
    var home = app && w.tab === "home";
    $("tab-home").classList.toggle("active", home);
    $("tab-messages").classList.toggle("active", app && !home);
    $("tab-home").setAttribute("aria-selected", String(home));
    $("tab-messages").setAttribute("aria-selected", String(app && !home));
    $("home").classList.toggle("hidden", !home);
    $("messages").classList.toggle("hidden", home);
    $("composer").classList.toggle("hidden", home);
    var input = $("composer-input");
    input.placeholder = app ? "Message " + c.name : "Message #" + c.name;
    $("composer-hint").textContent = app
      ? "Write your ask to start an intake · Enter sends, Shift+Enter adds a line"
      : "/intake <what you need> starts an ask · @Platform Intake mentions the bot · Enter sends";
    if (home) {
      if (changed("home", [S.me, snap.home && snap.home.hash, today()])) drawHome();
      return;
    }
    var visible = (snap.messages || []).filter(function (m) { return !S.hidden[m.ts]; });
    if (!changed("messages", [S.me, w.channel, visible, today()])) return;
    var box = $("messages");
    var atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
    clear(box);
    if (!visible.length) {
      var empty = el("div", "empty");
      empty.textContent = app
        ? "This is your DM with Platform Intake. Write what you need, e.g. “we need a postgres db for billing asap”."
        : "No messages in #" + c.name + " yet." + (c.id === "C0REQUESTS" ? " Try /intake we need a postgres db for billing asap" : "");
      box.appendChild(empty);
    }
    drawMessages(box, visible, false);
    if (atBottom || S.scrollDown) box.scrollTop = box.scrollHeight;
    S.scrollDown = false;
  }

  function drawMessages(box, list, inThread) {
    var lastDay = null, prev = null;
    list.forEach(function (m, i) {
      var day = dayOf(m.ts);
      if (!inThread && day !== lastDay) {
        var d = el("div", "day");
        d.appendChild(el("span", null, day));
        box.appendChild(d);
        lastDay = day;
        prev = null;
      }
      var grouped = prev && prev.user === m.user && !prev.is_ephemeral && !m.is_ephemeral &&
        parseFloat(m.ts) - parseFloat(prev.ts) < 300 && !(prev.reply_count && !inThread) && !(inThread && i === 1);
      box.appendChild(drawMessage(m, grouped, inThread));
      if (inThread && i === 0 && list.length > 1) {
        box.appendChild(el("div", "thread-count", (list.length - 1) + (list.length === 2 ? " reply" : " replies")));
      }
      prev = m;
    });
  }

  function drawMessage(m, grouped, inThread) {
    var row = el("div", "msg" + (grouped ? " grouped" : "") + (m.is_ephemeral ? " ephemeral" : ""));
    row.dataset.ts = m.ts;
    row.appendChild(grouped ? el("div", "msg-gutter") : avatar(m.user));
    var body = el("div", "msg-body");
    if (m.is_ephemeral) {
      var note = el("div", "eph-note");
      note.appendChild(el("span", null, "👁 Only visible to you"));
      var dismiss = el("button", null, "Dismiss");
      dismiss.type = "button";
      dismiss.addEventListener("click", function () { S.hidden[m.ts] = true; S.drawn = {}; draw(); });
      note.appendChild(dismiss);
      body.appendChild(note);
    }
    var head = el("div", "msg-head");
    head.appendChild(el("span", "msg-name", userName(m.user)));
    if (m.bot_id) head.appendChild(el("span", "app-badge", "App"));
    var t = el("span", "msg-time", timeOf(m.ts));
    t.title = dayOf(m.ts);
    head.appendChild(t);
    body.appendChild(head);
    var content = el("div", "msg-text");
    if (m.bot_id && m.blocks && m.blocks.length) {
      content.appendChild(renderBlocks(m.blocks, { kind: "message", ts: m.ts }));
    } else {
      content.appendChild(mrkdwn(m.text || ""));
    }
    if (m.edited) content.appendChild(el("span", "edited", " (edited)"));
    body.appendChild(content);
    if (m.reactions && m.reactions.length) {
      var rx = el("div", "reactions");
      m.reactions.forEach(function (r) {
        var reaction = el("span", "reaction");
        reaction.appendChild(Mrkdwn.emojiDom(r.name, document));
        reaction.appendChild(document.createTextNode(" " + r.count));
        rx.appendChild(reaction);
      });
      body.appendChild(rx);
    }
    if (!inThread && m.reply_count) {
      var rep = el("button", "replies");
      rep.type = "button";
      rep.dataset.testid = "replies";
      (m.reply_users || []).slice(0, 4).forEach(function (u) { rep.appendChild(avatar(u, "tiny")); });
      rep.appendChild(el("span", null, m.reply_count + (m.reply_count === 1 ? " reply" : " replies")));
      if (m.latest_reply) rep.appendChild(el("span", "last", "Last reply " + timeOf(m.latest_reply)));
      rep.addEventListener("click", function () { openThread(m.ts); });
      body.appendChild(rep);
    }
    row.appendChild(body);
    if (!m.is_ephemeral) row.appendChild(messageTools(m, inThread));
    return row;
  }

  function messageTools(m, inThread) {
    var tools = el("div", "msg-tools");
    if (!inThread) {
      var reply = el("button", null, "💬");
      reply.type = "button";
      reply.title = "Reply in thread";
      reply.setAttribute("aria-label", "Reply in thread");
      reply.addEventListener("click", function () { openThread(m.ts); });
      tools.appendChild(reply);
    }
    var more = el("button", null, "⋯");
    more.type = "button";
    more.title = "More actions";
    more.setAttribute("aria-label", "More actions");
    more.addEventListener("click", function (ev) {
      ev.stopPropagation();
      closeMenus();
      var menu = el("div", "msg-menu");
      var b = el("button");
      b.type = "button";
      b.appendChild(el("span", null, "Scope this as a platform ask"));
      b.appendChild(el("small", null, "Platform Intake · message shortcut"));
      b.addEventListener("click", function () {
        closeMenus();
        post("shortcut", { message_ts: m.ts });
      });
      menu.appendChild(b);
      tools.classList.add("open");
      tools.parentNode.appendChild(menu);
      S.openMenu = function () { menu.remove(); tools.classList.remove("open"); };
    });
    tools.appendChild(more);
    return tools;
  }

  function closeMenus() {
    if (S.openMenu) { S.openMenu(); S.openMenu = null; }
  }

  function openThread(ts) {
    var w = where();
    w.thread = ts;
    S.drawn.thread = null;
    poll(true);
    setTimeout(function () { $("thread-input").focus(); }, 50);
  }

  function drawThread() {
    var w = where(), snap = S.snap, pane = $("thread");
    var open = !!w.thread && !(isAppChannel(w.channel) && w.tab === "home");
    pane.classList.toggle("hidden", !open);
    if (!open || snap.thread_ts !== w.thread) return;
    $("thread-where").textContent = isAppChannel(w.channel) ? snap.bot.name : "#" + channelName(w.channel);
    var visible = (snap.thread || []).filter(function (m) { return !S.hidden[m.ts]; });
    if (!changed("thread", [S.me, w.channel, w.thread, visible, today()])) return;
    var box = $("thread-messages");
    var atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
    clear(box);
    drawMessages(box, visible, true);
    if (atBottom || S.scrollThread) box.scrollTop = box.scrollHeight;
    S.scrollThread = false;
  }

  function drawHome() {
    var box = clear($("home"));
    var view = S.snap.home;
    if (!view) {
      box.appendChild(el("div", "empty", "Opening the Home tab…"));
      return;
    }
    box.appendChild(renderBlocks(view.blocks || [], { kind: "view", viewId: view.id }));
  }

  // -- Block Kit ---------------------------------------------------------------------------------

  function renderBlocks(blocks, ctx) {
    var wrap = el("div", "blocks");
    blocks.forEach(function (b) {
      var node = renderBlock(b, ctx);
      if (node) wrap.appendChild(node);
    });
    return wrap;
  }

  function renderBlock(b, ctx) {
    var node;
    switch (b.type) {
      case "section":
        node = el("div", "bk-section");
        var main = el("div", "bk-section-main");
        if (b.text) main.appendChild(textObj(b.text));
        if (b.fields && b.fields.length) {
          var grid = el("div", "bk-fields");
          b.fields.forEach(function (f) { grid.appendChild(el("div")).appendChild(textObj(f)); });
          main.appendChild(grid);
        }
        node.appendChild(main);
        if (b.accessory) {
          var acc = el("div", "bk-accessory");
          acc.appendChild(renderElement(b.accessory, b, ctx));
          node.appendChild(acc);
        }
        return node;
      case "header":
        return el("div", "bk-header", plainOf(b.text));
      case "context":
        node = el("div", "bk-context");
        (b.elements || []).forEach(function (e) {
          if (e.type === "image") node.appendChild(image(e.image_url, e.alt_text));
          else node.appendChild(textObj(e));
        });
        return node;
      case "divider":
        return el("hr", "bk-divider");
      case "image":
        node = el("div", "bk-image");
        if (b.title) node.appendChild(el("div", "bk-image-title", plainOf(b.title)));
        node.appendChild(image(b.image_url, b.alt_text));
        return node;
      case "actions":
        node = el("div", "bk-actions");
        (b.elements || []).forEach(function (e) { node.appendChild(renderElement(e, b, ctx)); });
        return node;
      case "input":
        return renderInput(b, ctx);
      case "markdown":
        return mrkdwn(String(b.text || "").replace(/\*\*(.+?)\*\*/g, "*$1*"));
      case "rich_text":
        return richText(b);
      default:
        return el("div", "bk-unknown", "[" + b.type + " block]");
    }
  }

  function image(url, alt) {
    var img = el("img");
    if (/^(https?:|data:image\/)/i.test(url || "")) img.src = url;
    img.alt = alt || "";
    img.loading = "lazy";
    return img;
  }

  function richText(b) {
    var out = el("div", "rich");
    (b.elements || []).forEach(function (sec) {
      var box = el(sec.type === "rich_text_preformatted" ? "pre" : sec.type === "rich_text_quote" ? "blockquote" : "div");
      var items = sec.type === "rich_text_list" ? sec.elements : [sec];
      items.forEach(function (item) {
        var line = el(sec.type === "rich_text_list" ? "div" : "span");
        if (sec.type === "rich_text_list") line.appendChild(el("span", null, "• "));
        (item.elements || []).forEach(function (e) {
          var n;
          if (e.type === "text") {
            n = el(e.style && e.style.code ? "code" : "span", null, e.text);
            if (e.style && e.style.bold) n = wrapIn("strong", n);
            if (e.style && e.style.italic) n = wrapIn("em", n);
          } else if (e.type === "user") n = el("span", "mention", "@" + handle(e.user_id));
          else if (e.type === "channel") n = el("span", "mention", "#" + channelName(e.channel_id));
          else if (e.type === "emoji") n = Mrkdwn.emojiDom(e.name, document);
          else if (e.type === "link") {
            n = el("a", null, e.text || e.url);
            if (/^https?:/i.test(e.url)) n.href = e.url;
            n.target = "_blank";
            n.rel = "noopener noreferrer";
          } else n = el("span", null, e.text || "");
          line.appendChild(n);
        });
        box.appendChild(line);
      });
      out.appendChild(box);
    });
    return out;
  }

  function wrapIn(tag, child) {
    var w = el(tag);
    w.appendChild(child);
    return w;
  }

  function actionBody(e, block, ctx, value) {
    var body = { action_id: e.action_id, block_id: block.block_id, value: value };
    if (ctx.kind === "message") body.message_ts = ctx.ts;
    else body.view_id = ctx.viewId;
    if (ctx.kind === "modal") body.inputs = formValues();
    return body;
  }

  function act(e, block, ctx, value, control) {
    var go = function () {
      if (control) control.disabled = true;
      post("act", actionBody(e, block, ctx, value)).then(function () {
        if (control) control.disabled = false;
      });
    };
    if (e.confirm) confirmThen(e.confirm, go);
    else go();
  }

  function userOptions(select, placeholder, selected) {
    var ph = el("option", null, placeholder || "Choose a person");
    ph.value = "";
    select.appendChild(ph);
    S.snap.users.forEach(function (u) {
      if (u.id === S.snap.bot.id) return;
      var o = el("option", null, u.real_name + " (@" + u.name + ")");
      o.value = u.id;
      if (u.id === selected) o.selected = true;
      select.appendChild(o);
    });
  }

  function staticOptions(select, e, selected) {
    var ph = el("option", null, plainOf(e.placeholder) || "Select an option");
    ph.value = "";
    select.appendChild(ph);
    var add = function (parent, o) {
      var opt = el("option", null, plainOf(o.text));
      opt.value = o.value;
      if (o.value === selected) opt.selected = true;
      parent.appendChild(opt);
    };
    (e.options || []).forEach(function (o) { add(select, o); });
    (e.option_groups || []).forEach(function (g) {
      var grp = el("optgroup");
      grp.label = plainOf(g.label);
      (g.options || []).forEach(function (o) { add(grp, o); });
      select.appendChild(grp);
    });
  }

  // An interactive element outside an input block: every choice is a block_actions request.
  function renderElement(e, block, ctx) {
    var node;
    switch (e.type) {
      case "button":
        node = el("button", "bk-btn" + (e.style ? " " + e.style : ""), plainOf(e.text));
        node.type = "button";
        node.dataset.actionId = e.action_id;
        node.addEventListener("click", function () {
          if (e.url && /^https?:/i.test(e.url)) window.open(e.url, "_blank", "noopener");
          act(e, block, ctx, e.value, node);
        });
        return node;
      case "static_select":
      case "users_select":
      case "conversations_select":
      case "channels_select":
        node = el("select", "bk-select");
        node.dataset.actionId = e.action_id;
        if (e.type === "static_select") staticOptions(node, e, e.initial_option && e.initial_option.value);
        else if (e.type === "users_select") userOptions(node, plainOf(e.placeholder), e.initial_user);
        else channelOptions(node, e.initial_channel || e.initial_conversation);
        node.addEventListener("change", function () {
          if (node.value) act(e, block, ctx, node.value, node);
        });
        return node;
      case "datepicker":
        node = el("input", "bk-date");
        node.type = "date";
        node.dataset.actionId = e.action_id;
        if (e.initial_date) node.value = e.initial_date;
        node.addEventListener("change", function () { if (node.value) act(e, block, ctx, node.value, node); });
        return datePicker(node);
      case "timepicker":
        node = el("input", "bk-date");
        node.type = "time";
        if (e.initial_time) node.value = e.initial_time;
        node.addEventListener("change", function () { if (node.value) act(e, block, ctx, node.value, node); });
        return node;
      case "overflow":
        return overflow(e, block, ctx);
      case "checkboxes":
      case "radio_buttons":
        return choices(e, function (value) { act(e, block, ctx, value); });
      case "image":
        return image(e.image_url, e.alt_text);
      default:
        return el("span", "bk-unknown", "[" + e.type + "]");
    }
  }

  function channelOptions(select, selected) {
    var ph = el("option", null, "Choose a channel");
    ph.value = "";
    select.appendChild(ph);
    S.snap.channels.forEach(function (c) {
      if (c.kind !== "channel") return;
      var o = el("option", null, "#" + c.name);
      o.value = c.id;
      if (c.id === selected) o.selected = true;
      select.appendChild(o);
    });
  }

  function overflow(e, block, ctx) {
    var wrap = el("span", "bk-overflow");
    var b = el("button", "bk-btn", "⋯");
    b.type = "button";
    b.setAttribute("aria-label", "More options");
    b.dataset.actionId = e.action_id;
    b.addEventListener("click", function (ev) {
      ev.stopPropagation();
      closeMenus();
      var menu = el("div", "bk-overflow-menu");
      (e.options || []).forEach(function (o) {
        var item = el("button", null, plainOf(o.text));
        item.type = "button";
        item.addEventListener("click", function () {
          closeMenus();
          act(e, block, ctx, o.value);
        });
        menu.appendChild(item);
      });
      wrap.appendChild(menu);
      S.openMenu = function () { menu.remove(); };
    });
    wrap.appendChild(b);
    return wrap;
  }

  function choices(e, onChange, initial) {
    var multi = e.type === "checkboxes";
    var box = el("div", "bk-choices");
    var name = "c" + Math.random().toString(36).slice(2);
    var start = initial;
    if (start === undefined) {
      start = multi ? (e.initial_options || []).map(function (o) { return o.value; })
        : (e.initial_option ? e.initial_option.value : null);
    }
    (e.options || []).forEach(function (o) {
      var label = el("label", "bk-choice");
      var input = el("input");
      input.type = multi ? "checkbox" : "radio";
      input.name = name;
      input.value = o.value;
      input.checked = multi ? start.indexOf(o.value) >= 0 : start === o.value;
      input.addEventListener("change", function () {
        if (multi) {
          var chosen = [];
          box.querySelectorAll("input").forEach(function (i) { if (i.checked) chosen.push(i.value); });
          onChange(chosen);
        } else {
          onChange(o.value);
        }
      });
      label.appendChild(input);
      var text = el("span");
      text.appendChild(textObj(o.text));
      if (o.description) text.appendChild(el("small")).appendChild(textObj(o.description));
      label.appendChild(text);
      box.appendChild(label);
    });
    return box;
  }

  // -- modal ------------------------------------------------------------------------------------

  function initialValue(e) {
    if (!e) return null;
    if ("initial_value" in e) return e.initial_value;
    if ("initial_date" in e) return e.initial_date;
    if ("initial_user" in e) return e.initial_user;
    if ("initial_time" in e) return e.initial_time;
    if ("initial_channel" in e) return e.initial_channel;
    if ("initial_conversation" in e) return e.initial_conversation;
    if ("initial_option" in e) return e.initial_option.value;
    if ("initial_options" in e) return e.initial_options.map(function (o) { return o.value; });
    if ("initial_users" in e) return e.initial_users.slice();
    return null;
  }

  function formValues() {
    var out = {};
    for (var k in S.form) out[k] = S.form[k];
    return out;
  }

  function renderInput(b, ctx) {
    var e = b.element || {};
    var bid = b.block_id;
    var box = el("div", "bk-input" + (S.formErrors[bid] ? " has-error" : ""));
    box.dataset.blockId = bid;
    var label = el("label", "bk-label", plainOf(b.label));
    var id = "in-" + bid.replace(/[^\w-]/g, "_");
    label.htmlFor = id;
    if (b.optional) label.appendChild(el("span", "bk-optional", " (optional)"));
    box.appendChild(label);
    var inModal = ctx.kind === "modal";
    if (inModal && !(bid in S.form)) S.form[bid] = initialValue(e);
    var current = inModal ? S.form[bid] : initialValue(e);
    var set = function (v) { if (inModal) S.form[bid] = v; };
    var control;
    switch (e.type) {
      case "plain_text_input":
      case "email_text_input":
      case "url_text_input":
      case "number_input":
        control = el(e.multiline ? "textarea" : "input", "bk-text");
        if (!e.multiline) control.type = e.type === "number_input" ? "number" : e.type === "email_text_input" ? "email" : e.type === "url_text_input" ? "url" : "text";
        if (e.max_length) control.maxLength = e.max_length;
        if (e.placeholder) control.placeholder = plainOf(e.placeholder);
        control.value = current == null ? "" : String(current);
        control.addEventListener("input", function () { set(control.value); });
        break;
      case "static_select":
      case "external_select":
        control = el("select", "bk-select");
        staticOptions(control, e, current);
        control.addEventListener("change", function () { set(control.value || null); });
        break;
      case "users_select":
        control = el("select", "bk-select");
        userOptions(control, plainOf(e.placeholder), current);
        control.addEventListener("change", function () { set(control.value || null); });
        break;
      case "conversations_select":
      case "channels_select":
        control = el("select", "bk-select");
        channelOptions(control, current);
        control.addEventListener("change", function () { set(control.value || null); });
        break;
      case "multi_static_select":
      case "multi_users_select":
        control = chips(e, current || [], set);
        break;
      case "datepicker":
      case "timepicker":
        control = el("input", "bk-date");
        control.type = e.type === "datepicker" ? "date" : "time";
        control.value = current || "";
        control.addEventListener("change", function () { set(control.value || null); });
        break;
      case "checkboxes":
      case "radio_buttons":
        control = choices(e, set, current == null ? (e.type === "checkboxes" ? [] : null) : current);
        break;
      default:
        control = el("div", "bk-unknown", "[" + e.type + " input]");
    }
    control.id = id;
    control.dataset.blockId = bid;
    box.appendChild(e.type === "datepicker" ? datePicker(control) : control);
    if (b.hint) box.appendChild(el("div", "bk-hint", plainOf(b.hint)));
    if (S.formErrors[bid]) box.appendChild(el("div", "bk-error", S.formErrors[bid]));
    return box;
  }

  // A datepicker shows its date the way the bot writes calendar dates ("Tue 8 Dec 2026"), not
  // in the browser's locale form (12/08/2026); the native date input, laid transparently over
  // the text, still does the picking (and holds the value the tests and the form read).
  function datePicker(input) {
    var box = el("span", "bk-datepicker");
    var shown = el("span", "bk-date-text");
    var draw = function () {
      shown.textContent = Mrkdwn.calendarDate(input.value) || "Select a date";
      box.classList.toggle("is-empty", !input.value);
    };
    input.addEventListener("input", draw);
    input.addEventListener("change", draw);
    input.addEventListener("click", function () {
      try { if (input.showPicker) input.showPicker(); } catch (err) { /* only on a user click */ }
    });
    draw();
    box.appendChild(shown);
    box.appendChild(input);
    return box;
  }

  function chips(e, current, set) {
    var box = el("div", "bk-chips");
    var chosen = current.slice();
    var options = e.type === "multi_users_select"
      ? S.snap.users.filter(function (u) { return u.id !== S.snap.bot.id; }).map(function (u) {
        return { value: u.id, label: u.real_name };
      })
      : (e.options || []).map(function (o) { return { value: o.value, label: plainOf(o.text) }; });
    options.forEach(function (o) {
      var chip = el("button", "bk-chip", o.label);
      chip.type = "button";
      chip.setAttribute("aria-pressed", String(chosen.indexOf(o.value) >= 0));
      chip.addEventListener("click", function () {
        var i = chosen.indexOf(o.value);
        if (i >= 0) chosen.splice(i, 1); else chosen.push(o.value);
        chip.setAttribute("aria-pressed", String(i < 0));
        set(chosen.slice());
      });
      box.appendChild(chip);
    });
    return box;
  }

  function drawModal() {
    var view = S.snap.modal;
    var overlay = $("modal-overlay");
    if (!view) {
      overlay.classList.add("hidden");
      S.modalKey = null;
      S.form = {};
      S.formErrors = {};
      return;
    }
    var key = view.id + ":" + view.hash;
    if (key === S.modalKey) return;
    if (!S.modalKey || S.modalKey.split(":")[0] !== view.id) {
      S.form = {};
      S.formErrors = {};
    } else {
      // views.update: what the person typed stays where the block is still there (as in Slack)
      var kept = {};
      (view.blocks || []).forEach(function (b) {
        if (b.type === "input" && b.block_id in S.form) kept[b.block_id] = S.form[b.block_id];
      });
      S.form = kept;
    }
    S.modalKey = key;
    renderModal(view);
    overlay.classList.remove("hidden");
  }

  function renderModal(view) {
    var modal = clear($("modal"));
    var head = el("div", "modal-head");
    head.appendChild(avatar(S.snap.bot.id, "small"));
    head.appendChild(el("div", "modal-title", plainOf(view.title)));
    var x = el("button", "icon-btn", "✕");
    x.type = "button";
    x.setAttribute("aria-label", "Close");
    x.addEventListener("click", function () { closeModal(view); });
    head.appendChild(x);
    modal.appendChild(head);
    modal.setAttribute("aria-label", plainOf(view.title));
    var body = el("div", "modal-body");
    body.appendChild(renderBlocks(view.blocks || [], { kind: "modal", viewId: view.id }));
    modal.appendChild(body);
    var foot = el("div", "modal-foot");
    var cancel = el("button", "bk-btn", plainOf(view.close) || "Cancel");
    cancel.type = "button";
    cancel.dataset.testid = "modal-cancel";
    cancel.addEventListener("click", function () { closeModal(view); });
    foot.appendChild(cancel);
    if (view.submit) {
      var submit = el("button", "bk-btn primary", plainOf(view.submit));
      submit.type = "button";
      submit.dataset.testid = "modal-submit";
      submit.addEventListener("click", function () { submitModal(view, submit); });
      foot.appendChild(submit);
    }
    modal.appendChild(foot);
  }

  function redrawModal() {
    var view = S.snap && S.snap.modal;
    if (view) renderModal(view);
  }

  function submitModal(view, button) {
    button.disabled = true;
    post("submit", { view_id: view.id, inputs: formValues() }).then(function (r) {
      button.disabled = false;
      if (r.errors) {
        S.formErrors = r.errors;
        redrawModal();
      } else {
        S.formErrors = {};
      }
    });
  }

  function closeModal(view) {
    post("close", { view_id: view.id });
  }

  function confirmThen(c, go) {
    var box = clear($("confirm")), overlay = $("confirm-overlay");
    var head = el("div", "modal-head");
    head.appendChild(el("div", "modal-title", plainOf(c.title) || "Are you sure?"));
    box.appendChild(head);
    var body = el("div", "modal-body");
    body.appendChild(textObj(c.text));
    box.appendChild(body);
    var foot = el("div", "modal-foot");
    var no = el("button", "bk-btn", plainOf(c.deny) || "Cancel");
    no.type = "button";
    no.addEventListener("click", function () { overlay.classList.add("hidden"); });
    var yes = el("button", "bk-btn " + (c.style === "danger" ? "danger" : "primary"), plainOf(c.confirm) || "Yes");
    yes.type = "button";
    yes.addEventListener("click", function () { overlay.classList.add("hidden"); go(); });
    foot.appendChild(no);
    foot.appendChild(yes);
    box.appendChild(foot);
    overlay.classList.remove("hidden");
  }

  // -- the Web API log ----------------------------------------------------------------------------

  function drawLog() {
    var log = S.snap.log;
    var fresh = log.calls.filter(function (c) { return c.n > S.logAfter; });
    if (fresh.length) {
      S.calls = S.calls.concat(fresh).slice(-600);
      S.logAfter = fresh[fresh.length - 1].n;
    }
    if (!S.logOpen) return;
    if (changed("violations", log.violations)) {
      var vbox = clear($("violations"));
      log.violations.forEach(function (v) {
        var d = el("div", "violation");
        d.appendChild(el("span", null, "Slack would reject this: "));
        d.appendChild(el("b", null, v.method));
        d.appendChild(el("span", null, " · " + v.reason + (v.at ? " · " + fmt(v.at, { hour: "2-digit", minute: "2-digit", second: "2-digit" }) : "")));
        vbox.appendChild(d);
      });
    }
    if (!changed("calls", [S.calls.length, S.onlyBad, S.logAfter, S.me])) return;
    var tbody = clear($("calls"));
    S.calls.slice().reverse().forEach(function (c) {
      if (S.onlyBad && c.ok) return;
      var tr = el("tr", "call" + (c.status === 429 ? " limited" : c.ok ? "" : " bad"));
      tr.appendChild(el("td", null, String(c.n + 1)));
      tr.appendChild(el("td", "when", fmt(c.at, { hour: "2-digit", minute: "2-digit", second: "2-digit" })));
      tr.appendChild(el("td", "method", c.method));
      tr.appendChild(el("td", null, c.channel ? (c.channel.charAt(0) === "C" ? "#" + channelName(c.channel) : c.channel.charAt(0) === "D" ? "DM " + userName(c.channel.slice(1)) : userName(c.channel)) : ""));
      tr.appendChild(el("td", null, c.summary));
      var ans = el("td");
      if (c.ok) ans.appendChild(el("span", "answer-ok", "ok"));
      else {
        ans.appendChild(el("span", "answer-bad", (c.status === 429 ? "429 " : "") + (c.error || "error") +
          (c.retry_after != null ? " · Retry-After " + c.retry_after + " s" : "")));
        if (c.reasons && c.reasons.length) {
          var ul = el("ul", "reasons");
          c.reasons.forEach(function (r) { ul.appendChild(el("li", null, r)); });
          ans.appendChild(ul);
        }
      }
      tr.appendChild(ans);
      tr.addEventListener("click", function () { toggleDetail(tr, c.n); });
      tbody.appendChild(tr);
    });
  }

  function toggleDetail(tr, n) {
    var next = tr.nextSibling;
    if (next && next.classList.contains("call-detail")) { next.remove(); return; }
    fetch("/api/calls/" + n).then(function (r) { return r.json(); }).then(function (d) {
      var row = el("tr", "call-detail");
      var td = el("td");
      td.colSpan = 6;
      td.appendChild(el("div", null, "Arguments"));
      td.appendChild(el("pre", null, JSON.stringify(d.args, null, 2)));
      td.appendChild(el("div", null, "Answer (HTTP " + d.status + ")"));
      td.appendChild(el("pre", null, JSON.stringify(d.response, null, 2)));
      row.appendChild(td);
      tr.parentNode.insertBefore(row, tr.nextSibling);
    });
  }

  // -- composer, controls -----------------------------------------------------------------------

  function wireComposer(form, input, inThread) {
    var grow = function () {
      input.style.height = "auto";
      input.style.height = Math.min(input.scrollHeight, 160) + "px";
    };
    input.addEventListener("input", grow);
    input.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
        ev.preventDefault();
        form.requestSubmit();
      }
    });
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var text = input.value.trim();
      if (!text) return;
      var w = where();
      input.value = "";
      grow();
      if (inThread) S.scrollThread = true; else S.scrollDown = true;
      post("send", { channel: w.channel, text: text, thread_ts: inThread ? w.thread : null })
        .then(function (r) {
          if (r.ok === false && !input.value) input.value = text;
        });
    });
  }

  function jump(to, button) {
    button.disabled = true;
    var label = button.textContent;
    button.textContent = "⏳ running the scheduler…";
    post("jump", { to: to }).then(function (r) {
      button.disabled = false;
      button.textContent = label;
      if (!r.jump) return;
      var j = r.jump;
      var parts = [];
      if (j.nudges) parts.push(j.nudges + " nudge" + (j.nudges > 1 ? "s" : ""));
      if (j.progress) parts.push(j.progress + " progress repl" + (j.progress > 1 ? "ies" : "y"));
      if (j.digests) parts.push(j.digests + " digest" + (j.digests > 1 ? "s" : ""));
      if (j.completed) parts.push(j.completed + " ask(s) completed");
      var end = new Date(j.end).getTime() / 1000;
      toast("Clock moved to " + fmt(end, { weekday: "long", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" }) +
        " (" + cityOf(myTz()) + "). The scheduler ran " + j.ticks + "×: " +
        (parts.length ? parts.join(", ") : "nothing was due") + "; " + j.sent + " message(s) sent.");
    });
  }

  function init() {
    // A link from the GitHub page (/?as=U…&channel=D…&thread=ts) opens that thread as that person.
    var q = new URLSearchParams(location.search);
    if (/^U[A-Z0-9]+$/.test(q.get("as") || "")) { S.me = q.get("as"); localStorage.setItem("sandbox.me", S.me); }
    if (/^[CD][A-Z0-9]+$/.test(q.get("channel") || "")) {
      S.where[S.me] = { channel: q.get("channel"), tab: "messages", thread: q.get("thread") || null };
    }
    wireComposer($("composer"), $("composer-input"), false);
    wireComposer($("thread-composer"), $("thread-input"), true);
    $("thread-close").addEventListener("click", function () { where().thread = null; S.drawn = {}; poll(true); draw(); });
    $("tab-home").addEventListener("click", function () {
      where().tab = "home";
      S.drawn = {};
      post("home");
      draw();
    });
    $("tab-messages").addEventListener("click", function () { where().tab = "messages"; S.drawn = {}; draw(); });
    $("jump-monday").addEventListener("click", function () { jump("monday", $("jump-monday")); });
    $("jump-day").addEventListener("click", function () { jump("day", $("jump-day")); });
    $("person-current").addEventListener("click", function (ev) {
      ev.stopPropagation();
      var menu = $("person-menu");
      menu.classList.toggle("hidden");
      $("person-current").setAttribute("aria-expanded", String(!menu.classList.contains("hidden")));
    });
    $("log-toggle").addEventListener("click", function () {
      S.logOpen = !S.logOpen;
      $("log").classList.toggle("hidden", !S.logOpen);
      $("log-toggle").setAttribute("aria-expanded", String(S.logOpen));
      S.drawn.calls = null;
      S.drawn.violations = null;
      if (S.snap) drawLog();
    });
    $("log-close").addEventListener("click", function () { $("log-toggle").click(); });
    $("log-only-bad").addEventListener("change", function () { S.onlyBad = $("log-only-bad").checked; if (S.snap) drawLog(); });
    document.addEventListener("click", function () {
      closeMenus();
      $("person-menu").classList.add("hidden");
    });
    document.addEventListener("keydown", function (ev) {
      if (ev.key === "Escape") {
        closeMenus();
        if (S.snap && S.snap.modal && !$("modal-overlay").classList.contains("hidden")) closeModal(S.snap.modal);
      }
    });
    loop();
  }

  // The page's own hooks for tests and for people poking at it from the console.
  window.Sandbox = { state: S, poll: poll, switchTo: switchTo, openChannel: openChannel };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
