// A patrol report's small map: the zones for context, the patrol's route (a line, or its
// waypoints joined in order), and the observations and restrictions it reported, framed to
// the route. The features come with the page; nothing is fetched.
(function () {
  "use strict";
  const el = document.getElementById("patrol-map");
  const data = JSON.parse(document.getElementById("patrol-data").textContent);
  const layer = (name) => data.features.filter((f) => f.properties.layer === name);
  const map = L.map(el, { zoomSnap: 0.25, scrollWheelZoom: false });
  map.attributionControl.addAttribution("Demo geography, approximate");
  const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

  L.geoJSON(layer("zone"), { interactive: false, style: (f) => ({
    color: f.properties.kind === "line_of_contact" ? "#111" : "#9aa5b1",
    weight: f.properties.kind === "line_of_contact" ? 3 : 1,
    dashArray: f.properties.kind === "line_of_contact" ? "14 5 3 5" : null,
    fillColor: "#f3f1ea", fillOpacity: f.properties.kind === "outline" ? 1 : 0.15,
  }) }).addTo(map);

  const routeStyle = { color: "#1d3557", weight: 4, className: "patrol-route" };
  const route = L.featureGroup().addTo(map);
  layer("route").forEach((f) => {
    const coords = f.geometry.coordinates.map(([lon, lat]) => [lat, lon]);
    L.polyline(coords, f.geometry.type === "MultiPoint" ? { ...routeStyle, dashArray: "6 6" }
      : routeStyle).addTo(route);
    coords.forEach((ll, i) => {
      if (f.geometry.type === "MultiPoint" || i === 0 || i === coords.length - 1) {
        L.circleMarker(ll, { radius: 4, color: "#1d3557", fillColor: "#fff", fillOpacity: 1 })
          .bindTooltip(i === 0 ? "start" : `waypoint ${i + 1}`).addTo(route);
      }
    });
  });
  L.geoJSON(layer("observation"), {
    pointToLayer: (f, ll) => L.circleMarker(ll, { radius: 5, color: "#d62828", weight: 2,
      fillOpacity: 0.6, className: "patrol-observation" }),
    onEachFeature: (f, l) => l.bindPopup(`${esc(f.properties.category)}<br>${esc(f.properties.at)}`),
  }).addTo(map);
  L.geoJSON(layer("restriction"), {
    pointToLayer: (f, ll) => L.marker(ll, { title: f.properties.kind }),
    onEachFeature: (f, l) => l.bindPopup(`Restriction: ${esc(f.properties.kind)}<br>${esc(f.properties.at)}`),
  }).addTo(map);

  const bounds = route.getBounds();
  if (bounds.isValid()) map.fitBounds(bounds, { padding: [20, 20], maxZoom: 13 });
  else map.setView([39.8, 46.75], 9);
})();
