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

  // The emoji the bot sends, drawn as small SVG (16x16) so the page needs no emoji font: a
  // machine without one would show empty boxes for the readiness and status marks. Each is a
  // list of [element, attributes]; an emoji not drawn here falls back to the character.
  var R = "#dd2e44", Y = "#ffcc4d", B = "#55acee", G = "#78b159", D = "#31373d", M = "#66757f";
  var L = "#99aab5", W = "#fff";
  function line(d, color, width) {
    return ["path", { d: d, fill: "none", stroke: color, "stroke-width": width || 2,
      "stroke-linecap": "round", "stroke-linejoin": "round" }];
  }
  function disc(r, color, x, y) {
    return ["circle", { cx: x == null ? 8 : x, cy: y == null ? 8 : y, r: r, fill: color }];
  }
  var TILE = ["rect", { x: 1, y: 1, width: 14, height: 14, rx: 3, fill: B }];
  var DRAWN = {
    white_check_mark: [["rect", { x: 1, y: 1, width: 14, height: 14, rx: 3, fill: "#3ba55c" }],
      line("M4.2 8.4l2.6 2.6 5-5.4", W, 2.2)],
    heavy_check_mark: [line("M2.5 8.5l3.5 3.5 7.5-8", D, 2.6)],
    white_large_square: [["rect", { x: 1.5, y: 1.5, width: 13, height: 13, rx: 2, fill: W,
      stroke: L, "stroke-width": 1.2 }]],
    warning: [["path", { d: "M8 1.5L15 14.2H1z", fill: "#ffac33", stroke: "#ffac33",
      "stroke-linejoin": "round", "stroke-width": 1 }], line("M8 6v3.6", D, 1.8),
      disc(1, D, 8, 12)],
    question: [line("M5.4 5.6a2.6 2.6 0 1 1 3.7 2.3c-.8.4-1.1.9-1.1 1.8v.6", R, 2.3),
      disc(1.3, R, 8, 13.4)],
    x: [line("M3.5 3.5l9 9M12.5 3.5l-9 9", R, 2.6)],
    red_circle: [disc(6.5, R)], large_yellow_circle: [disc(6.5, "#fdcb58")],
    large_green_circle: [disc(6.5, G)], large_blue_circle: [disc(6.5, B)],
    black_circle: [disc(6.5, D)],
    white_circle: [["circle", { cx: 8, cy: 8, r: 6.2, fill: W, stroke: L, "stroke-width": 1.2 }]],
    heavy_plus_sign: [line("M2.5 8h11M8 2.5v11", D, 2.6)],
    heavy_minus_sign: [line("M2.5 8h11", D, 2.6)],
    link: [["rect", { x: 1.2, y: 5.6, width: 8, height: 4.8, rx: 2.4, fill: "none", stroke: M,
      "stroke-width": 1.7, transform: "rotate(-45 5.2 8)" }],
      ["rect", { x: 6.8, y: 5.6, width: 8, height: 4.8, rx: 2.4, fill: "none", stroke: M,
        "stroke-width": 1.7, transform: "rotate(-45 10.8 8)" }]],
    no_entry_sign: [["circle", { cx: 8, cy: 8, r: 6, fill: "none", stroke: R,
      "stroke-width": 2 }], line("M3.8 3.8l8.4 8.4", R, 2)],
    inbox_tray: [["path", { d: "M1.5 9.5h4l1 2h3l1-2h4v5h-13z", fill: B }],
      line("M8 1.5v6M5.2 5l2.8 2.8L10.8 5", "#3b88c3", 1.8)],
    wastebasket: [["path", { d: "M3.5 5h9l-1 10h-7z", fill: L }],
      ["rect", { x: 2, y: 3, width: 12, height: 1.8, rx: 0.6, fill: M }],
      ["rect", { x: 6, y: 1.4, width: 4, height: 1.6, rx: 0.5, fill: M }],
      line("M6.3 7v6M9.7 7v6", M, 0.9)],
    hammer_and_wrench: [line("M3.5 13.5l7-7", L, 2), ["circle", { cx: 11.8, cy: 4.2, r: 2.3,
      fill: "none", stroke: L, "stroke-width": 1.8 }], line("M12.5 13.5l-6.5-6.5", "#c1694f", 2),
      ["path", { d: "M2 6.2l3.6-3.6 2.6 2.6-3.6 3.6z", fill: M }]],
    tada: [["path", { d: "M1.8 14.2l3.4-9.6 6.2 6.2z", fill: "#f4900c" }],
      line("M8.5 5.5c.6-1.8 2.2-2.6 3.8-2", "#aa8dd8", 1.2), disc(1, R, 11, 7.5),
      disc(1, B, 13.5, 5.5), disc(0.9, Y, 9, 2), disc(0.9, G, 14, 10)],
    pencil2: [["path", { d: "M2.5 13.5l1-3.6 7.6-7.6 2.6 2.6-7.6 7.6z", fill: Y,
      stroke: "#e09c2d", "stroke-width": 0.8, "stroke-linejoin": "round" }],
      ["path", { d: "M2.5 13.5l1-3.6 2.6 2.6z", fill: D }]],
    hourglass_flowing_sand: [["rect", { x: 3, y: 1, width: 10, height: 1.6, rx: 0.5,
      fill: "#c1694f" }], ["rect", { x: 3, y: 13.4, width: 10, height: 1.6, rx: 0.5,
      fill: "#c1694f" }], ["path", { d: "M4.5 2.6h7c0 3-3 4-3 5.4s3 2.4 3 5.4h-7c0-3 3-4 " +
      "3-5.4s-3-2.4-3-5.4z", fill: "#dbeefc", stroke: "#88c9f9", "stroke-width": 0.6 }],
      ["path", { d: "M5.6 13h4.8c0-1.2-1.4-2-2.4-2.6-1 .6-2.4 1.4-2.4 2.6z", fill: "#ffac33" }]],
    new: [["rect", { x: 0.5, y: 3, width: 15, height: 10, rx: 2, fill: "#3b88c3" }],
      line("M2.6 10.5v-5l2.4 5v-5M9 5.5H6.8v5H9M6.8 8h2M9.8 5.5l1 5 1.1-3.4 1.1 3.4 1-5",
        W, 1)],
    mag: [["circle", { cx: 6.5, cy: 6.5, r: 4.2, fill: "#bbddf5", stroke: M,
      "stroke-width": 1.8 }], line("M9.7 9.7l4.6 4.6", M, 2.4)],
    calendar: [["rect", { x: 1.5, y: 2.5, width: 13, height: 12, rx: 1.5, fill: W, stroke: L,
      "stroke-width": 1 }], ["path", { d: "M1.5 4a1.5 1.5 0 0 1 1.5-1.5h10A1.5 1.5 0 0 1 14.5 " +
      "4v2h-13z", fill: R }], line("M5 1.2v2.6M11 1.2v2.6", M, 1.4),
      line("M4 9h2M7 9h2M10 9h2M4 12h2M7 12h2", L, 1.4)],
    zzz: [line("M1.5 9.5h4l-4 5h4M8 5h3l-3 4h3M12.5 1.5H15l-2.5 3H15", B, 1.5)],
    alarm_clock: [disc(1.9, R, 3, 3.4), disc(1.9, R, 13, 3.4), line("M4.5 14.5l1-1.5M11.5 " +
      "14.5l-1-1.5", D, 1.3), ["circle", { cx: 8, cy: 8.8, r: 5.3, fill: W, stroke: R,
      "stroke-width": 1.8 }], line("M8 5.8v3.2l2 1.5", D, 1.3)],
    bulb: [disc(4.8, "#ffd983", 8, 6.5), ["rect", { x: 5.8, y: 10.4, width: 4.4, height: 3.8,
      rx: 0.8, fill: L }], line("M5.8 12.3h4.4", M, 0.8)],
    bust_in_silhouette: [disc(3.2, "#269", 8, 5), ["path", { d: "M2 15c0-3.6 2.7-5.5 6-5.5s6 " +
      "1.9 6 5.5z", fill: "#269" }]],
    busts_in_silhouette: [disc(2.5, "#269", 5.5, 5), disc(2.5, "#3b88c3", 11, 5),
      ["path", { d: "M1 14c0-3 2-4.5 4.5-4.5S10 11 10 14z", fill: "#269" }],
      ["path", { d: "M6.5 14c0-3 2-4.5 4.5-4.5s4.5 1.5 4.5 4.5z", fill: "#3b88c3" }]],
    handshake: [["path", { d: "M.8 6.8l3.6-2 3.6 1.8 3.6-1.8 3.6 2v3.4l-3.8 3.2-3.4-2-3.4 " +
      "2-3.8-3.2z", fill: Y, stroke: "#e09c2d", "stroke-width": 0.8,
      "stroke-linejoin": "round" }], line("M5 8.2l3 2.2 3-2.2", "#e09c2d", 0.9)],
    wave: [["rect", { x: 4, y: 6.5, width: 8.5, height: 8, rx: 3.2, fill: Y }],
      line("M5 8V3.6M7.2 7.5V2.2M9.4 7.5V2.6M11.5 8.5V4.5", Y, 2),
      line("M13.2 10.5l1.8-1.6M1.4 5.5L3 7", B, 1)],
    arrows_counterclockwise: [TILE, line("M11.6 6.2A4 4 0 1 0 12 9.4", W, 1.8),
      line("M12.3 3.4v3.2H9.1", W, 1.8)],
    leftwards_arrow_with_hook: [TILE, line("M10.2 11.5h.3a2.6 2.6 0 0 0 0-5.2H4.5", W, 1.8),
      line("M6.8 3.9L4.4 6.3l2.4 2.4", W, 1.8)]
  };
  var SVG_NS = "http://www.w3.org/2000/svg";

  // A drawn emoji (an <svg>) or, for one not drawn, the character in a span.
  function emojiDom(name, doc) {
    var shapes = Object.prototype.hasOwnProperty.call(DRAWN, name) ? DRAWN[name] : null;
    if (shapes === null || !doc.createElementNS) {
      var span = doc.createElement("span");
      span.className = "emoji";
      span.title = ":" + name + ":";
      span.textContent = Object.prototype.hasOwnProperty.call(EMOJI, name) ? EMOJI[name] : ":" + name + ":";
      return span;
    }
    var svg = doc.createElementNS(SVG_NS, "svg");
    svg.setAttribute("class", "emoji emoji-drawn");
    svg.setAttribute("viewBox", "0 0 16 16");
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", ":" + name + ":");
    svg.setAttribute("data-emoji", name);
    shapes.forEach(function (shape) {
      var node = doc.createElementNS(SVG_NS, shape[0]);
      Object.keys(shape[1]).forEach(function (key) { node.setAttribute(key, String(shape[1][key])); });
      svg.appendChild(node);
    });
    return svg;
  }

  // plain_text with emoji: true, as DOM: text nodes and drawn emoji.
  function emojiText(text, doc) {
    var frag = doc.createDocumentFragment();
    var re = /:([a-z0-9_+-]+):/g, last = 0, m;
    text = String(text);
    while ((m = re.exec(text)) !== null) {
      if (!Object.prototype.hasOwnProperty.call(EMOJI, m[1])) continue;
      if (m.index > last) frag.appendChild(doc.createTextNode(text.slice(last, m.index)));
      frag.appendChild(emojiDom(m[1], doc));
      last = re.lastIndex;
    }
    if (last < text.length) frag.appendChild(doc.createTextNode(text.slice(last)));
    return frag;
  }

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

  // A calendar date ("2026-12-08", a datepicker's value) as the bot writes one: "Tue 8 Dec
  // 2026". It is a day, not a moment: no time zone moves it, and it is never the browser's
  // locale form (12/08/2026 reads as 12 August in most of the world).
  var WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

  function calendarDate(iso) {
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso || "");
    if (!m) return "";
    var when = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
    return WEEKDAYS[when.getUTCDay()] + " " + when.getUTCDate() + " " + MONTHS[when.getUTCMonth()] +
      " " + when.getUTCFullYear();
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
        return emojiDom(n.name, doc);
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
    parse: parse, toDom: toDom, toHtml: toHtml, emoji: emoji, decode: decode, formatDate: formatDate,
    calendarDate: calendarDate,
    emojiDom: emojiDom, emojiText: emojiText, drawn: Object.keys(DRAWN)
  };
  if (typeof module === "object" && module.exports) module.exports = api;
  else root.Mrkdwn = api;
})(typeof window !== "undefined" ? window : this);
