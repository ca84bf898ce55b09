// The population picture of a region: its figures, the age and sex pyramid, key groups,
// organisations by kind, and beside it a map of the regions below (or, for a grid, of the
// grids of its community) coloured by any figure. Counts hidden from this viewer (null) are
// shown as "<5" and in grey.
(function () {
  "use strict";
  const W = window.Wangge;
  const C = JSON.parse(document.getElementById("population-config").textContent);
  const T = JSON.parse(document.getElementById("population-i18n").textContent);
  const { classes, colourOf, figureOf } = window.WanggeChoropleth;

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") el.className = value;
      else if (key === "text") el.textContent = value;
      else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
      else if (key === "dataset") Object.assign(el.dataset, value);
      else el.setAttribute(key, value);
    }
    children.flat().forEach((c) => { if (c !== null && c !== undefined) el.append(c instanceof Node ? c : String(c)); });
    return el;
  }
  function fmt(template, values) { return String(template).replace(/%\((\w+)\)s/g, (m, k) => values[k] ?? ""); }
  function num(value) {
    if (value === null || value === undefined) return h("span", { class: "hidden-count", title: T.small_help, text: T.small });
    return Number(value).toLocaleString();
  }
  function when(iso) {
    const parts = {};
    new Intl.DateTimeFormat("en-GB", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).formatToParts(new Date(iso)).forEach((p) => { parts[p.type] = p.value; });
    return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
  }
  const statsUrl = (code) => C.stats_url.replace("CODE", code);
  const pageUrl = (code) => C.page_url.replace("CODE", code);

  function figureName(key, stats) {
    if (key.startsWith("kg:")) {
      const group = stats.figures.key_groups.find((g) => g.code === key.slice(3));
      return T.key_group_prefix + ": " + (group ? group.name : key.slice(3));
    }
    return T.figures[key];
  }

  function renderHead(stats) {
    const items = stats.chain.map((r) => h("li", {}, h("a", { href: pageUrl(r.code) }, r.name)));
    document.getElementById("pop-chain").replaceChildren(h("ol", {}, items));
    const fresh = document.getElementById("freshness");
    fresh.textContent = stats.source === "nightly" ? fmt(T.nightly, { at: when(stats.computed_at) }) : T.live + " · " + when(stats.computed_at);
    fresh.dataset.source = stats.source;
    const note = document.getElementById("suppressed-note");
    note.hidden = !stats.suppressed;
    note.textContent = T.suppressed;
  }
  function renderFigures(f) {
    const box = document.getElementById("figures");
    box.replaceChildren(...["persons", "households", "dwellings", "vacant_dwellings", "aged_60_plus", "buildings", "organisations"].map((key) =>
      h("div", { class: "tile", dataset: { figure: key } }, h("b", {}, num(f[key])), h("span", { text: T.figures[key] }))));
  }
  function renderPyramid(p) {
    const box = document.getElementById("pyramid");
    const values = [...p.male, ...p.female].filter((v) => v !== null);
    const top = Math.max(1, ...values);
    const rows = [h("div", { class: "side male head" }, T.male), h("div", { class: "band head" }, ""), h("div", { class: "side female head" }, T.female)];
    for (let i = p.bands.length - 1; i >= 0; i--) {
      const side = (value, cls) => {
        const bar = h("span", { class: "bar" });
        bar.style.width = value === null ? "0" : Math.max(1, Math.round((value / top) * 100)) + "%";
        const label = h("span", { class: "count" }, num(value));
        return h("div", { class: "side " + cls }, cls === "male" ? [label, bar] : [bar, label]);
      };
      rows.push(side(p.male[i], "male"), h("div", { class: "band", text: p.bands[i] }), side(p.female[i], "female"));
    }
    box.replaceChildren(...rows);
    // The bars share one scale per side: widen the bar cell, not the row.
    box.querySelectorAll(".side").forEach((side) => { side.style.minWidth = "0"; });
    if (p.unknown !== 0) box.append(h("p", { class: "muted small" }, T.unknown + ": ", num(p.unknown)));
  }
  function table(el, rows, empty) {
    el.replaceChildren(h("tbody", {}, rows.length ? rows : [h("tr", {}, h("td", { class: "muted", text: empty }))]));
  }

  // --- the map ---------------------------------------------------------------------------------
  const map = L.map("pop-map", { preferCanvas: true, zoomSnap: 0.25 });
  const shapes = L.geoJSON(null).addTo(map);
  const select = document.getElementById("figure");
  let mapStats = null; // the stats whose children are drawn
  let features = [];

  function draw() {
    if (!mapStats) return;
    const key = select.value;
    const byCode = {};
    mapStats.children.forEach((c) => { byCode[c.code] = c; });
    const scale = classes(mapStats.children.map((c) => figureOf(c.figures, key)));
    shapes.clearLayers();
    features.forEach((f) => {
      const child = byCode[f.properties.code];
      const value = child ? figureOf(child.figures, key) : null;
      const here = f.properties.code === C.code;
      L.geoJSON(f, {
        style: { color: here ? "#b91c1c" : "#334155", weight: here ? 3 : 1, fillColor: colourOf(value, scale), fillOpacity: 0.75 },
        onEachFeature: (feat, layer) => {
          layer.bindTooltip(W.esc(f.properties.name) + ": " + W.esc(value === null || value === undefined ? T.small : Number(value).toLocaleString()), { sticky: true });
          layer.on("click", () => { location.href = pageUrl(f.properties.code); });
        },
      }).addTo(shapes);
    });
    const legend = document.getElementById("legend");
    legend.replaceChildren(h("li", {}, h("b", { text: figureName(key, mapStats) })),
      ...scale.map((band) => h("li", {}, h("i", { class: "swatch-" + band.swatch }), band.from === band.to ? String(band.from) : band.from + "–" + band.to)),
      h("li", {}, h("i", { class: "swatch-none" }), T.no_data));
    renderChildren(key);
    document.getElementById("pop-map").dataset.drawn = String(features.length);
  }
  function renderChildren(key) {
    const el = document.getElementById("children");
    const columns = ["persons", "households", "dwellings", "vacant_dwellings", "aged_60_plus", "organisations"];
    const head = h("tr", {}, h("th", { text: T.levels[(mapStats.children[0] || {}).level] || "" }),
      h("th", { class: "num", text: figureName(key, mapStats) }), ...columns.filter((c) => c !== key).map((c) => h("th", { class: "num" + (c === "persons" ? "" : " extra"), text: T.figures[c] })));
    const rows = mapStats.children.map((c) => h("tr", { class: c.code === C.code ? "current" : null, dataset: { code: c.code } },
      h("td", {}, h("a", { href: pageUrl(c.code) }, c.name)),
      h("td", { class: "num" }, num(figureOf(c.figures, key))),
      ...columns.filter((col) => col !== key).map((col) => h("td", { class: "num" + (col === "persons" ? "" : " extra") }, num(c.figures[col])))));
    el.replaceChildren(h("thead", {}, head), h("tbody", {}, rows));
  }

  async function start() {
    const res = await W.api(statsUrl(C.code));
    if (!res.ok) { document.getElementById("figures").replaceChildren(h("p", { class: "error", text: T.failed })); return; }
    const stats = res.data;
    renderHead(stats);
    renderFigures(stats.figures);
    renderPyramid(stats.figures.pyramid);
    table(document.getElementById("key-groups"), stats.figures.key_groups.map((g) =>
      h("tr", {}, h("td", { text: g.name }), h("td", { class: "num" }, num(g.count)))), T.none);
    table(document.getElementById("org-kinds"), stats.figures.organisation_kinds.map((o) =>
      h("tr", {}, h("td", { text: o.kind || T.no_kind }), h("td", { class: "num" }, num(o.count)))), T.none);
    const options = ["persons", "households", "dwellings", "vacant_dwellings", "aged_60_plus", "buildings", "organisations"]
      .map((key) => h("option", { value: key, text: T.figures[key] }));
    stats.figures.key_groups.forEach((g) => options.push(h("option", { value: "kg:" + g.code, text: T.key_group_prefix + ": " + g.name })));
    select.replaceChildren(...options);
    // A grid is drawn among the grids of its community; a roll-up with the regions below it.
    mapStats = stats;
    let parentCode = C.code;
    if (C.level === "grid" && C.parent) {
      const parent = await W.api(statsUrl(C.parent));
      if (parent.ok) { mapStats = parent.data; parentCode = C.parent; }
    }
    document.getElementById("children-title").textContent = (T.levels[(mapStats.children[0] || {}).level] || "") + " · " + mapStats.region.name;
    const shapesRes = await W.api(C.regions_url + "?parent=" + parentCode + "&page_size=500&simplify=0.00002");
    features = shapesRes.ok ? W.features(shapesRes.data) : [];
    if (!features.length) {
      const own = await W.api(C.regions_url + C.code + "/");
      if (own.ok) features = W.features(own.data);
    }
    draw();
    if (shapes.getLayers().length) map.fitBounds(shapes.getBounds(), { padding: [10, 10] });
    document.getElementById("population").dataset.loaded = "1";
  }
  select.addEventListener("change", draw);
  start();
})();
