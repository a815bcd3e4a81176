// The map of the day: zones and outlines as the base (no tiles), posts, and the day's
// observations as points and bearing rays; the list beside it links to each one.
(function () {
  "use strict";
  const el = document.getElementById("map");
  const day = el.dataset.day;
  const map = L.map(el, { zoomSnap: 0.25 });
  const zoneStyle = {
    outline: { color: "#8a96a3", weight: 1, fillColor: "#eef1f4", fillOpacity: 1 },
    area_of_responsibility: { color: "#5c6b7a", weight: 1, dashArray: "4 4", fillOpacity: 0 },
    line_of_contact: { color: "#c1121f", weight: 3 },
    corridor: { color: "#2a9d8f", weight: 2, fillOpacity: 0.15 },
    withdrawal_zone: { color: "#e9c46a", weight: 2, fillOpacity: 0.15 },
  };
  const kindColour = (category) =>
    category.startsWith("ceasefire_violation.explosion") ? "#d62828"
      : category.startsWith("ceasefire_violation.small_arms") ? "#f77f00"
      : category.startsWith("ceasefire_violation.illumination") ? "#fcbf49"
      : "#3a0ca3";

  function label(p) {
    return `${p.observed_at.slice(11, 16)} ${p.category.split(".").slice(1).join(" ") || p.category}` +
      (p.count > 1 ? ` ×${p.count}` : "");
  }

  function draw(data) {
    const byKind = (f) => f.properties.layer;
    const zones = data.features.filter((f) => byKind(f) === "zone");
    const outline = L.geoJSON(zones, {
      style: (f) => ({ className: "zone", ...(zoneStyle[f.properties.kind] || { color: "#555", weight: 1, fillOpacity: 0.05 }) }),
      onEachFeature: (f, layer) => layer.bindTooltip(Object.values(f.properties.names).join(" / ")),
    }).addTo(map);
    const posts = data.features.filter((f) => byKind(f) === "post");
    L.geoJSON(posts, {
      pointToLayer: (f, ll) => L.circleMarker(ll, { radius: 6, color: "#1d3557", fillColor: "#fff",
        fillOpacity: 1, weight: 2, className: "post-marker" }),
      onEachFeature: (f, layer) => layer.bindTooltip(`${f.properties.code} ${f.properties.name}`),
    }).addTo(map);
    const obs = data.features.filter((f) => byKind(f) === "observation");
    const layers = {};
    L.geoJSON(obs, {
      style: (f) => ({ color: kindColour(f.properties.category), weight: 1.5,
        dashArray: f.properties.has_distance ? null : "5 5", opacity: 0.8, className: "observation-ray" }),
      pointToLayer: (f, ll) => L.circleMarker(ll, { radius: 5, color: kindColour(f.properties.category),
        fillOpacity: 0.8, className: "observation-marker" }),
      onEachFeature: (f, layer) => {
        layer.bindPopup(`<b>${label(f.properties)}</b><br>${f.properties.post || f.properties.observer || ""}` +
          ` · grade ${f.properties.grade}<br>${f.properties.text || ""}`);
        (layers[f.properties.id] = layers[f.properties.id] || []).push(layer);
      },
    }).addTo(map);
    const aor = zones.find((f) => f.properties.kind === "area_of_responsibility");
    const bounds = aor ? L.geoJSON(aor).getBounds() : outline.getBounds();
    if (bounds.isValid()) map.fitBounds(bounds); else map.setView([40, 46.8], 9);
    list(obs, layers, data);
    el.dataset.state = "ready";
  }

  function list(obs, layers, data) {
    const seen = new Set();
    const ol = document.getElementById("observations");
    for (const f of obs) {
      const p = f.properties;
      if (seen.has(p.id)) continue;
      seen.add(p.id);
      const li = document.createElement("li");
      li.dataset.id = p.id;
      li.innerHTML = `<span class="what"></span><div class="meta"></div>`;
      li.querySelector(".what").textContent = label(p);
      li.querySelector(".meta").textContent = `${p.post || p.observer || ""} · ${p.client_id}`;
      li.addEventListener("click", () => (layers[p.id] || [])[0]?.openPopup());
      ol.appendChild(li);
    }
    document.getElementById("summary").textContent =
      `${data.observations} observations on ${data.day}` + (data.truncated ? " (first 5000 shown)" : "");
  }

  fetch(`/api/v1/map/day?date=${encodeURIComponent(day)}`, { credentials: "same-origin" })
    .then((r) => { if (!r.ok) throw new Error(`HTTP ${r.status}`); return r.json(); })
    .then(draw)
    .catch((e) => { el.dataset.state = "error"; document.getElementById("summary").textContent = `Could not load the map: ${e.message}`; });
})();
