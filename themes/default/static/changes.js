// eventsite default theme: flag starred sessions that changed since the visitor's last visit.
// Reads the stars (localStorage "eventsite-stars:<event>", a JSON array of session ids) and
// remembers the schedule revision the visitor last saw ("eventsite-seen:<event>"). The revision
// seen before this visit stays the baseline for every page of the visit (sessionStorage). The
// site's changes come from changes-flag.js (window.eventsiteChanges), loaded just before.
(function () {
  "use strict";
  var data = window.eventsiteChanges;
  var event = document.documentElement.dataset.event;
  if (!data || typeof data !== "object" || !event) return;

  var seenKey = "eventsite-seen:" + event;
  var baseline = visitBaseline(seenKey, String(data.revision));
  if (baseline === null) return; // first visit: nothing to compare with yet
  var stars = readStars("eventsite-stars:" + event);
  var changed = data.sessions || {};

  var items = document.querySelectorAll("[data-session]");
  for (var i = 0; i < items.length; i++) {
    var id = items[i].getAttribute("data-session");
    var latest = Object.prototype.hasOwnProperty.call(changed, id) ? changed[id] : null;
    if (latest && stars.indexOf(id) !== -1 && latest[0] > Number(baseline)) {
      flag(items[i], latest[1]);
    }
  }

  function visitBaseline(key, current) {
    try {
      var baseline = sessionStorage.getItem(key);
      if (baseline === null) {
        baseline = localStorage.getItem(key) || "";
        sessionStorage.setItem(key, baseline);
        localStorage.setItem(key, current);
      }
      return baseline === "" ? null : baseline;
    } catch (e) {
      return null; // storage disabled
    }
  }

  function readStars(key) {
    try {
      var stars = JSON.parse(localStorage.getItem(key) || "[]");
      return Array.isArray(stars) ? stars.map(String) : [];
    } catch (e) {
      return [];
    }
  }

  function flag(item, summary) {
    if (item.querySelector(".changed-flag")) return;
    item.classList.add("is-changed");
    var badge = document.createElement("span");
    badge.className = "changed-flag";
    badge.textContent = "Changed";
    badge.title = "Changed since your last visit. " + summary;
    var text = document.createElement("span");
    text.className = "changed-flag-detail";
    text.textContent = " (" + summary + ")";
    badge.appendChild(text);
    var title = item.querySelector("h1, .title");
    if (title) {
      title.insertAdjacentElement("afterend", badge);
    } else {
      item.appendChild(badge);
    }
  }
})();
