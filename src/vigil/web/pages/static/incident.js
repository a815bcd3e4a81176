// The incident page's small map: the zones for context, the posts that reported, the rays
// and points of the incident's observations, and the incident's point, ellipse or wedge,
// framed to fit. The features come with the page (no extra request); shared drawing is in
// mapkit.js.
(function () {
  "use strict";
  const el = document.getElementById("incident-map");
  const data = JSON.parse(document.getElementById("incident-data").textContent);
  const layer = (name) => data.features.filter((f) => f.properties.layer === name);
  const map = L.map(el, { zoomSnap: 0.25, scrollWheelZoom: false });
  map.attributionControl.addAttribution("Demo geography, approximate");
  map.createPane("posts").style.zIndex = 450;

  const ZONE_STYLE = {
    outline: { color: "#9aa5b1", weight: 1, fillColor: "#f3f1ea", fillOpacity: 1 },
    line_of_contact: { color: "#111", weight: 3, dashArray: "14 5 3 5", fill: false },
    corridor: { color: "#137268", weight: 1.5, fillColor: "#2a9d8f", fillOpacity: 0.3 },
    withdrawal_zone: { color: "#a67c00", weight: 1, fillColor: "#f2cc60", fillOpacity: 0.25 },
  };
  const ORDER = ["outline", "area_of_responsibility", "withdrawal_zone", "corridor",
    "line_of_contact"];
  const zones = layer("zone").sort((a, b) =>
    ORDER.indexOf(a.properties.kind) - ORDER.indexOf(b.properties.kind));
  L.geoJSON(zones, { interactive: false, style: (f) => ({
    ...(ZONE_STYLE[f.properties.kind] || { color: "#5c6b7a", weight: 1, fill: false }),
    className: `zone zone-${f.properties.kind}` }) }).addTo(map);

  const start = data.start;
  const incident = Vigil.incidentLayers(layer("incident"), (f, l) =>
    l.bindPopup(Vigil.incidentPopup(f.properties, start, false), { maxWidth: 260 }));
  incident.areas.addTo(map);
  const rays = Vigil.observationLayer(layer("observation"), (f, l) => {
    const p = f.properties;
    l.bindPopup(`<b>${Vigil.esc(p.client_id)}</b><br>${Vigil.esc(p.post || p.observer || "")}` +
      (p.shape === "ray" ? ` · bearing ${Math.round(p.bearing_deg)}°` : "") +
      `<br><a href="#obs-${encodeURIComponent(p.id)}">in the table</a>`, { maxWidth: 240 });
  }).addTo(map);
  incident.points.addTo(map);
  L.geoJSON(layer("post"), {
    pointToLayer: (f, ll) => L.circleMarker(ll, { radius: 5, color: "#1d3557", weight: 2,
      fillColor: "#fff", fillOpacity: 1, pane: "posts", className: "post-marker" }),
    onEachFeature: (f, l) => l.bindTooltip(Vigil.esc(f.properties.code), { direction: "top" }),
  }).addTo(map);

  const bounds = L.featureGroup([incident.areas, incident.points, rays]).getBounds();
  if (bounds.isValid()) map.fitBounds(bounds, { padding: [16, 16], maxZoom: 13 });
  else map.setView([39.8, 46.75], 9);

  // The legend goes under the map: on a map this small it would hide what it explains.
  const rows = [
    ...Vigil.incidentLegendRows().slice(0, 3),
    [Vigil.svgLine('stroke="#444" stroke-width="2"'), "Bearing of a report, with distance"],
    [Vigil.svgLine('stroke="#444" stroke-width="2" stroke-dasharray="4 3"'),
      "Bearing without distance"],
  ];
  document.getElementById("incident-legend").innerHTML = rows.map(([svg, text]) =>
    `<span class="legend-row">${svg}<span>${text}</span></span>`).join("");
  el.dataset.state = "ready";
})();
