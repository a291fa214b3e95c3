/* Slack mrkdwn -> a small tree -> DOM nodes. Never HTML strings: text only ever reaches the page
 * as text nodes, so nothing a person (or the bot) writes can inject markup.
 *
 * Slack's rules, as far as the bot uses them: &amp; &lt; &gt; are the escapes of & < >;
 * <https://x|label> links, <@U123> user mentions, <#C123|name> channel mentions, <!here>;
 * *bold*, _italic_, ~strike~, `code`, ```preformatted```, "> " quotes, :emoji: shortcodes.
 *
 * parse(text) -> [node]: node is a string (text) or {t: "b"|"i"|"s"|"code"|"pre"|"quote"|"br"|
 * "link"|"user"|"channel"|"special"|"emoji", c: [node], ...}. Works in the browser (window.Mrkdwn)
 * and in node (module.exports), where the tests run it.
 */
(function (root) {
  "use strict";

  var EMOJI = {
    white_check_mark: "\u2705", tada: "\uD83C\uDF89", warning: "\u26A0\uFE0F",
    inbox_tray: "\uD83D\uDCE5", wastebasket: "\uD83D\uDDD1\uFE0F", question: "\u2753",
    mag: "\uD83D\uDD0D", no_entry_sign: "\uD83D\uDEAB", leftwards_arrow_with_hook: "\u21A9\uFE0F",
    hammer_and_wrench: "\uD83D\uDEE0\uFE0F", wave: "\uD83D\uDC4B", pencil2: "\u270F\uFE0F",
    handshake: "\uD83E\uDD1D", calendar: "\uD83D\uDCC5", zzz: "\uD83D\uDCA4",
    white_large_square: "\u2B1C", white_circle: "\u26AA", red_circle: "\uD83D\uDD34",
    large_yellow_circle: "\uD83D\uDFE1", large_green_circle: "\uD83D\uDFE2", new: "\uD83C\uDD95",
    hourglass_flowing_sand: "\u23F3", heavy_plus_sign: "\u2795", heavy_minus_sign: "\u2796",
    bust_in_silhouette: "\uD83D\uDC64", bulb: "\uD83D\uDCA1", arrows_counterclockwise: "\uD83D\uDD04",
    alarm_clock: "\u23F0", eyes: "\uD83D\uDC40", thumbsup: "\uD83D\uDC4D", "+1": "\uD83D\uDC4D",
    x: "\u274C", heavy_check_mark: "\u2714\uFE0F", rocket: "\uD83D\uDE80", fire: "\uD83D\uDD25",
    memo: "\uD83D\uDCDD", clipboard: "\uD83D\uDCCB", pushpin: "\uD83D\uDCCC", link: "\uD83D\uDD17",
    speech_balloon: "\uD83D\uDCAC", thinking_face: "\uD83E\uDD14", hourglass: "\u231B",
    construction: "\uD83D\uDEA7", bell: "\uD83D\uDD14", star: "\u2B50", sparkles: "\u2728",
    information_source: "\u2139\uFE0F", arrow_right: "\u27A1\uFE0F", chart_with_upwards_trend: "\uD83D\uDCC8",
    package: "\uD83D\uDCE6", lock: "\uD83D\uDD12", key: "\uD83D\uDD11", gear: "\u2699\uFE0F",
    white_circle_small: "\u25E6", black_circle: "\u26AB", large_blue_circle: "\uD83D\uDD35",
    checkered_flag: "\uD83C\uDFC1", spiral_calendar_pad: "\uD83D\uDDD3\uFE0F", date: "\uD83D\uDCC5",
    busts_in_silhouette: "\uD83D\uDC65", raising_hand: "\uD83D\uDE4B", point_right: "\uD83D\uDC49",
    repeat: "\uD83D\uDD01", stopwatch: "\u23F1\uFE0F", calendar_spiral: "\uD83D\uDDD3\uFE0F"
  };

  var OPEN = "\uE000", CLOSE = "\uE001"; // placeholders for tokens cut out before formatting
  var SAFE_URL = /^(https?:\/\/|mailto:)/i;

  function decode(text) {
    // Slack's three escapes, once; "&amp;lt;" stays the literal "&lt;".
    return text.replace(/&(amp|lt|gt);/g, function (_, name) {
      return name === "amp" ? "&" : name === "lt" ? "<" : ">";
    });
  }

  function special(body) {
    var bar = body.indexOf("|");
    var target = bar >= 0 ? body.slice(0, bar) : body;
    var label = bar >= 0 ? body.slice(bar + 1) : null;
    if (target.charAt(0) === "@") return { t: "user", id: target.slice(1), label: label };
    if (target.charAt(0) === "#") return { t: "channel", id: target.slice(1), label: label };
    if (target.charAt(0) === "!") {
      var word = target.slice(1);
      if (word.indexOf("subteam^") === 0) return { t: "special", text: label || "@group" };
      if (word.indexOf("date^") === 0) {
        var parts = word.split("^");
        return { t: "date", epoch: Number(parts[1]), format: parts[2] || "", fallback: label || "" };
      }
      return { t: "special", text: "@" + word.split("^")[0] };
    }
    var url = decode(target);
    if (SAFE_URL.test(url)) return { t: "link", href: url, c: [decode(label || target)] };
    return decode("<" + body + ">"); // not a link Slack would make: shown as typed
  }

  // Formatting marks: the opening mark follows a start, space or punctuation and precedes a
  // non-space; the closing one follows a non-space and is not followed by a word character.
  var MARKS = [
    { t: "b", re: /(^|[^\w*])\*(?=\S)([^*\n]*?\S)\*(?![\w*])/ },
    { t: "i", re: /(^|[^\w_])_(?=\S)([^_\n]*?\S)_(?![\w_])/ },
    { t: "s", re: /(^|[^\w~])~(?=\S)([^~\n]*?\S)~(?![\w~])/ }
  ];

  function format(text, tokens) {
    var best = null;
    for (var k = 0; k < MARKS.length; k++) {
      var m = MARKS[k].re.exec(text);
      if (m && (best === null || m.index + m[1].length < best.start)) {
        best = { t: MARKS[k].t, start: m.index + m[1].length, end: m.index + m[0].length, inner: m[2] };
      }
    }
    if (best === null) return plainText(text, tokens);
    var out = plainText(text.slice(0, best.start), tokens);
    out.push({ t: best.t, c: format(best.inner, tokens) });
    return out.concat(format(text.slice(best.end), tokens));
  }

  function plainText(text, tokens) {
    // Put the cut-out tokens back; turn :emoji: into characters; decode the escapes.
    var out = [];
    var re = new RegExp(OPEN + "(\\d+)" + CLOSE, "g");
    var last = 0, m;
    while ((m = re.exec(text)) !== null) {
      pushText(out, text.slice(last, m.index));
      out.push(tokens[Number(m[1])]);
      last = re.lastIndex;
    }
    pushText(out, text.slice(last));
    return out;
  }

  function pushText(out, text) {
    if (!text) return;
    var re = /:([a-z0-9_+-]+):/g, last = 0, m;
    while ((m = re.exec(text)) !== null) {
      if (Object.prototype.hasOwnProperty.call(EMOJI, m[1])) {
        if (m.index > last) out.push(decode(text.slice(last, m.index)));
        out.push({ t: "emoji", name: m[1], text: EMOJI[m[1]] });
        last = re.lastIndex;
      }
    }
    if (last < text.length) out.push(decode(text.slice(last)));
  }

  function inline(text) {
    var tokens = [];
    function cut(node) {
      tokens.push(node);
      return OPEN + (tokens.length - 1) + CLOSE;
    }
    text = text.replace(/`([^`\n]+)`/g, function (_, code) {
      return cut({ t: "code", c: [decode(code)] });
    });
    text = text.replace(/<([^<>\n]+)>/g, function (_, body) {
      return cut(special(body));
    });
    return format(text, tokens);
  }

  function lines(text) {
    var out = [];
    var rows = text.split("\n");
    var quote = null;
    for (var r = 0; r < rows.length; r++) {
      var row = rows[r];
      var q = /^(?:&gt;|>) ?(.*)$/.exec(row);
      if (q) {
        if (quote === null) {
          quote = { t: "quote", c: [] };
          out.push(quote);
        } else {
          quote.c.push({ t: "br" });
        }
        quote.c = quote.c.concat(inline(q[1]));
        continue;
      }
      if (quote !== null) {
        quote = null;
      } else if (r > 0) {
        out.push({ t: "br" });
      }
      out = out.concat(inline(row));
    }
    return out;
  }

  function parse(text) {
    text = String(text == null ? "" : text);
    var out = [];
    var parts = text.split("```");
    for (var p = 0; p < parts.length; p++) {
      var part = parts[p];
      if (p % 2 === 1 && p < parts.length - 1) {
        out.push({ t: "pre", c: [decode(part.replace(/^\n/, "").replace(/\n$/, ""))] });
      } else {
        if (p % 2 === 1) part = "```" + part; // an unclosed fence is text
        if (p > 0) part = part.replace(/^\n/, "");
        if (p < parts.length - 1) part = part.replace(/\n$/, "");
        if (part) out = out.concat(lines(part));
      }
    }
    return out;
  }

  // -- <!date^epoch^format|fallback> ----------------------------------------------------------

  function ordinal(n) {
    var s = ["th", "st", "nd", "rd"], v = n % 100;
    return n + (s[(v - 20) % 10] || s[v] || s[0]);
  }

  function parts(epoch, tz) {
    var f = new Intl.DateTimeFormat("en-US", {
      timeZone: tz, year: "numeric", month: "long", day: "numeric", weekday: "long",
      hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23"
    });
    var out = {};
    f.formatToParts(new Date(epoch * 1000)).forEach(function (p) { out[p.type] = p.value; });
    return out;
  }

  // What Slack shows for a date token, in the reader's time zone ``tz`` (``now``: for "today").
  function formatDate(epoch, format, tz, now) {
    if (!isFinite(epoch)) return null;
    var p = parts(epoch, tz || "UTC");
    var month = p.month, short = month.slice(0, 3), day = Number(p.day);
    var num = function (e) {
      var q = {};
      new Intl.DateTimeFormat("en-US", {
        timeZone: tz || "UTC", year: "numeric", month: "2-digit", day: "2-digit"
      }).formatToParts(new Date(e * 1000)).forEach(function (x) { q[x.type] = x.value; });
      return q.year + "-" + q.month + "-" + q.day;
    };
    var pretty = function (plain) {
      if (now == null) return plain;
      var d = num(epoch);
      if (d === num(now)) return "today";
      if (d === num(now - 86400)) return "yesterday";
      if (d === num(now + 86400)) return "tomorrow";
      return plain;
    };
    var values = {
      date_num: num(epoch),
      date: month + " " + ordinal(day) + ", " + p.year,
      date_short: short + " " + day + ", " + p.year,
      date_long: p.weekday + ", " + month + " " + ordinal(day) + ", " + p.year,
      time: p.hour + ":" + p.minute,
      time_secs: p.hour + ":" + p.minute + ":" + p.second
    };
    values.date_pretty = pretty(values.date);
    values.date_short_pretty = pretty(values.date_short);
    values.date_long_pretty = pretty(values.date_long);
    if (now != null) {
      var mins = Math.round((now - epoch) / 60);
      values.ago = mins < 1 ? "just now" : mins < 60 ? mins + " minutes ago" :
        mins < 1440 ? Math.round(mins / 60) + " hours ago" : Math.round(mins / 1440) + " days ago";
    }
    var unknown = false;
    var text = format.replace(/\{(\w+)\}/g, function (all, name) {
      if (Object.prototype.hasOwnProperty.call(values, name)) return values[name];
      unknown = true;
      return all;
    });
    return unknown ? null : text;
  }

  function dateText(n, ctx) {
    return formatDate(n.epoch, n.format, ctx.tz, ctx.now) || n.fallback;
  }

  // -- to DOM (the page) and to HTML (the tests' view of the same tree) -------------------------

  var TAGS = { b: "strong", i: "em", s: "del", code: "code", pre: "pre", quote: "blockquote" };

  function toDom(nodes, doc, ctx) {
    var frag = doc.createDocumentFragment();
    nodes.forEach(function (n) {
      frag.appendChild(nodeDom(n, doc, ctx || {}));
    });
    return frag;
  }

  function nodeDom(n, doc, ctx) {
    if (typeof n === "string") return doc.createTextNode(n);
    var el;
    switch (n.t) {
      case "br":
        return doc.createElement("br");
      case "emoji":
        el = doc.createElement("span");
        el.className = "emoji";
        el.title = ":" + n.name + ":";
        el.textContent = n.text;
        return el;
      case "link":
        el = doc.createElement("a");
        el.href = n.href;
        el.target = "_blank";
        el.rel = "noopener noreferrer";
        el.appendChild(toDom(n.c, doc, ctx));
        return el;
      case "user":
        el = doc.createElement("span");
        el.className = "mention" + (ctx.me === n.id ? " mention-me" : "");
        el.textContent = "@" + (n.label || (ctx.userName ? ctx.userName(n.id) : n.id));
        return el;
      case "channel":
        el = doc.createElement("span");
        el.className = "mention channel-mention";
        el.textContent = "#" + (n.label || (ctx.channelName ? ctx.channelName(n.id) : n.id));
        return el;
      case "special":
        el = doc.createElement("span");
        el.className = "mention";
        el.textContent = n.text;
        return el;
      case "date":
        el = doc.createElement("span");
        el.className = "date";
        el.title = n.fallback;
        el.textContent = dateText(n, ctx);
        return el;
      default:
        el = doc.createElement(TAGS[n.t] || "span");
        el.appendChild(toDom(n.c || [], doc, ctx));
        return el;
    }
  }

  function escapeHtml(s) {
    return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  }

  function toHtml(nodes, ctx) {
    ctx = ctx || {};
    return nodes.map(function (n) {
      if (typeof n === "string") return escapeHtml(n);
      switch (n.t) {
        case "br": return "<br>";
        case "emoji": return n.text;
        case "link": return '<a href="' + escapeHtml(n.href) + '">' + toHtml(n.c, ctx) + "</a>";
        case "user": return '<span class="mention">@' + escapeHtml(n.label || (ctx.userName ? ctx.userName(n.id) : n.id)) + "</span>";
        case "channel": return '<span class="mention">#' + escapeHtml(n.label || (ctx.channelName ? ctx.channelName(n.id) : n.id)) + "</span>";
        case "special": return '<span class="mention">' + escapeHtml(n.text) + "</span>";
        case "date": return escapeHtml(dateText(n, ctx));
        default:
          var tag = TAGS[n.t] || "span";
          return "<" + tag + ">" + toHtml(n.c || [], ctx) + "</" + tag + ">";
      }
    }).join("");
  }

  function emoji(text) {
    // plain_text with emoji: true shows :shortcodes: as emoji and nothing else.
    return String(text).replace(/:([a-z0-9_+-]+):/g, function (all, name) {
      return Object.prototype.hasOwnProperty.call(EMOJI, name) ? EMOJI[name] : all;
    });
  }

  var api = {
    parse: parse, toDom: toDom, toHtml: toHtml, emoji: emoji, decode: decode, formatDate: formatDate
  };
  if (typeof module === "object" && module.exports) module.exports = api;
  else root.Mrkdwn = api;
})(typeof window !== "undefined" ? window : this);
