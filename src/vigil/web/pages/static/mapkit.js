// What the map of the day and the incident page draw alike: category colours, escaping,
// times in mission time, observation rays, and incidents as a point, a 95 % ellipse or a
// bearing-only wedge. Plain script, no build step; it defines window.Vigil.
window.Vigil = (function () {
  "use strict";
  const KINDS = [
    { key: "explosion", label: "Explosion, projectile", colour: "#d62828",
      match: ["explosion", "projectile", "drone_strike"] },
    { key: "small_arms", label: "Small arms, anti-aircraft", colour: "#f77f00",
      match: ["small_arms", "anti_aircraft"] },
    { key: "flare", label: "Illumination flare", colour: "#e0b000", match: ["illumination_flare"] },
    { key: "other", label: "Other (movement, …)", colour: "#7b2cbf", match: [] },
  ];
  const INCIDENT_INK = "#14213d"; // incidents are drawn in dark ink, observations in colour
  const LOCATION_KINDS = {
    point: "located, 95 % ellipse",
    wedge: "bearing only: somewhere in the wedge",
    degenerate: "near-parallel rays: position unreliable",
    none: "not located",
  };

  function kindOf(category) {
    const part = String(category || "").split(".")[1] || "";
    return KINDS.find((k) => k.match.includes(part)) || KINDS[KINDS.length - 1];
  }

  function esc(s) {
    return String(s ?? "").replace(/[&<>"']/g, (c) =>
      ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  }

  // Times are shown in mission time: the offset of `startIso`, as the server gives it.
  function missionClock(iso, startIso) {
    const offset = String(startIso || "").slice(19) || "Z";
    const sign = offset === "Z" ? 0 : (offset[0] === "-" ? -1 : 1);
    const minutes = sign * ((+offset.slice(1, 3) || 0) * 60 + (+offset.slice(4, 6) || 0));
    const local = new Date(Date.parse(iso) + minutes * 60000);
    return local.toISOString().slice(11, 16);
  }

  function what(category) {
    const c = String(category || "");
    return c.split(".").slice(1).join(" ").replace(/_/g, " ") || c;
  }

  // Observations with evidence files (the map's `evidence` count) carry this class too.
  const withEvidence = (p, cls) => (p.evidence > 0 ? `${cls} has-evidence` : cls);

  function rayStyle(f) {
    return { color: kindOf(f.properties.category).colour, weight: 1.75, opacity: 0.75,
      dashArray: f.properties.has_distance ? null : "6 5",
      className: withEvidence(f.properties, "observation-ray") };
  }

  function observationLayer(features, onEach) {
    return L.geoJSON(features, {
      // Leaflet applies `style` to points too, before drawing them: leave their look alone.
      style: (f) => (f.geometry.type === "Point"
        ? { className: withEvidence(f.properties, "observation-marker") } : rayStyle(f)),
      pointToLayer: (f, ll) => L.circleMarker(ll, { radius: 5, weight: 1.5, color: "#222",
        fillColor: kindOf(f.properties.category).colour, fillOpacity: 0.9,
        className: withEvidence(f.properties, "observation-marker") }),
      onEachFeature: onEach,
    });
  }

  // A camera drawn inline (no icon font, no image fetched), for evidence badges and lists.
  const CAMERA = '<svg class="camera" viewBox="0 0 16 12" width="14" height="11" ' +
    'aria-hidden="true"><path d="M1.5 3h3l1.2-2h4.6l1.2 2h3a1 1 0 0 1 1 1v6.5a1 1 0 0 1-1 1' +
    'h-12a1 1 0 0 1-1-1V4a1 1 0 0 1 1-1z" fill="#1d3557"/><circle cx="8" cy="7" r="2.8" ' +
    'fill="#fff"/><circle cx="8" cy="7" r="1.6" fill="#1d3557"/></svg>';

  const filesWord = (n) => `${n} evidence file${n === 1 ? "" : "s"} (photo, video or sound)`;

  // Where an observation's badge goes: its estimated point, else the tip of its ray.
  function badgeAt(features) {
    const point = features.find((f) => f.geometry.type === "Point");
    if (point) return point.geometry.coordinates;
    const line = features.find((f) => f.geometry.type === "LineString");
    return line ? line.geometry.coordinates[line.geometry.coordinates.length - 1] : null;
  }

  // One camera badge per observation that has evidence files, just above and right of its
  // marker; `onClick(id)` opens that observation.
  function evidenceBadges(features, onClick) {
    const byId = {};
    for (const f of features) {
      if (f.properties.evidence > 0) (byId[f.properties.id] = byId[f.properties.id] || []).push(f);
    }
    const badges = [];
    for (const [id, own] of Object.entries(byId)) {
      const at = badgeAt(own);
      if (!at) continue;
      const n = own[0].properties.evidence;
      const badge = L.marker([at[1], at[0]], { keyboard: true, title: filesWord(n),
        icon: L.divIcon({ className: "evidence-badge", iconSize: [18, 14], iconAnchor: [-2, 18],
          html: CAMERA }) });
      badge.on("click", () => onClick(+id));
      badge.on("add", () => badge.getElement()?.setAttribute("data-id", id));
      badges.push(badge);
    }
    return badges;
  }

  // "📷 n" for a list entry, drawn with the inline camera.
  function evidenceCount(n) {
    if (!(n > 0)) return "";
    return `<span class="evidence-count" title="${esc(filesWord(n))}">${CAMERA}` +
      `<span>${n}</span></span>`;
  }

  function incidentWindow(p, start) {
    const from = missionClock(p.started_at, start);
    const to = missionClock(p.ended_at, start);
    return from === to ? from : `${from}–${to}`;
  }

  function incidentLabel(p, start) {
    return `${incidentWindow(p, start)} ${what(p.category)}` + (p.count > 1 ? ` ×${p.count}` : "");
  }

  function incidentPopup(p, start, withLink) {
    // "Almost sure" is not shown as 100 %.
    const pct = typeof p.existence_p === "number" ? Math.round(p.existence_p * 100) : null;
    const sure = pct === null ? "" : ` · ${p.existence_p < 1 ? Math.min(pct, 99) : pct} % real`;
    const reports = `${p.reports} report${p.reports === 1 ? "" : "s"}` +
      ((p.summary_ids || []).length ? ` + ${p.summary_ids.length} summary` : "");
    const link = withLink ? `<br><a href="/incidents/${encodeURIComponent(p.id)}">` +
      `Incident #${esc(p.id)}: observations and explanation</a>` : "";
    return `<b>${esc(incidentLabel(p, start))}</b><br>${esc(p.status)} · ${esc(reports)}` +
      `${esc(sure)}<br><span class="popup-text">${esc(LOCATION_KINDS[p.location_kind] ||
      p.location_kind)}</span>${link}`;
  }

  function areaStyle(f) {
    const p = f.properties;
    const colour = kindOf(p.category).colour;
    if (p.shape === "wedge") {
      return { color: INCIDENT_INK, weight: 1.5, dashArray: "2 4", fillColor: colour,
        fillOpacity: 0.12, className: `incident-wedge incident-${p.id}` };
    }
    if (p.location_kind === "degenerate") {
      return { color: INCIDENT_INK, weight: 1.5, dashArray: "5 4", fill: false,
        className: `incident-ellipse degenerate incident-${p.id}` };
    }
    return { color: INCIDENT_INK, weight: 1.75, fillColor: colour, fillOpacity: 0.18,
      className: `incident-ellipse incident-${p.id}` };
  }

  function incidentMarker(f, ll) {
    const colour = kindOf(f.properties.category).colour;
    return L.marker(ll, { keyboard: true, title: `Incident #${f.properties.id}`,
      icon: L.divIcon({ className: "incident-marker", iconSize: [16, 16],
        html: `<span style="background:${colour}"></span>` }) });
  }

  // Areas (ellipses, wedges) and points as two layers, so the map can keep rays between
  // them; `byId` gathers every layer of one incident for popups and highlighting.
  function incidentLayers(features, onEach) {
    const byId = {};
    const each = (f, layer) => {
      (byId[f.properties.id] = byId[f.properties.id] || []).push(layer);
      onEach(f, layer);
    };
    const areas = L.geoJSON(features.filter((f) => f.properties.shape !== "point"),
      { style: areaStyle, onEachFeature: each });
    const points = L.geoJSON(features.filter((f) => f.properties.shape === "point"),
      { pointToLayer: incidentMarker, onEachFeature: each });
    return { areas, points, byId };
  }

  // Mark the rays and points of some observations (and dim the rest) until cleared.
  function highlighter(container, observationLayers) {
    let lit = [];
    return function highlight(ids) {
      for (const layer of lit) layer.getElement()?.classList.remove("highlight");
      lit = [];
      container.classList.toggle("incident-selected", !!ids);
      for (const id of ids || []) {
        for (const layer of observationLayers[id] || []) {
          const node = layer.getElement && layer.getElement();
          if (!node) continue;
          node.classList.add("highlight");
          if (layer.bringToFront) layer.bringToFront();
          lit.push(layer);
        }
      }
      return lit.length;
    };
  }

  const svgLine = (style) =>
    `<svg width="26" height="10"><line x1="1" y1="5" x2="25" y2="5" ${style}/></svg>`;

  function incidentLegendRows() {
    return [
      [`<span class="legend-diamond"><span style="background:#888"></span></span>`,
        "Incident: one real event, fused from its reports"],
      [`<svg width="26" height="14"><ellipse cx="13" cy="7" rx="11" ry="5" fill="rgba(0,0,0,.12)" stroke="${INCIDENT_INK}" stroke-width="1.5"/></svg>`,
        "95 % ellipse: where the event most likely was"],
      [`<svg width="26" height="14"><path d="M2 12 L24 2 L24 12 Z" fill="rgba(0,0,0,.1)" stroke="${INCIDENT_INK}" stroke-width="1.5" stroke-dasharray="2 3"/></svg>`,
        "Wedge: seen once, bearing without distance"],
      [svgLine('stroke="#444" stroke-width="3.5"'),
        "Rays of the selected incident's reports"],
    ];
  }

  function evidenceLegendRow() {
    return [`<span class="legend-camera">${CAMERA}</span>`,
      "Observation with photos (or video, sound): open it to see them"];
  }

  // Evidence files of an observation (GET /api/v1/observations/{id}/evidence): thumbnails
  // linking to each file exactly as received; sound and video files as named links.
  const FLAG_WORDS = { far_from_report: "taken far from the reported place",
    time_mismatch: "taken at another time than reported" };

  function evidenceHtml(items) {
    if (!items.length) return "";
    const one = (e) => {
      const f = e.file;
      const flags = (e.flags || []).map((k) => FLAG_WORDS[k] || k).join("; ");
      const title = esc(e.name + (flags ? ` (${flags})` : ""));
      const border = flags ? "#d62828" : "#999";
      const inner = f.thumbnail_url
        ? `<img src="${esc(f.thumbnail_url)}" alt="${title}" style="max-width:120px;` +
          `max-height:90px;display:block;border:2px solid ${border}">`
        : `${esc(f.kind)}: ${esc(e.name)}`;
      return `<span style="display:inline-block;vertical-align:top;max-width:124px;` +
        `margin:4px 4px 0 0"><a class="evidence-link${flags ? " flagged" : ""}" ` +
        `href="${esc(f.url)}" target="_blank" rel="noopener" title="${title}">${inner}</a>` +
        (flags ? `<small style="display:block;color:#a11">⚠ ${esc(flags)}</small>` : "") +
        "</span>";
    };
    return `<div class="evidence">${items.map(one).join("")}</div>`;
  }

  // Fetch an observation's evidence when its popup first opens, and add it to the popup.
  function loadEvidence(layer, id) {
    let asked = false;
    layer.on("popupopen", (e) => {
      if (asked) return;
      asked = true;
      fetch(`/api/v1/observations/${encodeURIComponent(id)}/evidence`,
        { credentials: "same-origin" })
        .then((r) => (r.ok ? r.json() : []))
        .then((items) => {
          const html = evidenceHtml(items);
          if (!html) return;
          const popup = e.popup;
          popup.setContent(popup.getContent() + html);
          const node = popup.getElement();
          for (const img of node ? node.querySelectorAll("img") : []) {
            img.addEventListener("load", () => popup.update());
          }
        })
        .catch(() => { asked = false; });
    });
  }

  return { KINDS, kindOf, esc, missionClock, what, observationLayer, incidentLayers,
    incidentPopup, incidentLabel, highlighter, incidentLegendRows, svgLine, LOCATION_KINDS,
    evidenceHtml, loadEvidence, evidenceBadges, evidenceCount, evidenceLegendRow };
})();
