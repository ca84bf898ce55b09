// Live map: region outlines per level and cases in the visible box, clustered and
// coloured by state; yellow/red rings for stages past warning/due; inspectors' latest
// positions. Filters go to the API.
(function () {
  "use strict";
  const W = window.Wangge;
  const form = document.getElementById("filters");
  const T = JSON.parse(document.getElementById("map-i18n").textContent);
  const STATE_COLOURS = {
    reported: "#6b7280", verifying: "#6b7280", registered: "#6b7280",
    filed: "#2563eb", dispatched: "#2563eb",
    handling: "#7c3aed", suspended: "#a16207",
    handled: "#059669", checking: "#059669", check_passed: "#059669",
  };
  const LEVEL_STYLE = {
    district: { color: "#111827", weight: 3, fill: false },
    street: { color: "#1d4ed8", weight: 2, fill: false },
    community: { color: "#0891b2", weight: 1.5, fill: false, dashArray: "4 3" },
    grid: { color: "#64748b", weight: 1, fill: false },
  };
  const map = L.map("map", { preferCanvas: true, minZoom: 8, maxZoom: 19 }).setView([36.09, 120.32], 13);
  const overlays = {};
  for (const level of Object.keys(LEVEL_STYLE)) {
    overlays[T.levels[level] || level] = L.geoJSON(null, {
      style: LEVEL_STYLE[level],
      onEachFeature: (f, layer) => layer.bindTooltip(f.properties.name + " " + f.properties.code),
    });
  }
  const levelOf = {};
  Object.keys(LEVEL_STYLE).forEach((level) => { levelOf[level] = overlays[T.levels[level] || level]; });
  levelOf.district.addTo(map);
  levelOf.street.addTo(map);
  // A cluster takes the worst card among its cases: red if any is overdue, else yellow.
  const cluster = L.markerClusterGroup({
    chunkedLoading: true,
    disableClusteringAtZoom: 18,
    iconCreateFunction: (group) => {
      const states = group.getAllChildMarkers().map((m) => m.options.caseState);
      const card = states.includes("overdue") ? " cluster-overdue" : states.includes("warn") ? " cluster-warn" : "";
      return L.divIcon({
        html: "<div><span>" + group.getChildCount() + "</span></div>",
        className: "marker-cluster marker-cluster-small" + card,
        iconSize: L.point(40, 40),
      });
    },
  });
  cluster.addTo(map);
  // Inspectors' latest positions: a layer of its own, never clustered with cases.
  const inspectors = L.layerGroup().addTo(map);
  const inspectorRenderer = L.svg();  // a few hundred pins: SVG keeps each one an element
  overlays[T.inspectors] = inspectors;
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
    params.set("page_size", "200");
    const data = new FormData(form);
    for (const name of ["street", "community", "item", "status", "source", "overdue"]) {
      const value = data.get(name);
      if (value) params.set(name, value);
    }
    if (data.get("date_from")) params.set("reported_at_after", data.get("date_from") + "T00:00:00");
    if (data.get("date_to")) params.set("reported_at_before", data.get("date_to") + "T23:59:59");
    return params;
  }

  function marker(item) {
    const ll = item.point && item.point.coordinates;
    if (!ll) return null;
    const state = W.stageState(item);
    const icon = L.divIcon({
      className: "case-pin " + state,
      html: '<i style="background:' + (STATE_COLOURS[item.status] || "#374151") + '"></i>',
      iconSize: [18, 18],
    });
    const m = L.marker([ll[1], ll[0]], { icon: icon, title: item.number || String(item.id) });
    m.bindPopup('<a href="/cases/' + item.id + '/">' + W.esc(item.number || item.id) + "</a><br>" +
      W.esc(T.statuses[item.status] || item.status) + "<br>" + W.esc(item.item && item.item.name) + "<br>" + W.esc(item.address));
    m.options.caseState = state;
    return m;
  }

  let loading = 0;
  async function loadCases() {
    const ticket = ++loading;
    const res = await W.api(form.dataset.cases + "?" + query().toString());
    if (ticket !== loading || !res.ok) return;
    const items = res.data.results || [];
    cluster.clearLayers();
    const markers = items.map(marker).filter(Boolean);
    cluster.addLayers(markers);
    const counts = { warn: 0, overdue: 0 };
    markers.forEach((m) => { if (counts[m.options.caseState] !== undefined) counts[m.options.caseState]++; });
    const box = document.getElementById("map-count");
    box.textContent = items.length + " " + T.cases + (res.data.next ? " · " + T.more : "");
    box.dataset.count = items.length;
    box.dataset.warn = counts.warn;
    box.dataset.overdue = counts.overdue;
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

  form.addEventListener("change", loadCases);
  form.addEventListener("submit", (e) => { e.preventDefault(); loadCases(); });
  map.on("moveend", () => { loadRegions(); loadCases(); loadInspectors(); });
  map.on("overlayadd", () => { loadRegions(); loadInspectors(); });
  loadRegions().then(() => { loadCases(); loadInspectors(); });
  setInterval(loadCases, 60000);
  setInterval(loadInspectors, 30000);
})();
