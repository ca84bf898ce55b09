// Live map: region outlines per level, the work (every overdue case in the jurisdiction, the
// open cases in view; closed ones only behind a filter), clustered and coloured by state with
// yellow/red rings; inspectors' latest positions; a click on the map shows that grid's
// inspectors and open cases. The base is the configured tile server (MAP_TILES_URL), or
// without one the district's own regions, styled as a plain offline map.
(function () {
  "use strict";
  const W = window.Wangge;
  const form = document.getElementById("filters");
  const T = JSON.parse(document.getElementById("map-i18n").textContent);
  // Pins are coloured by class (.s-<status> in app.css): the CSP allows no style attributes.
  const STATES = ["reported", "verifying", "registered", "filed", "dispatched", "handling",
    "suspended", "handled", "checking", "check_passed", "closed", "rejected", "duplicate", "voided"];
  const BASE = JSON.parse(document.getElementById("map-base").textContent);
  const OFFLINE = !BASE.tiles;
  // Without tiles the regions are the base: streets as soft land fills (the CSS gives the
  // map a water-grey background), so the work stands out against something map-like.
  const LEVEL_STYLE = {
    district: { color: "#111827", weight: 3, fill: OFFLINE, fillColor: "#f8fafc", fillOpacity: OFFLINE ? 1 : 0 },
    street: { color: "#1d4ed8", weight: 2, fill: OFFLINE, fillColor: "#e7eef8", fillOpacity: OFFLINE ? 0.9 : 0 },
    community: { color: "#0891b2", weight: 1.5, fill: false, dashArray: "4 3" },
    grid: { color: "#64748b", weight: 1, fill: false },
  };
  const map = L.map("map", { preferCanvas: true, minZoom: 8, maxZoom: 19 }).setView(BASE.center || [36.09, 120.32], BASE.zoom || 13);
  W.liveMap = map;  // for the layer panel (static/layers/map-hook.js)
  if (OFFLINE) {
    document.getElementById("map").classList.add("offline-base");
    map.attributionControl.addAttribution(W.esc(T.base_offline));
  } else {
    L.tileLayer(BASE.tiles, { attribution: W.esc(BASE.attribution), maxZoom: 19 }).addTo(map);
  }
  const overlays = {};
  for (const level of Object.keys(LEVEL_STYLE)) {
    // Region names come from the admin and from imported files: escaped, never markup.
    overlays[W.esc(T.levels[level] || level)] = L.geoJSON(null, {
      style: LEVEL_STYLE[level],
      onEachFeature: (f, layer) => layer.bindTooltip(W.esc(f.properties.name) + " " + W.esc(f.properties.code)),
    });
  }
  const levelOf = {};
  Object.keys(LEVEL_STYLE).forEach((level) => { levelOf[level] = overlays[W.esc(T.levels[level] || level)]; });
  levelOf.district.addTo(map);
  levelOf.street.addTo(map);
  // A cluster takes the worst card among its cases: red if any is overdue, else yellow.
  const cluster = L.markerClusterGroup({
    chunkedLoading: true,
    disableClusteringAtZoom: 18,
    // The legend's colours only: red if any case is overdue, yellow if any is warned, else
    // the neutral blue-grey of "cases here" (never MarkerCluster's size colours).
    iconCreateFunction: (group) => {
      const states = group.getAllChildMarkers().map((m) => m.options.caseState);
      const card = states.includes("overdue") ? "cluster-overdue" : states.includes("warn") ? "cluster-warn" : "cluster-ok";
      const n = group.getChildCount();
      return L.divIcon({
        html: "<div><span>" + n + "</span></div>",
        className: "marker-cluster case-cluster " + card,
        iconSize: L.point(n >= 100 ? 48 : 40, n >= 100 ? 48 : 40),
      });
    },
  });
  cluster.addTo(map);
  // Inspectors' latest positions: a layer of its own, never clustered with cases.
  const inspectors = L.layerGroup().addTo(map);
  const inspectorRenderer = L.svg();  // a few hundred pins: SVG keeps each one an element
  overlays[W.esc(T.inspectors)] = inspectors;
  L.control.layers(null, overlays, { collapsed: false }).addTo(map);
  let fitted = false;

  function bbox() {
    const b = map.getBounds();
    return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(6)).join(",");
  }

  async function loadRegions() {
    let outlines = 0;
    for (const level of Object.keys(LEVEL_STYLE)) {
      const layer = levelOf[level];
      if (!map.hasLayer(layer) && fitted) continue;
      if (level === "grid" && map.getZoom() < 14 && fitted) continue;
      const res = await W.api(form.dataset.regions + "?level=" + level + "&limit=1000" + (fitted ? "&bbox=" + bbox() : ""));
      if (!res.ok) continue;
      layer.clearLayers();
      layer.addData(W.features(res.data));
      outlines += layer.getLayers().length;
      if (!fitted && level === "district" && layer.getLayers().length) {
        fitted = true;
        map.fitBounds(layer.getBounds());
      }
    }
    document.getElementById("map").dataset.outlines = outlines;
  }

  function query() {
    const params = new URLSearchParams();
    params.set("bbox", bbox());
    const data = new FormData(form);
    for (const name of ["street", "community", "item", "status", "source", "overdue", "closed", "date_from", "date_to"]) {
      const value = data.get(name);
      if (value) params.set(name, value);
    }
    return params;
  }

  function marker(item) {
    const ll = [item.lon, item.lat];
    const state = item.card;
    const colour = STATES.includes(item.status) ? "s-" + item.status : "s-other";
    const icon = L.divIcon({
      className: "case-pin " + W.token(state),
      html: '<i class="' + colour + '"></i>',
      iconSize: [18, 18],
    });
    const m = L.marker([ll[1], ll[0]], { icon: icon, title: String(item.number || item.id) });
    m.bindPopup('<a href="/cases/' + encodeURIComponent(String(item.id)) + '/">' + W.esc(item.number || item.id) + "</a><br>" +
      W.esc(T.statuses[item.status] || item.status) + " · " + W.esc(T.cards[state] || "") + "<br>" + W.esc(item.item) + "<br>" + W.esc(item.address));
    m.options.caseState = state;
    return m;
  }

  let loading = 0;
  async function loadCases() {
    const ticket = ++loading;
    const res = await W.api(form.dataset.cases + "?" + query().toString());
    if (ticket !== loading || !res.ok) return;
    const items = res.data.cases || [];
    cluster.clearLayers();
    const markers = items.map(marker).filter(Boolean);
    cluster.addLayers(markers);
    const counts = { warn: 0, overdue: 0, closed: 0 };
    markers.forEach((m) => { if (counts[m.options.caseState] !== undefined) counts[m.options.caseState]++; });
    const box = document.getElementById("map-count");
    box.textContent = res.data.overdue_total + " " + T.overdue_all + " · " + res.data.open_in_view + " " + T.open_in_view +
      (res.data.truncated ? " · " + T.more : "");
    box.dataset.count = items.length;
    box.dataset.warn = counts.warn;
    box.dataset.overdue = counts.overdue;
    box.dataset.closed = counts.closed;
    box.dataset.overdueTotal = res.data.overdue_total;
    document.getElementById("map").dataset.loaded = "1";
  }

  async function loadInspectors() {
    if (!map.hasLayer(inspectors)) return;
    const res = await W.api(form.dataset.positions + "?bbox=" + bbox());
    if (!res.ok) return;
    const features = W.features(res.data);
    inspectors.clearLayers();
    features.forEach((f) => {
      const ll = f.geometry && f.geometry.coordinates;
      if (!ll) return;
      const p = f.properties;
      const minutes = Math.round(p.age_seconds / 60);
      L.circleMarker([ll[1], ll[0]], {
        radius: 6, weight: 2, color: "#fff", fillColor: "#ea580c",
        fillOpacity: minutes > 30 ? 0.35 : 0.95, className: "inspector-pin", renderer: inspectorRenderer,
      }).bindTooltip(W.esc(p.name) + " · " + W.esc(T.fix_age.replace("%(minutes)s", minutes)))
        .addTo(inspectors);
    });
    document.getElementById("map").dataset.inspectors = features.length;
  }

  // A click on the map (not on a pin) shows the grid there: its inspectors and open cases.
  async function showGrid(e) {
    const url = form.dataset.grid + "?lon=" + e.latlng.lng.toFixed(6) + "&lat=" + e.latlng.lat.toFixed(6);
    const res = await W.api(url);
    if (!res.ok || !res.data || !res.data.code) return;
    const g = res.data;
    const people = g.inspectors.length
      ? g.inspectors.map((p) => "<li>" + W.esc(p.name) + ' <span class="muted">' +
          W.esc(p.minutes_since_fix == null ? T.never_seen : T.fix_age.replace("%(minutes)s", p.minutes_since_fix)) + "</span></li>").join("")
      : '<li class="muted">' + W.esc(T.no_inspector) + "</li>";
    const cases = g.cases.length
      ? g.cases.map((c) => '<li class="card-' + W.token(c.card) + '"><a href="' + W.esc(W.safeUrl(c.url)) + '">' + W.esc(c.number) + "</a> " +
          W.esc(c.item) + ' <span class="muted">' + W.esc(T.statuses[c.status] || c.status) + "</span></li>").join("")
      : '<li class="muted">' + W.esc(T.none_open) + "</li>";
    L.popup({ maxWidth: 360, className: "grid-popup" })
      .setLatLng(e.latlng)
      .setContent('<div data-testid="grid-card"><b>' + W.esc(T.grid) + " " + W.esc(g.name) + "</b> " + W.esc(g.code) +
        "<h4>" + W.esc(T.grid_inspectors) + "</h4><ul>" + people + "</ul><h4>" + W.esc(T.grid_open) + " (" + Number(g.open_total) + ")</h4><ul>" + cases + "</ul></div>")
      .openOn(map);
  }
  map.on("click", showGrid);

  form.addEventListener("change", loadCases);
  form.addEventListener("submit", (e) => { e.preventDefault(); loadCases(); });
  map.on("moveend", () => { loadRegions(); loadCases(); loadInspectors(); });
  map.on("overlayadd", () => { loadRegions(); loadInspectors(); });
  loadRegions().then(() => { loadCases(); loadInspectors(); });
  setInterval(loadCases, 30000);
  setInterval(loadInspectors, 30000);
})();
