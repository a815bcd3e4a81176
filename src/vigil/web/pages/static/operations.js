// The operations room keeps itself current: every 15 s it asks /api/v1/alarms which alarms
// are open and, when that changed, fetches the page again and swaps in the alarms and the
// patrols. Without JavaScript the Reload link does the same.
(function () {
  "use strict";
  var PERIOD_MS = 15000;
  var status = document.getElementById("refresh-status");

  function shown() {
    return Array.prototype.map.call(
      document.querySelectorAll("#alarms-part [data-alarm]"),
      function (el) { return el.getAttribute("data-alarm"); }
    ).sort().join(",");
  }

  function swap() {
    return fetch("/operations", { credentials: "same-origin" })
      .then(function (r) { return r.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        ["alarms-part", "patrols-part"].forEach(function (id) {
          var fresh = doc.getElementById(id);
          var old = document.getElementById(id);
          if (fresh && old && !old.contains(document.activeElement)) { old.replaceWith(fresh); }
        });
      });
  }

  function tick() {
    fetch("/api/v1/alarms?state=open", { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
      .then(function (body) {
        var open = body.items.map(function (a) { return String(a.id); }).sort().join(",");
        var next = open !== shown() ? swap() : Promise.resolve();
        return next.then(function () {
          if (status) { status.textContent = "Checked " + new Date().toLocaleTimeString() + "."; }
        });
      })
      .catch(function (e) { if (status) { status.textContent = "Could not refresh (" + e.message + "); use Reload."; } });
  }

  window.setInterval(tick, PERIOD_MS);
})();
