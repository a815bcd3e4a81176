// Patrols (live) on the map: the latest position of each phone on a patrol out on the ground,
// labelled with the patrol's code and its member, moved as new positions arrive (server-sent
// events from /api/v1/positions/stream; polling /api/v1/positions/live every 5 s where
// EventSource is missing). Loaded after mapkit.js; extends window.Vigil.
(function (V) {
  "use strict";
  const BLUE = "#0b5fff";
  const markers = {}; // device id -> circle marker
  V.liveMarkers = markers;

  function ago(iso) {
    const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
    return s < 90 ? `${s} s ago` : s < 5400 ? `${Math.round(s / 60)} min ago` : `${Math.round(s / 3600)} h ago`;
  }

  function popup(p) {
    const esc = V.esc;
    const speed = p.speed_kn == null ? "" : ` · ${Math.round(p.speed_kn * 1.852)} km/h`;
    const batt = p.battery_pct == null ? "" : ` · battery ${Math.round(p.battery_pct)} %`;
    return `<b>${esc(p.patrol_code || "")}</b> · ${esc(p.member)}<br>${esc(p.device)}` +
      `<br>${esc(p.recorded_at.slice(0, 19).replace("T", " "))} UTC (${ago(p.recorded_at)})` +
      `${speed}${batt}<br><a href="/api/v1/tracks/${encodeURIComponent(p.patrol_id)}">Track (GeoJSON)</a>`;
  }

  function update(group, collection) {
    const seen = new Set();
    for (const f of collection.features || []) {
      const p = f.properties;
      const ll = [f.geometry.coordinates[1], f.geometry.coordinates[0]];
      seen.add(String(p.device_id));
      let m = markers[p.device_id];
      if (!m) {
        m = L.circleMarker(ll, { radius: 7, color: "#fff", weight: 2, fillColor: BLUE,
          fillOpacity: 1, className: `live-marker live-device-${p.device_id}` });
        m.bindTooltip("", { permanent: true, direction: "right", offset: [6, 0],
          className: "live-label" });
        markers[p.device_id] = m;
        group.addLayer(m);
      }
      m.setLatLng(ll);
      m.setTooltipContent(V.esc(`${p.patrol_code || ""} ${p.member}`));
      m.bindPopup(popup(p), { maxWidth: 260 });
      m.feature = f;
    }
    for (const id of Object.keys(markers)) {
      if (!seen.has(id)) { group.removeLayer(markers[id]); delete markers[id]; }
    }
    document.getElementById("map").dataset.live = String(seen.size);
  }

  function poll(group) {
    const load = () => fetch("/api/v1/positions/live", { credentials: "same-origin" })
      .then((r) => (r.ok ? r.json() : null)).then((c) => c && update(group, c)).catch(() => {});
    load();
    return setInterval(load, 5000);
  }

  // The layer group, kept current; a map adds it to its layer control.
  V.liveLayer = function () {
    const group = L.featureGroup();
    if (!window.EventSource) { poll(group); return group; }
    const source = new EventSource("/api/v1/positions/stream");
    source.addEventListener("live", (e) => update(group, JSON.parse(e.data)));
    return group;
  };

  V.liveLegendRows = function () {
    return [[`<svg width="26" height="12"><circle cx="13" cy="6" r="5" fill="${BLUE}" stroke="#fff" stroke-width="2"/></svg>`,
      "Patrol member (live)"]];
  };
})(window.Vigil);
