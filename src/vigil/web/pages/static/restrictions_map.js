// Restrictions of the mission's movement on the map of the day: where a patrol was stopped
// (red-ringed points) and the areas closed to it (red, hatched), each with a popup saying
// what, when, who stated it and which patrol. Loaded after mapkit.js; extends window.Vigil.
(function (V) {
  "use strict";
  const RED = "#c1121f";
  const KINDS = {
    denied: "Access denied", delayed: "Delayed", conditional_access: "Access on conditions",
    threat: "Threatened", mines: "Mines (suspected or found)", drone_jamming: "Drone jammed",
  };

  // One SVG pattern for every hatched area; Leaflet paths take it as their fill.
  function hatch() {
    if (document.getElementById("no-access-hatch")) return;
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("width", "0");
    svg.setAttribute("height", "0");
    svg.setAttribute("aria-hidden", "true");
    svg.style.position = "absolute";
    svg.innerHTML = '<defs><pattern id="no-access-hatch" patternUnits="userSpaceOnUse" ' +
      'width="8" height="8" patternTransform="rotate(45)"><rect width="8" height="8" ' +
      'fill="rgba(193,18,31,.12)"/><line x1="0" y1="0" x2="0" y2="8" stroke="' + RED +
      '" stroke-width="2.5"/></pattern></defs>';
    document.body.appendChild(svg);
  }

  // "2020-11-25 08:40" in mission time (the offset of the day's start, as the server gives it).
  function stamp(iso, startIso) {
    if (!iso) return "";
    const offset = String(startIso || "").slice(19) || "Z";
    const sign = offset === "Z" ? 0 : (offset[0] === "-" ? -1 : 1);
    const minutes = sign * ((+offset.slice(1, 3) || 0) * 60 + (+offset.slice(4, 6) || 0));
    return new Date(Date.parse(iso) + minutes * 60000).toISOString().slice(0, 16)
      .replace("T", " ");
  }

  function popup(p, start) {
    const esc = V.esc;
    const until = p.ended_at ? `until ${esc(stamp(p.ended_at, start))}` : "still in force";
    const party = p.stated_party ? esc(p.stated_party) : "not stated";
    return `<b>${esc(KINDS[p.kind] || p.kind)}</b>` +
      (p.shape === "area" ? " · no-access area" : "") +
      `<br>${esc(stamp(p.occurred_at, start))}, ${until}` +
      `<br>${esc(p.place || "")}${p.patrol ? ` · ${esc(p.patrol)}` : ""}` +
      `<br>Stated party: ${party}` +
      (p.stated_by ? `<br><span class="popup-text">${esc(p.stated_by)}</span>` : "") +
      `<br><a href="/restrictions">All restrictions</a>`;
  }

  // Areas under points, so each point stays clickable; one group for the layer control.
  V.restrictionLayer = function (features, start) {
    hatch();
    const areas = features.filter((f) => f.properties.shape === "area");
    const points = features.filter((f) => f.properties.shape === "point");
    const group = L.featureGroup();
    L.geoJSON(areas, {
      style: () => ({ color: RED, weight: 2, dashArray: "6 4", fillColor: "url(#no-access-hatch)",
        fillOpacity: 1, className: "no-access-area" }),
      onEachFeature: (f, layer) => layer.bindPopup(popup(f.properties, start), { maxWidth: 280 }),
    }).addTo(group);
    L.geoJSON(points, {
      pointToLayer: (f, ll) => L.circleMarker(ll, { radius: 6, color: RED, weight: 3,
        fillColor: "#fff", fillOpacity: 1, className: `restriction-marker restriction-${f.properties.kind}` }),
      onEachFeature: (f, layer) => layer.bindPopup(popup(f.properties, start), { maxWidth: 280 }),
    }).addTo(group);
    return group;
  };

  V.restrictionLegendRows = function () {
    hatch();
    return [
      [`<svg width="26" height="12"><circle cx="13" cy="6" r="4.5" fill="#fff" stroke="${RED}" stroke-width="2.5"/></svg>`,
        "Restriction of movement"],
      [`<svg width="26" height="12"><rect x="1" y="1" width="24" height="10" fill="url(#no-access-hatch)" stroke="${RED}" stroke-dasharray="4 2"/></svg>`,
        "No-access area"],
    ];
  };
})(window.Vigil);
