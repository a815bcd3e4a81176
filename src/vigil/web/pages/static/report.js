// The report form on a phone: a report id made here, the time sent with the phone's UTC
// offset, the phone's position, a compass bearing, and a small map (zones and posts, no
// tiles) to tap where it was. Plain script, no build step, nothing fetched from elsewhere;
// without it every field can still be typed and sent.
(function () {
  "use strict";
  const form = document.getElementById("report-form");
  if (!form) return;
  const field = (name) => form.elements[name];
  const say = (id, text) => { document.getElementById(id).textContent = text; };
  const pad = (n) => String(n).padStart(2, "0");

  // --- The report id: one per form, so a double tap or a resend stores one report.
  function uuid4() {
    const b = new Uint8Array(16);
    crypto.getRandomValues(b); // crypto.randomUUID needs https; this works on plain http too
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
  // Back on this page after sending (or failing to): the browser restores what the form
  // held, the id and time included, so sending again is the same report.
  const nav = performance.getEntriesByType ? performance.getEntriesByType("navigation")[0] : null;
  const restored = !!nav && nav.type === "back_forward";
  if (!field("client_id").value) field("client_id").value = uuid4();

  // --- The time: the phone's clock, sent with the UTC offset it had at that time.
  const when = field("observed_at");
  function localValue(d) {
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}` +
      `T${pad(d.getHours())}:${pad(d.getMinutes())}`;
  }
  function offsetAt(value) {
    const d = value ? new Date(value) : new Date(); // a datetime-local value reads as local
    if (Number.isNaN(d.getTime())) return "";
    const minutes = -d.getTimezoneOffset();
    const abs = Math.abs(minutes);
    return `${minutes < 0 ? "-" : "+"}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
  }
  function setOffset() {
    field("tz_offset").value = offsetAt(when.value);
    say("tz-note", `(your phone's time, UTC${field("tz_offset").value || "?"})`);
  }
  if (when.dataset.default === "now" && !restored && when.value === when.defaultValue) {
    when.value = localValue(new Date());
  }
  when.addEventListener("change", setOffset);
  setOffset();

  // --- Show only the parts that apply: the post select, a point or a bearing.
  const checked = (name) => (form.querySelector(`input[name=${name}]:checked`) || {}).value;
  function showParts() {
    document.getElementById("post-field").hidden = checked("observer_kind") !== "post";
    const bearing = checked("where") === "bearing";
    document.getElementById("where-point").hidden = bearing;
    document.getElementById("where-bearing").hidden = !bearing;
    drawGuides();
  }

  // --- The phone's position (browsers give it to https pages and localhost only).
  const LOCATION_ERRORS = {
    1: "Location refused: allow it for this site, or type your position.",
    2: "No position available here: type it.",
    3: "No position yet (timed out): try again, or type it.",
  };
  function useLocation() {
    if (!navigator.geolocation || !window.isSecureContext) {
      say("location-status", "This page cannot read the location (it needs https): type it.");
      return;
    }
    say("location-status", "Finding your position…");
    navigator.geolocation.getCurrentPosition((pos) => {
      const c = pos.coords;
      field("observer_lat").value = c.latitude.toFixed(6);
      field("observer_lon").value = c.longitude.toFixed(6);
      field("observer_error_m").value = String(Math.round(c.accuracy));
      say("location-status", `Position found, ± ${Math.round(c.accuracy)} m.`);
      drawGuides(true);
    }, (err) => say("location-status", LOCATION_ERRORS[err.code] || "No position: type it."),
    { enableHighAccuracy: true, timeout: 20000, maximumAge: 30000 });
  }

  // --- The compass: iOS gives webkitCompassHeading; others an absolute alpha, counted
  // anticlockwise, so the heading is (360 - alpha) % 360. Both are magnetic headings: the
  // form says so (bearing_north) and the server turns them to true north.
  let reading = null; // { deg, accuracy, at }
  let waiting = null;
  function record(deg, accuracy) {
    reading = { deg: ((deg % 360) + 360) % 360, accuracy, at: Date.now() };
    if (waiting) waiting();
  }
  function onAbsolute(e) {
    if (typeof e.alpha === "number") record(360 - e.alpha, null);
  }
  function onOrientation(e) {
    if (typeof e.webkitCompassHeading === "number") {
      record(e.webkitCompassHeading, e.webkitCompassAccuracy);
    } else if (e.absolute && typeof e.alpha === "number" && !("ondeviceorientationabsolute" in window)) {
      record(360 - e.alpha, null);
    }
  }
  let listening = false;
  function listen() {
    if (listening) return;
    listening = true;
    window.addEventListener("deviceorientationabsolute", onAbsolute);
    window.addEventListener("deviceorientation", onOrientation);
  }
  function nextReading(ms) {
    if (reading && Date.now() - reading.at < 1500) return Promise.resolve(reading);
    return new Promise((resolve) => {
      const timer = setTimeout(() => { waiting = null; resolve(null); }, ms);
      waiting = () => { clearTimeout(timer); waiting = null; resolve(reading); };
    });
  }
  async function takeBearing() {
    const ask = window.DeviceOrientationEvent && DeviceOrientationEvent.requestPermission;
    if (typeof ask === "function") { // iOS asks the person, on a tap
      try {
        if ((await ask.call(DeviceOrientationEvent)) !== "granted") {
          say("compass-status", "Compass refused: type the bearing.");
          return;
        }
      } catch (e) { /* asked outside a tap, or not needed: try anyway */ }
    }
    listen();
    say("compass-status", "Reading the compass…");
    const r = await nextReading(3000);
    if (!r) {
      say("compass-status", "No compass reading on this phone or page (it needs https): type the bearing.");
      return;
    }
    field("bearing_deg").value = String(Math.round(r.deg));
    const magnetic = form.querySelector("input[name=bearing_north][value=magnetic]");
    if (magnetic) magnetic.checked = true; // a compass reading is from magnetic north
    if (typeof r.accuracy === "number" && r.accuracy > 0 && !field("bearing_error_deg").value) {
      field("bearing_error_deg").value = String(Math.round(r.accuracy));
    }
    say("compass-status", `Bearing ${Math.round(r.deg)}° from magnetic north (Vigil turns it to true north): correct it if needed.`);
    drawGuides();
  }
  listen(); // where no permission is needed, readings arrive before the first tap

  // --- The small map: zones and posts without tiles; a tap sets where it was.
  const el = document.getElementById("report-map");
  let map = null;
  let guides = null;
  const num = (name) => {
    const v = parseFloat(String(field(name).value).replace(",", "."));
    return Number.isFinite(v) ? v : null;
  };
  function destination(lat, lon, deg, metres) { // on a sphere: enough for a guide line
    const R = 6371008.8;
    const rad = Math.PI / 180;
    const d = metres / R;
    const b = deg * rad;
    const p1 = lat * rad;
    const p2 = Math.asin(Math.sin(p1) * Math.cos(d) + Math.cos(p1) * Math.sin(d) * Math.cos(b));
    const l2 = lon * rad + Math.atan2(Math.sin(b) * Math.sin(d) * Math.cos(p1),
      Math.cos(d) - Math.sin(p1) * Math.sin(p2));
    return [p2 / rad, l2 / rad];
  }
  function drawGuides(centre) {
    if (!map) return;
    guides.clearLayers();
    const me = [num("observer_lat"), num("observer_lon")];
    const hasMe = me[0] !== null && me[1] !== null;
    if (hasMe) {
      L.circleMarker(me, { radius: 7, color: "#1d3557", weight: 3, fillColor: "#4ea8de",
        fillOpacity: 1, className: "observer-marker" }).addTo(guides);
      if (centre) map.setView(me, Math.max(map.getZoom(), 11));
    }
    if (checked("where") === "bearing") {
      const deg = num("bearing_deg");
      if (hasMe && deg !== null) {
        const far = num("distance_m");
        L.polyline([me, destination(me[0], me[1], deg, far || 15000)], { color: "#d62828",
          weight: 2.5, dashArray: far ? null : "6 5", className: "bearing-line" }).addTo(guides);
      }
    } else if (num("target_lat") !== null && num("target_lon") !== null) {
      L.circleMarker([num("target_lat"), num("target_lon")], { radius: 8, color: "#222",
        weight: 2, fillColor: "#d62828", fillOpacity: 0.9, className: "target-marker" })
        .addTo(guides);
    }
  }
  function drawMap() {
    const data = JSON.parse(document.getElementById("report-map-data").textContent);
    el.hidden = false; // hidden until drawn: without this script there is no map to tap
    map = L.map(el, { zoomSnap: 0.25, scrollWheelZoom: false });
    const zones = L.geoJSON(data.features.filter((f) => f.properties.layer === "zone"), {
      interactive: false,
      style: (f) => (f.properties.kind === "line_of_contact"
        ? { color: "#111", weight: 3, dashArray: "14 5 3 5", fill: false, className: "zone" }
        : { color: "#9aa5b1", weight: 1, fillColor: "#f3f1ea", fillOpacity: 0.6, className: "zone" }),
    }).addTo(map);
    const posts = L.geoJSON(data.features.filter((f) => f.properties.layer === "post"), {
      pointToLayer: (f, ll) => L.circleMarker(ll, { radius: 4, color: "#1d3557", weight: 2,
        fillColor: "#fff", fillOpacity: 1, className: "post-marker" })
        .bindTooltip(f.properties.code, { direction: "top" }),
    }).addTo(map);
    const bounds = zones.getBounds().isValid() ? zones.getBounds() : posts.getBounds();
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [8, 8] });
    else map.setView([20, 0], 2);
    guides = L.layerGroup().addTo(map);
    map.on("click", (e) => {
      if (checked("where") === "bearing") return;
      field("target_lat").value = e.latlng.lat.toFixed(6);
      field("target_lon").value = e.latlng.lng.toFixed(6);
      drawGuides();
    });
    el.dataset.state = "ready";
  }
  if (window.L) drawMap();

  // --- Wiring. A second tap while the photos are still going up is ignored for a while
  // (the report id would make it harmless, but it would send the files again).
  for (const [id, act] of [["use-location", useLocation], ["take-bearing", takeBearing]]) {
    const button = document.getElementById(id); // hidden in the page: useless without script
    button.hidden = false;
    button.addEventListener("click", act);
  }
  form.addEventListener("change", showParts);
  form.addEventListener("input", (e) => { if (e.target.type === "number") drawGuides(); });
  const send = document.getElementById("send");
  let sentAt = 0;
  form.addEventListener("submit", (e) => {
    if (Date.now() - sentAt < 10000) { e.preventDefault(); return; }
    setOffset();
    sentAt = Date.now();
    send.dataset.sending = "1";
    send.textContent = "Sending…";
  });
  window.addEventListener("pageshow", () => { // back from the next page: ready to send again
    sentAt = 0;
    delete send.dataset.sending;
    send.textContent = "Send report";
  });
  showParts();
  drawGuides();
})();
