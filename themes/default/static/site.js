// eventsite default theme: progressive enhancements only; every page works without JavaScript.
// Stars live in localStorage["eventsite-stars:" + <html data-event>] as a JSON array of session
// ids; every starrable element carries data-session="<id>". No network, no dependencies, so
// the site works the same from a web server and from file://.
(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.add("js");
  var EVENT_KEY = root.dataset.event || "";
  var EVENT_TZ = root.dataset.tz || "";
  var STARS_KEY = "eventsite-stars:" + EVENT_KEY;
  var TIME_KEY = "eventsite-time";
  var SCHEME_KEY = "eventsite-scheme";
  var finder = null;

  function one(selector, scope) { return (scope || document).querySelector(selector); }
  function all(selector, scope) {
    return Array.prototype.slice.call((scope || document).querySelectorAll(selector));
  }
  function load(key) { try { return localStorage.getItem(key); } catch (e) { return null; } }
  function save(key, value) {
    try { localStorage.setItem(key, value); } catch (e) { /* storage off: this page only */ }
  }
  function normalise(text) {
    return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  function idSet(ids) { var set = new Set(); ids.forEach(function (id) { set.add(id); }); return set; }

  // ---------------------------------------------------------------- stars
  function readStars() {
    try {
      var ids = JSON.parse(load(STARS_KEY) || "[]");
      return Array.isArray(ids) ? ids.filter(function (id) { return typeof id === "string"; }) : [];
    } catch (e) { return []; }
  }
  function writeStars(ids) {
    save(STARS_KEY, JSON.stringify(ids.filter(function (id, i) { return ids.indexOf(id) === i; })));
    refreshStars();
  }
  function toggleStar(id) {
    var ids = readStars(), at = ids.indexOf(id);
    if (at < 0) ids.push(id); else ids.splice(at, 1);
    writeStars(ids);
  }
  function titleOf(element) {
    var title = one(".title, h1", element);
    return title ? title.textContent.trim() : "";
  }
  function makeStarButton(id, big, title) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = big ? "button star star-big" : "star";
    button.dataset.star = id;
    button.setAttribute("aria-pressed", "false");
    if (!big) { button.setAttribute("aria-label", "Star " + title); return button; }
    var glyph = document.createElement("span");
    glyph.className = "star-glyph";
    glyph.setAttribute("aria-hidden", "true");
    button.appendChild(glyph);
    button.appendChild(document.createTextNode(" Star this session"));
    return button;
  }
  function setupStarButtons() {
    document.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-star]");
      if (button) toggleStar(button.dataset.star);
    });
    // the default templates render the buttons, so there is no layout work here; a theme's
    // templates may leave them out and get them added
    all("[data-session]").forEach(function (element) {
      if (one("[data-star]", element)) return;
      var big = element.tagName === "ARTICLE";
      var button = makeStarButton(element.dataset.session, big, titleOf(element));
      if (big) (one("header", element) || element).appendChild(button);
      else element.insertBefore(button, element.firstChild);
    });
  }
  function refreshStars() {
    var ids = readStars(), starred = idSet(ids);
    all("[data-star]").forEach(function (button) {
      var pressed = String(starred.has(button.dataset.star));
      if (button.getAttribute("aria-pressed") !== pressed) button.setAttribute("aria-pressed", pressed);
    });
    all("[data-session]").forEach(function (element) {
      var on = starred.has(element.dataset.session);
      if (element.classList.contains("is-starred") !== on) element.classList.toggle("is-starred", on);
    });
    all("[data-star-count]").forEach(function (count) { count.textContent = String(ids.length); });
    if (finder) finder.refresh();
  }

  // ------------------------------------------------------- colour scheme
  function setupScheme() {
    var toggle = one("[data-scheme-toggle]");
    if (!toggle) return;
    var systemDark = window.matchMedia("(prefers-color-scheme: dark)");
    function isDark() {
      var chosen = root.dataset.theme;
      return chosen ? chosen === "dark" : systemDark.matches;
    }
    function show() { toggle.setAttribute("aria-pressed", String(isDark())); }
    toggle.addEventListener("click", function () {
      var scheme = isDark() ? "light" : "dark";
      root.dataset.theme = scheme;
      save(SCHEME_KEY, scheme);
      show();
    });
    systemDark.addEventListener("change", show);
    show();
  }

  // ---------------------------------------------------------- time zones
  var localZone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  var clock = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  var weekday = new Intl.DateTimeFormat("en-GB", { weekday: "short" });
  var dateParts = new Intl.DateTimeFormat("en-GB", { year: "numeric", month: "2-digit", day: "2-digit" });
  function localDate(moment) {
    var parts = {};
    dateParts.formatToParts(moment).forEach(function (part) { parts[part.type] = part.value; });
    return parts.year + "-" + parts.month + "-" + parts.day;
  }
  function timeMode() { return load(TIME_KEY) === "local" ? "local" : "event"; }
  var eventTexts = new Map();  // element -> its text in event time, once converted
  function applyTimeMode() {
    var local = timeMode() === "local";
    all("[data-time-mode]").forEach(function (select) { select.value = timeMode(); });
    if (!local) {  // pages are written in event time: only undo what was converted
      eventTexts.forEach(function (text, element) { element.textContent = text; });
      eventTexts.clear();
      return;
    }
    all("time[datetime]").forEach(function (element) {
      var stamp = element.getAttribute("datetime");
      if (stamp.indexOf("T") < 0) return;  // a date, not a moment
      if (!eventTexts.has(element)) {
        if (!/^\d\d:\d\d$/.test(element.textContent.trim())) return;
        eventTexts.set(element, element.textContent);
      }
      var moment = new Date(stamp), text = clock.format(moment);
      // a session on another calendar day where the visitor is says which day
      if (localDate(moment) !== stamp.slice(0, 10)) text += " " + weekday.format(moment);
      element.textContent = text;
    });
    all(".tz-note").forEach(function (note) {
      if (!eventTexts.has(note)) eventTexts.set(note, note.textContent);
      note.textContent = "Times are shown in your time zone (" + localZone + ").";
    });
  }
  function setupTimeMode() {
    all("[data-time-mode]").forEach(function (select) {
      var option = one('option[value="local"]', select);
      if (option && localZone) option.textContent = "Your time zone (" + localZone + ")";
      select.addEventListener("change", function () {
        save(TIME_KEY, select.value);
        applyTimeMode();
      });
    });
    applyTimeMode();
  }

  // ------------------------------------------------------------ now/next
  var times = new Map();
  function timesOf(element) {
    if (!times.has(element)) {
      var stamps = all("time[datetime]", element).map(function (t) {
        return Date.parse(t.getAttribute("datetime"));
      });
      var start = stamps[0], end = stamps.length > 1 ? stamps[1] : start;
      times.set(element, isNaN(start) ? null : { start: start, end: Math.max(start, end || start) });
    }
    return times.get(element);
  }
  function setBadge(element, label) {
    var badge = one("[data-badge]", element);
    if (!label) { if (badge) badge.remove(); return; }
    if (!badge) {
      badge = document.createElement("span");
      badge.className = "badge";
      badge.dataset.badge = "";
      var title = one(".title, h1", element);
      if (title) title.parentNode.insertBefore(badge, title);
      else element.appendChild(badge);
    }
    badge.textContent = label;
  }
  function markNow() {
    var now = Date.now(), next = Infinity, first = Infinity, last = -Infinity;
    var scheduled = all("[data-session]").filter(function (element) { return timesOf(element); });
    scheduled.forEach(function (element) {
      var t = timesOf(element);
      first = Math.min(first, t.start);
      last = Math.max(last, t.end);
      if (t.start > now) next = Math.min(next, t.start);
    });
    scheduled.forEach(function (element) {
      var t = timesOf(element);
      var running = t.start <= now && now < t.end, upcoming = t.start === next;
      element.classList.toggle("is-now", running);
      element.classList.toggle("is-next", upcoming);
      setBadge(element, running ? "Now" : upcoming ? "Next" : "");
    });
    var during = now >= first - 3600e3 && now <= last;
    all("[data-jump-now]").forEach(function (button) { button.hidden = !during; });
    return during;
  }
  function jumpToNow(moveFocus) {
    var target = all("[data-session].is-now, [data-session].is-next").filter(function (element) {
      return element.offsetParent !== null && !element.classList.contains("is-dimmed");
    })[0];
    if (!target) return;
    target.scrollIntoView({ block: "center" });
    var link = one("a[href]", target);
    if (moveFocus && link) link.focus({ preventScroll: true });
  }
  function setupNow() {
    var during = markNow();
    all("[data-jump-now]").forEach(function (button) {
      button.addEventListener("click", function () { jumpToNow(true); });
    });
    if (during && one("[data-finder]") && !location.hash) jumpToNow(false);
    window.setInterval(markNow, 30000);
  }

  // ------------------------------------------------------------ calendar
  function icsText(value) {
    return value.replace(/\r\n?/g, "\n").split("\n").map(function (line) {
      return line.replace(/[\x00-\x08\x0a-\x1f\x7f]/g, "").replace(/([\\;,])/g, "\\$1");
    }).join("\\n");
  }
  function icsFold(line) {
    var chunks = [], current = "", size = 0, limit = 75;
    Array.from(line).forEach(function (char) {
      var code = char.codePointAt(0);
      var width = code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
      if (size + width > limit) { chunks.push(current); current = ""; size = 0; limit = 74; }
      current += char;
      size += width;
    });
    chunks.push(current);
    return chunks.join("\r\n ");
  }
  function icsInstant(ms) {
    return new Date(ms).toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  }
  function starredCalendar(ids) {
    var lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//eventsite//starred sessions//EN",
      "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
      "X-WR-CALNAME:" + icsText("My schedule · " + document.title.split(" · ").pop())];
    var stamp = icsInstant(Date.now());
    ids.forEach(function (id) {
      var item = all(".session-item[data-session]").filter(function (element) {
        return element.dataset.session === id;
      })[0];
      var t = item && timesOf(item);
      if (!t) return;
      var link = one("a.title", item), room = one(".room", item), speakers = one(".speakers", item);
      // the same UID as schedule.ics, so importing both updates instead of duplicating
      lines.push("BEGIN:VEVENT", "UID:" + icsText(id + "-" + EVENT_KEY + "@eventsite"),
        "DTSTAMP:" + stamp, "DTSTART:" + icsInstant(t.start));
      if (t.end > t.start) lines.push("DTEND:" + icsInstant(t.end));
      lines.push("SUMMARY:" + icsText(titleOf(item)));
      if (room) lines.push("LOCATION:" + icsText(room.textContent.trim()));
      if (speakers) lines.push("DESCRIPTION:" + icsText(speakers.textContent.trim()));
      if (link && /^https?:/.test(link.href)) lines.push("URL:" + link.href);
      lines.push("END:VEVENT");
    });
    lines.push("END:VCALENDAR");
    return lines.map(icsFold).join("\r\n") + "\r\n";
  }
  function download(name, type, text) {
    var link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([text], { type: type }));
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
    window.setTimeout(function () { URL.revokeObjectURL(link.href); }, 1000);
  }

  // ------------------------------------------------- filters and search
  function Finder(box) {
    var form = one("[data-filters]", box), fields = form.elements;
    var status = one("[data-status]", box), sharedBox = one("[data-shared]", box);
    var tools = one("[data-star-tools]", box), shareLink = one("[data-share-link]", box);
    var items = all(".session-item[data-session], .grid-session[data-session]");
    var blocks = all("[data-day]");
    var selects = ["day", "track", "room", "type"].filter(function (name) { return fields[name]; });
    var index = null, indexRequested = false, haystacks = new Map(), shared = null;
    var narrowed = false;  // whether anything is hidden or dimmed now

    function loadIndex() {
      if (indexRequested || !box.dataset.index) return;
      indexRequested = true;
      var script = document.createElement("script");
      script.src = box.dataset.index;
      script.addEventListener("load", function () {
        index = window.eventsiteSearch || {};
        haystacks.clear();
        apply();
      });
      document.head.appendChild(script);
    }
    function haystack(element) {
      if (!haystacks.has(element)) {
        var extra = index ? index[element.dataset.session] || "" : "";
        var shown = all(".title, .speakers, .meta", element).map(function (part) {
          return part.textContent;
        });
        haystacks.set(element, normalise(shown.join(" ") + " " + extra));
      }
      return haystacks.get(element);
    }
    function state() {
      var current = { q: fields.q.value.trim(), starred: fields.starred.checked };
      selects.forEach(function (name) { current[name] = fields[name].value; });
      return current;
    }
    function matches(element, current, words, starred) {
      var id = element.dataset.session;
      if (current.track && element.dataset.track !== current.track) return false;
      if (current.room && element.dataset.room !== current.room) return false;
      if (current.type && element.dataset.type !== current.type) return false;
      if (current.day) {
        var block = element.closest("[data-day]");
        if (!block || block.dataset.day !== current.day) return false;
      }
      if (shared) { if (!shared.has(id)) return false; }
      else if (current.starred && !starred.has(id)) return false;
      var text = words.length ? haystack(element) : "";
      return words.every(function (word) { return text.indexOf(word) >= 0; });
    }
    function apply() {
      var current = state(), starred = idSet(readStars());
      var words = normalise(current.q).split(/\s+/).filter(Boolean);
      var filtered = shared || words.length || current.starred || selects.some(function (name) {
        return current[name];
      });
      if (!filtered && !narrowed) { status.textContent = ""; return; }  // the page as written
      narrowed = !!filtered;
      if (words.length) loadIndex();
      var shown = new Set(), total = new Set();
      items.forEach(function (element) {
        var ok = matches(element, current, words, starred);
        total.add(element.dataset.session);
        if (ok) shown.add(element.dataset.session);
        if (element.classList.contains("grid-session")) element.classList.toggle("is-dimmed", !ok);
        else element.hidden = !ok;
      });
      blocks.forEach(function (block) { block.hidden = !one(".session-item:not([hidden])", block); });
      status.textContent = !filtered ? ""
        : current.starred && !shared && starred.size === 0
          ? "You have not starred any sessions yet: use the ☆ buttons."
          : shown.size ? "Showing " + shown.size + " of " + total.size + " sessions."
            : "No sessions match. Clear the filters to see them all.";
    }
    function writeHash() {
      var current = state(), params = new URLSearchParams();
      ["q"].concat(selects).forEach(function (name) { if (current[name]) params.set(name, current[name]); });
      if (current.starred) params.set("starred", "1");
      var hash = params.toString();
      history.replaceState(null, "", hash ? "#" + hash : location.pathname + location.search);
    }
    function readHash() {
      var hash = location.hash.slice(1);
      if (hash.indexOf("type-") === 0) hash = "type=" + hash.slice(5);  // older type links
      if (hash.indexOf("=") < 0 && hash !== "starred") return;  // an ordinary #anchor
      var params = new URLSearchParams(hash);
      fields.q.value = params.get("q") || "";
      fields.starred.checked = params.has("starred");
      selects.forEach(function (name) {
        var value = params.get(name) || "";
        fields[name].value = one('option[value="' + CSS.escape(value) + '"]', fields[name]) ? value : "";
      });
      var stars = /(?:^|&)stars=([^&]*)/.exec(hash);
      shared = stars ? idSet(stars[1].split(",").filter(Boolean).map(decodeURIComponent)) : null;
      sharedBox.hidden = !shared;
      if (shared) {
        one("[data-shared-text]", box).textContent = "Someone shared " + shared.size +
          (shared.size === 1 ? " session" : " sessions") + " with you; the schedule shows only those.";
      }
    }
    function endShared(importStars) {
      if (importStars) writeStars(readStars().concat(Array.from(shared)));
      shared = null;
      sharedBox.hidden = true;
      fields.starred.checked = importStars;
      writeHash();
      apply();
    }
    function updateTools() {
      var ids = readStars();
      if (!tools) return;
      all("button", tools).forEach(function (button) { button.disabled = ids.length === 0; });
      shareLink.value = ids.length
        ? location.href.split("#")[0] + "#stars=" + ids.map(encodeURIComponent).join(",") : "";
      if (fields.starred.checked && ids.length) tools.open = true;
    }
    function changed() { writeHash(); apply(); }

    form.addEventListener("input", changed);
    form.addEventListener("change", changed);
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    form.addEventListener("reset", function () {
      shared = null;
      sharedBox.hidden = true;
      window.setTimeout(changed, 0);
    });
    fields.q.addEventListener("focus", loadIndex);
    window.addEventListener("hashchange", function () { readHash(); apply(); });
    one("[data-shared-import]", box).addEventListener("click", function () { endShared(true); });
    one("[data-shared-close]", box).addEventListener("click", function () { endShared(false); });
    if (tools) {
      one("[data-copy-link]", box).addEventListener("click", function () {
        shareLink.select();
        var copied = navigator.clipboard ? navigator.clipboard.writeText(shareLink.value)
          : Promise.reject(new Error("no clipboard"));
        copied.catch(function () { document.execCommand("copy"); }).then(function () {
          status.textContent = "Link copied.";
        });
      });
      one("[data-download-ics]", box).addEventListener("click", function () {
        download("my-schedule.ics", "text/calendar", starredCalendar(readStars()));
      });
    }
    document.addEventListener("keydown", function (event) {
      var typing = /^(INPUT|SELECT|TEXTAREA)$/.test(event.target.tagName);
      if (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey) {
        event.preventDefault();
        fields.q.focus();
      }
    });
    readHash();
    if (fields.q.value) loadIndex();
    apply();
    return { refresh: function () { apply(); updateTools(); } };
  }

  // ---------------------------------------------------------------- start
  setupScheme();
  setupStarButtons();
  var box = one("[data-finder]");
  if (box) finder = Finder(box);
  setupTimeMode();
  setupNow();
  refreshStars();
  window.addEventListener("storage", function (event) {
    if (event.key === STARS_KEY) refreshStars();
    if (event.key === TIME_KEY) applyTimeMode();
  });
})();
