// The map of the day: zones and outlines as the base (no tiles), settlements named in
// Azerbaijani and Armenian, posts, the day's observations as points and bearing rays, and
// the day's incidents with their 95 % ellipses or wedges (a click lights up the rays of
// their reports); the lists beside it link to each one; a camera marks observations with
// photos, whose thumbnails their popups show. Plain script, no build step,
// nothing fetched from outside this server; shared drawing is in mapkit.js.
(function () {
  "use strict";
  const { KINDS, kindOf, esc, missionClock } = window.Vigil;
  const el = document.getElementById("map");
  const day = el.dataset.day;
  const map = L.map(el, { zoomSnap: 0.25, zoomControl: true });
  map.attributionControl.addAttribution("Demo geography, approximate");
  map.createPane("posts").style.zIndex = 450; // posts stay visible above the rays from them

  // Draw order: base outlines first, the line of contact last, so nothing hides it.
  const ZONE_ORDER = ["outline", "area_of_responsibility", "withdrawal_zone", "corridor",
    "line_of_contact"];
  const OUTLINE_FILLS = ["#f6f4ee", "#e9edf2", "#f1efe6"];
  const ZONE_STYLE = {
    area_of_responsibility: { color: "#5c6b7a", weight: 1.5, dashArray: "6 5", fill: false },
    withdrawal_zone: { color: "#a67c00", weight: 1.5, fillColor: "#f2cc60", fillOpacity: 0.3 },
    corridor: { color: "#137268", weight: 2, fillColor: "#2a9d8f", fillOpacity: 0.45 },
    line_of_contact: { color: "#111", weight: 3.5, dashArray: "14 5 3 5", lineCap: "butt" },
  };
  function label(p, start) {
    return `${missionClock(p.observed_at, start)} ${Vigil.what(p.category)}` +
      (p.count > 1 ? ` ×${p.count}` : "");
  }

  function popupHtml(p, start) {
    const where = p.shape === "ray"
      ? `bearing ${Math.round(p.bearing_deg)}°` + (p.has_distance ? "" : ", no distance")
      : "estimated location";
    return `<b>${esc(label(p, start))}</b><br>${esc(p.post || p.observer || "")}` +
      ` · grade ${esc(p.grade)} · ${where}<br><span class="popup-text">${esc(p.text)}</span>`;
  }

  function drawZones(zones) {
    const sorted = [...zones].sort((a, b) =>
      ZONE_ORDER.indexOf(a.properties.kind) - ZONE_ORDER.indexOf(b.properties.kind));
    let outlines = 0;
    const layer = L.geoJSON(sorted, {
      style: (f) => {
        const kind = f.properties.kind;
        const base = kind === "outline"
          ? { color: "#9aa5b1", weight: 1, fillColor: OUTLINE_FILLS[outlines++ % 3], fillOpacity: 1 }
          : ZONE_STYLE[kind] || { color: "#555", weight: 1, fillOpacity: 0.05 };
        return { ...base, className: `zone zone-${kind}` };
      },
      onEachFeature: (f, l) => bindZoneLabel(f, l),
    }).addTo(map);
    return layer;
  }

  function bindZoneLabel(f, layer) {
    const n = f.properties.names || {};
    const name = esc(n.en || Object.values(n)[0] || f.properties.code);
    const local = [n.az, n.hy].filter(Boolean).map(esc).join(" / ");
    const kind = f.properties.kind;
    if (kind === "withdrawal_zone" || kind === "corridor") {
      layer.bindTooltip(`${name}`, { permanent: true, direction: "center",
        className: `zone-label zone-label-${kind}`, interactive: false });
    } else {
      layer.bindTooltip(`${name}<br><small>${local}</small>`, { sticky: true });
    }
  }

  function drawPlaces(places) {
    const group = L.layerGroup();
    const settlements = places.filter((p) => p.kind === "settlement")
      .sort((a, b) => a.id - b.id);
    for (const p of settlements) {
      const az = p.names.az || p.names.en || p.code;
      const hy = p.names.hy && p.names.hy !== az ? ` / ${p.names.hy}` : "";
      L.circleMarker([p.lat, p.lon], { radius: 2.5, color: "#333", weight: 1, fillColor: "#333",
        fillOpacity: 1, interactive: false, className: "place-dot" })
        .bindTooltip(esc(az + hy), { permanent: true, direction: "right", offset: [3, 0],
          className: "place-label", interactive: false })
        .addTo(group);
    }
    return group.addTo(map);
  }

  function drawPosts(posts) {
    const small = el.clientWidth < 600; // a phone: smaller rings so the rays stay visible
    return L.geoJSON(posts, {
      pointToLayer: (f, ll) => L.circleMarker(ll, { radius: small ? 4 : 5.5, color: "#1d3557",
        weight: small ? 1.5 : 2,
        fillColor: f.properties.kind === "observation_post" ? "#fff" : "#a8dadc", fillOpacity: 1,
        className: "post-marker", pane: "posts" }),
      onEachFeature: (f, layer) => layer.bindTooltip(
        `<b>${esc(f.properties.code)}</b> ${esc(f.properties.name)}`, { direction: "top" }),
    }).addTo(map);
  }

  function drawObservations(obs, start, layers) {
    const group = Vigil.observationLayer(obs, (f, layer) => {
      layer.bindPopup(popupHtml(f.properties, start), { maxWidth: 280 });
      layer.on("popupopen", () => highlight(f.properties.id));
      Vigil.loadEvidence(layer, f.properties.id); // photos: thumbnails linking to the files
      (layers[f.properties.id] = layers[f.properties.id] || []).push(layer);
    });
    // A camera beside each observation with files: a click opens it (and its thumbnails).
    const open = (id) => (layers[id] || [])[0]?.openPopup();
    for (const badge of Vigil.evidenceBadges(obs, open)) group.addLayer(badge);
    return group.addTo(map);
  }

  // Incidents: areas under the rays (so each ray stays clickable), points above them. Opening
  // an incident's popup lights up its reports' rays and list entries; closing it clears them.
  function drawIncidents(features, start, light) {
    let chosen = [];
    const select = (p) => {
      light(p ? [...(p.observation_ids || []), ...(p.summary_ids || [])] : null);
      for (const l of chosen) l.getElement()?.classList.remove("selected");
      chosen = p ? drawn.byId[p.id] || [] : [];
      for (const l of chosen) l.getElement()?.classList.add("selected");
      for (const li of document.querySelectorAll("#observations li")) {
        li.classList.toggle("member", !!p && (p.observation_ids || []).includes(+li.dataset.id));
      }
      for (const li of document.querySelectorAll("#incidents li")) {
        const on = !!p && li.dataset.id === String(p.id);
        li.classList.toggle("active", on);
        if (on) li.scrollIntoView({ block: "nearest" });
      }
    };
    const drawn = Vigil.incidentLayers(features, (f, layer) => {
      layer.bindPopup(Vigil.incidentPopup(f.properties, start, true), { maxWidth: 260 });
      layer.on("popupopen", () => select(f.properties));
      layer.on("popupclose", () => select(null));
    });
    return drawn;
  }

  function incidentList(features, byId, start, obsLayers) {
    const ol = document.getElementById("incidents");
    const seen = new Set();
    for (const f of features) {
      const p = f.properties;
      if (seen.has(p.id)) continue;
      seen.add(p.id);
      const li = document.createElement("li");
      li.dataset.id = p.id;
      li.tabIndex = 0;
      li.innerHTML = `<span class="diamond"></span><span class="what"></span>` +
        `<a class="open" href="/incidents/${encodeURIComponent(p.id)}">#${esc(p.id)}</a>` +
        `<div class="meta"></div>`;
      li.querySelector(".diamond").style.background = kindOf(p.category).colour;
      li.querySelector(".what").textContent = Vigil.incidentLabel(p, start);
      li.querySelector(".meta").textContent = `${p.reports} report${p.reports === 1 ? "" : "s"}` +
        ` · ${Vigil.LOCATION_KINDS[p.location_kind] || p.location_kind}`;
      // From the list: frame the incident with its reports' rays, then open its popup.
      const open = () => {
        const own = (byId[p.id] || []).filter((l) => map.hasLayer(l));
        if (!own.length) return;
        const rays = (p.observation_ids || []).flatMap((id) => obsLayers[id] || []);
        const bounds = L.featureGroup([...own, ...rays]).getBounds();
        if (bounds.isValid()) map.fitBounds(bounds, { maxZoom: 12, padding: [24, 24] });
        own[0].openPopup();
      };
      li.addEventListener("click", (e) => { if (!e.target.closest("a")) open(); });
      li.addEventListener("keydown", (e) => { if (e.key === "Enter") open(); });
      ol.appendChild(li);
    }
    document.getElementById("incident-count").textContent = String(seen.size);
  }

  // Names overlap when zoomed out: settlements first (in gazetteer order), then districts;
  // a name that would cover one already shown is hidden until the map is zoomed in.
  function declutter() {
    const shown = [];
    const tips = [...el.querySelectorAll(".place-label"), ...el.querySelectorAll(".zone-label")];
    for (const tip of tips) {
      tip.style.visibility = "";
      const r = tip.getBoundingClientRect();
      const clash = shown.some((s) => r.left < s.right && r.right > s.left &&
        r.top < s.bottom && r.bottom > s.top);
      if (clash) tip.style.visibility = "hidden"; else shown.push(r);
    }
  }

  function highlight(id) {
    for (const li of document.querySelectorAll("#observations li")) {
      const on = li.dataset.id === String(id);
      li.classList.toggle("active", on);
      if (on) li.scrollIntoView({ block: "nearest" });
    }
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
      li.tabIndex = 0;
      li.innerHTML = `<span class="swatch"></span><span class="what"></span><div class="meta"></div>`;
      li.querySelector(".swatch").style.background = kindOf(p.category).colour;
      li.querySelector(".what").textContent = label(p, data.start);
      li.querySelector(".meta").textContent = `${p.post || p.observer || ""} · grade ${p.grade}` +
        (p.shape === "ray" && !p.has_distance ? " · bearing only" : "");
      if (p.evidence > 0) {
        li.classList.add("has-evidence");
        li.querySelector(".meta").insertAdjacentHTML("beforeend", Vigil.evidenceCount(p.evidence));
      }
      const open = () => (layers[p.id] || [])[0]?.openPopup();
      li.addEventListener("click", open);
      li.addEventListener("keydown", (e) => { if (e.key === "Enter") open(); });
      ol.appendChild(li);
    }
    const offset = data.start.slice(19) || "Z";
    const incidents = data.incidents ?? 0;
    document.getElementById("summary").textContent =
      `${data.observations} observations on ${data.day}, times UTC${offset}` +
      (data.truncated ? " (first 5000 shown)" : "") +
      ` · ${incidents} incident${incidents === 1 ? "" : "s"}` +
      (data.incidents_truncated ? " (first 5000 shown)" : "");
  }

  function legend() {
    const box = L.control({ position: "bottomleft" });
    box.onAdd = () => {
      const d = L.DomUtil.create("details", "legend");
      if (window.innerWidth > 600) d.open = true;
      const line = (style) => `<svg width="26" height="10"><line x1="1" y1="5" x2="25" y2="5" ${style}/></svg>`;
      const area = (fill, stroke) => `<svg width="26" height="12"><rect x="1" y="1" width="24" height="10" fill="${fill}" stroke="${stroke}"/></svg>`;
      const dot = (fill, stroke) => `<svg width="26" height="12"><circle cx="13" cy="6" r="4.5" fill="${fill}" stroke="${stroke}" stroke-width="1.5"/></svg>`;
      const rows = [
        [line('stroke="#111" stroke-width="3" stroke-dasharray="8 3 2 3"'), "Line of contact"],
        [area("rgba(42,157,143,.45)", "#137268"), "Lachin corridor"],
        [area("rgba(242,204,96,.35)", "#a67c00"), "Returned district (withdrawal)"],
        [line('stroke="#5c6b7a" stroke-width="1.5" stroke-dasharray="4 3"'), "Area of responsibility"],
        [dot("#fff", "#1d3557"), "Observation post"],
        [dot("#a8dadc", "#1d3557"), "Camera, acoustic sensor"],
        ...KINDS.map((k) => [dot(k.colour, "#222"), k.label]),
        [line('stroke="#444" stroke-width="2"'), "Bearing with distance"],
        [line('stroke="#444" stroke-width="2" stroke-dasharray="4 3"'), "Bearing without distance"],
        ...Vigil.incidentLegendRows(),
        ...Vigil.restrictionLegendRows(),
        ...Vigil.liveLegendRows(),
        Vigil.evidenceLegendRow(),
      ];
      d.innerHTML = "<summary>Legend</summary>" +
        rows.map(([svg, text]) => `<div class="legend-row">${svg}<span>${text}</span></div>`).join("");
      L.DomEvent.disableClickPropagation(d);
      L.DomEvent.disableScrollPropagation(d);
      return d;
    };
    box.addTo(map);
  }

  function dayLinks() {
    const step = (n) => {
      const d = new Date(`${day}T00:00:00Z`);
      d.setUTCDate(d.getUTCDate() + n);
      return `/map?day=${d.toISOString().slice(0, 10)}`;
    };
    document.getElementById("prev-day").href = step(-1);
    document.getElementById("next-day").href = step(1);
  }

  function fit(zones) {
    const aor = zones.find((f) => f.properties.kind === "area_of_responsibility");
    const bounds = aor ? L.geoJSON(aor).getBounds() : L.geoJSON(zones).getBounds();
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [8, 8] });
    else map.setView([39.8, 46.75], 9);
  }

  function draw(data, places) {
    const layer = (name) => data.features.filter((f) => f.properties.layer === name);
    const zones = layer("zone");
    const obs = layer("observation");
    const incidents = layer("incident");
    const layers = {};
    fit(zones);
    drawZones(zones);
    const placeGroup = drawPlaces(places);
    const postLayer = drawPosts(layer("post"));
    const light = Vigil.highlighter(el, layers);
    const drawn = drawIncidents(incidents, data.start, light);
    drawn.areas.addTo(map);
    const obsLayer = drawObservations(obs, data.start, layers);
    const incidentGroup = L.layerGroup([drawn.areas, drawn.points]).addTo(map);
    const restrictionGroup = Vigil.restrictionLayer(layer("restriction"), data.start).addTo(map);
    const liveGroup = Vigil.liveLayer().addTo(map);
    L.control.layers(null, { "Place names": placeGroup, "Posts": postLayer,
      "Observations": obsLayer, "Incidents": incidentGroup, "Restrictions": restrictionGroup,
      "Patrols (live)": liveGroup },
    { collapsed: true, position: "topright" }).addTo(map);
    legend();
    list(obs, layers, data);
    incidentList(incidents, drawn.byId, data.start, layers);
    map.on("overlayadd", (e) => {
      if (e.layer === incidentGroup && map.hasLayer(obsLayer)) obsLayer.bringToFront();
    });
    map.on("zoomend overlayadd", () => requestAnimationFrame(declutter));
    declutter();
    el.dataset.state = "ready";
  }

  const json = (url) => fetch(url, { credentials: "same-origin" })
    .then((r) => { if (!r.ok) throw new Error(`HTTP ${r.status} for ${url}`); return r.json(); });

  dayLinks();
  Promise.all([json(`/api/v1/map/day?date=${encodeURIComponent(day)}`), json("/api/v1/places")])
    .then(([data, places]) => draw(data, places))
    .catch((e) => {
      el.dataset.state = "error";
      document.getElementById("summary").textContent = `Could not load the map: ${e.message}`;
    });
})();
