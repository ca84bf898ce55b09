// The map's layer panel: the catalogue you may see (GET /api/v1/layers/), grouped by category,
// with search; a ticked layer is drawn from its features in view (by box and zoom; clusters
// with their count where a dense dataset is counted), or from its owner's WMS/WMTS/XYZ/GeoJSON
// service; a click on a feature shows its attributes, and a camera's player.
//   WanggeLayers.panel(map, container, config) -> {layers(), show(code), hide(code)}
// config: {api, strings, workerPath}. Strings come from the page (json_script), DOM is built
// with nodes, styles are set through the CSSOM: the page's security policy allows no inline code.
(function () {
  "use strict";
  const NS = (window.WanggeLayers = window.WanggeLayers || {});
  const PAGE_SIZE = 2000;
  const MAX_PAGES = 3;
  const OPEN_GROUPS_UP_TO = 24;

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = text;
    return node;
  }

  async function getJSON(url) {
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    let data = null;
    try { data = await response.json(); } catch (err) { data = null; }
    return { ok: response.ok, status: response.status, data: data };
  }

  function text(value) {
    if (value == null) return "—";
    if (typeof value === "object") return JSON.stringify(value);
    return String(value);
  }

  function pathStyle(style) {
    const s = style || {};
    const fill = s.fill;
    return {
      color: s.color || "#2563eb",
      weight: s.weight != null ? s.weight : 2,
      dashArray: s.dash || null,
      fill: fill !== false,
      fillColor: typeof fill === "string" ? fill : s.color || "#2563eb",
      fillOpacity: fill === false ? 0 : 0.25,
    };
  }

  NS.panel = function (map, container, config) {
    const T = config.strings;
    const state = {};  // code -> {layer, group, loading, row}
    let catalogue = [];
    const renderer = L.canvas({ padding: 0.2 });

    container.textContent = "";
    container.classList.add("layer-panel");
    const head = el("div", "layer-panel-head");
    head.appendChild(el("b", null, T.title));
    const search = el("input", "layer-search");
    search.type = "search";
    search.placeholder = T.search;
    search.setAttribute("aria-label", T.search);
    search.dataset.testid = "layer-search";
    head.appendChild(search);
    container.appendChild(head);
    const list = el("div", "layer-groups");
    list.textContent = T.loading;
    container.appendChild(list);
    const empty = el("p", "muted", T.none);
    empty.hidden = true;
    container.appendChild(empty);
    if (L.DomEvent) {
      L.DomEvent.disableClickPropagation(container);
      L.DomEvent.disableScrollPropagation(container);
    }

    function bbox() {
      const b = map.getBounds();
      return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(6)).join(",");
    }

    // --- the catalogue ---------------------------------------------------------------------

    function render() {
      list.textContent = "";
      const groups = new Map();
      for (const layer of catalogue) {
        const key = layer.category.code;
        if (!groups.has(key)) groups.set(key, { category: layer.category, layers: [] });
        groups.get(key).layers.push(layer);
      }
      const ordered = Array.from(groups.values()).sort((a, b) => a.category.ordering - b.category.ordering);
      for (const group of ordered) {
        const box = el("details", "layer-group");
        // A short catalogue opens every group; a long one (the district's 142 layers) starts
        // folded, and a search opens the groups it matches.
        box.open = catalogue.length <= OPEN_GROUPS_UP_TO;
        box.dataset.category = group.category.code;
        const summary = el("summary", null, group.category.label);
        summary.appendChild(el("span", "muted", " " + group.layers.length));
        box.appendChild(summary);
        for (const layer of group.layers) box.appendChild(row(layer));
        list.appendChild(box);
      }
      filter();
      zoomHints();
    }

    function row(layer) {
      const label = el("label", "layer-row");
      label.dataset.layer = layer.code;
      label.dataset.search = [layer.label, layer.name, layer.name_en, layer.code,
        layer.owner ? layer.owner.name : "", layer.category.label].join(" ").toLowerCase();
      const box = el("input");
      box.type = "checkbox";
      box.value = layer.code;
      box.dataset.testid = "layer-toggle-" + layer.code;
      box.addEventListener("change", () => (box.checked ? show(layer.code) : hide(layer.code)));
      label.appendChild(box);
      const swatch = el("i", "layer-swatch");
      swatch.style.background = (layer.style && layer.style.color) || "#2563eb";
      label.appendChild(swatch);
      const name = el("span", "layer-name", layer.label);
      label.appendChild(name);
      if (layer.source !== "external") label.appendChild(el("span", "layer-count muted", String(layer.feature_count)));
      if (layer.freshness === "stale") label.appendChild(el("span", "layer-stale", T.stale));
      const hint = el("span", "layer-hint muted");
      hint.hidden = true;
      label.appendChild(hint);
      state[layer.code] = { meta: layer, row: label, box: box, hint: hint, group: null, ticket: 0 };
      return label;
    }

    function filter() {
      const words = search.value.trim().toLowerCase();
      let shown = 0;
      for (const group of list.querySelectorAll(".layer-group")) {
        let visible = 0;
        for (const label of group.querySelectorAll(".layer-row")) {
          const match = !words || label.dataset.search.includes(words);
          label.hidden = !match;
          if (match) visible++;
        }
        group.hidden = visible === 0;
        if (words && visible) group.open = true;
        shown += visible;
      }
      empty.hidden = shown > 0 || !catalogue.length;
    }

    function zoomHints() {
      const zoom = map.getZoom();
      for (const code of Object.keys(state)) {
        const entry = state[code];
        // Said of ticked layers only: an unticked one is not waiting for anything.
        const tooFar = entry.box.checked && zoom < entry.meta.min_zoom;
        if (tooFar) entry.hint.textContent = T.zoom_in;
        else if (!entry.more) entry.hint.textContent = "";
        entry.hint.hidden = !entry.hint.textContent;
      }
    }

    // --- drawing a layer -------------------------------------------------------------------

    function show(code) {
      const entry = state[code];
      if (!entry) return;
      entry.box.checked = true;
      const meta = entry.meta;
      if (meta.source === "external") {
        entry.group = external(meta);
        if (entry.group) entry.group.addTo(map);
        entry.row.dataset.loaded = "1";
        return;
      }
      entry.group = L.layerGroup().addTo(map);
      load(entry);
    }

    function hide(code) {
      const entry = state[code];
      if (!entry) return;
      entry.box.checked = false;
      entry.ticket++;
      if (entry.group) map.removeLayer(entry.group);
      entry.group = null;
      entry.more = false;
      delete entry.row.dataset.loaded;
      delete entry.row.dataset.count;
      zoomHints();
    }

    function external(meta) {
      const ext = meta.external || {};
      const options = ext.options || {};
      const attribution = options.attribution || "";
      if (ext.kind === "wms") {
        return L.tileLayer.wms(ext.url, {
          layers: options.layers || "",
          styles: options.styles || "",
          format: options.format || "image/png",
          transparent: true,
          attribution: attribution,
        });
      }
      if (ext.kind === "xyz" || ext.kind === "wmts") {
        return L.tileLayer(ext.url, { attribution: attribution, maxZoom: 20 });
      }
      if (ext.kind === "geojson") {
        const group = L.geoJSON(null, {
          style: () => pathStyle(meta.style),
          pointToLayer: (f, ll) => L.circleMarker(ll, Object.assign(pointStyle(meta), { renderer: renderer })),
          onEachFeature: (f, layer) => layer.on("click", (e) => popup(e.latlng, meta, localFeature(meta, f))),
        });
        getJSON(ext.url).then((res) => { if (res.ok && res.data) group.addData(res.data); });
        return group;
      }
      return null;
    }

    function localFeature(meta, feature) {
      const props = feature.properties || {};
      return {
        name: props.name || props.NAME || "",
        attributes: Object.keys(props).map((k) => ({ name: k, label: k, value: props[k] })),
        note: T.external_note,
      };
    }

    function pointStyle(meta) {
      const s = meta.style || {};
      const colour = s.color || "#2563eb";
      return { radius: s.radius || 5, color: "#fff", weight: 1, fillColor: colour, fillOpacity: 0.9 };
    }

    async function load(entry) {
      const meta = entry.meta;
      if (!entry.group) return;
      const zoom = map.getZoom();
      const ticket = ++entry.ticket;
      zoomHints();
      if (zoom < meta.min_zoom) {
        entry.group.clearLayers();
        entry.row.dataset.loaded = "1";
        entry.row.dataset.count = "0";
        return;
      }
      let url = meta.features_url + "?bbox=" + bbox() + "&zoom=" + zoom + "&page_size=" + PAGE_SIZE;
      const drawn = [];
      let clustered = false;
      let more = false;
      for (let page = 0; url && page < MAX_PAGES; page++) {
        const res = await getJSON(url);
        if (ticket !== entry.ticket) return;  // moved or hidden meanwhile
        if (!res.ok || !res.data) { entry.hint.textContent = T.failed; entry.hint.hidden = false; return; }
        clustered = res.data.clustered;
        drawn.push(...res.data.features);
        url = res.data.next;
        more = !!url;
      }
      entry.group.clearLayers();
      for (const feature of drawn) {
        // A cell holding one feature is that feature: drawn and opened like one.
        const single = clustered && feature.properties.count === 1 && feature.id != null;
        const layer = clustered && !single ? clusterMarker(meta, feature) : featureLayer(meta, feature);
        if (layer) entry.group.addLayer(layer);
      }
      entry.more = more;
      entry.hint.textContent = more ? T.more : "";
      entry.hint.hidden = !more;
      entry.row.dataset.loaded = "1";
      entry.row.dataset.count = String(drawn.length);
      entry.row.dataset.clustered = clustered ? "1" : "0";
    }

    function clusterMarker(meta, feature) {
      const c = feature.geometry.coordinates;
      const count = feature.properties.count;
      const size = count < 10 ? 26 : count < 100 ? 32 : count < 1000 ? 40 : 48;
      const icon = L.divIcon({
        className: "layer-cluster",
        html: "<span>" + (count >= 10000 ? Math.round(count / 1000) + "k" : count) + "</span>",
        iconSize: [size, size],
      });
      const marker = L.marker([c[1], c[0]], { icon: icon, keyboard: false });
      // The layer's colour (through the CSSOM: no inline style in markup), on a square that
      // does not read as the map's round case clusters.
      const colour = (meta.style && meta.style.color) || "#2563eb";
      marker.on("add", () => { const node = marker.getElement(); if (node) node.style.background = colour; });
      marker.bindTooltip(T.cluster.replace("%(n)s", String(count)));
      marker.on("click", () => map.setView([c[1], c[0]], Math.min(map.getZoom() + 2, map.getMaxZoom())));
      return marker;
    }

    function featureLayer(meta, feature) {
      if (!feature.geometry) return null;
      const layer = L.geoJSON(feature, {
        style: () => pathStyle(meta.style),
        pointToLayer: (f, ll) => L.circleMarker(ll, Object.assign(pointStyle(meta), { renderer: renderer })),
      });
      layer.eachLayer((child) => {
        if (child.getElement && feature.properties.name) child.bindTooltip(feature.properties.name);
        child.on("click", (e) => open(meta, feature.id, e.latlng));
      });
      return layer;
    }

    // --- a feature's attributes ------------------------------------------------------------

    async function open(meta, id, latlng) {
      const res = await getJSON(meta.features_url + id + "/");
      if (!res.ok || !res.data) return;
      popup(latlng, meta, res.data);
    }

    function popup(latlng, meta, feature) {
      const box = el("div", "feature-popup");
      box.dataset.testid = "feature-popup";
      box.appendChild(el("div", "feature-layer muted", meta.label));
      if (!feature.camera) box.appendChild(el("b", "feature-name", feature.name || ""));
      // A camera: its player first (name, state, place, direction), then the rest.
      let player = null;
      if (feature.camera && NS.player) {
        const screen = el("div", "feature-camera");
        box.appendChild(screen);
        player = NS.player(screen, feature.camera, T, { workerPath: config.workerPath });
      }
      // A camera's player shows its name, state, place and direction: the table keeps the rest.
      const shown = feature.camera ? ["name", "place", "direction", "state", "owner"] : [];
      const rows = (feature.attributes || []).filter((a) => !shown.includes(a.name));
      if (rows.length) {
        const table = el("table", "feature-attributes");
        for (const a of rows) {
          const tr = el("tr");
          tr.dataset.attribute = a.name;
          tr.appendChild(el("th", null, a.label));
          tr.appendChild(el("td", null, text(a.value)));
          table.appendChild(tr);
        }
        box.appendChild(table);
      } else {
        box.appendChild(el("p", "muted", T.no_attributes));
      }
      if (feature.note) box.appendChild(el("p", "muted", feature.note));
      if (feature.link) {
        const a = el("a", "feature-link", T.open);
        a.href = feature.link;
        box.appendChild(a);
      }
      const popupLayer = L.popup({ maxWidth: 380, minWidth: 260 }).setLatLng(latlng).setContent(box).openOn(map);
      if (player) popupLayer.on("remove", () => player.destroy());
    }

    // --- wiring ----------------------------------------------------------------------------

    search.addEventListener("input", filter);
    map.on("moveend", () => {
      zoomHints();
      for (const code of Object.keys(state)) {
        const entry = state[code];
        if (entry.group && entry.meta.source !== "external") load(entry);
      }
    });

    getJSON(config.api + "?limit=500").then((res) => {
      if (!res.ok || !res.data) { list.textContent = T.failed; return; }
      catalogue = res.data.results || [];
      render();
      container.dataset.ready = "1";
    });

    return {
      layers: () => catalogue,
      show: show,
      hide: hide,
    };
  };

  // The dashboard map's hook: a panel in a Leaflet control on the map the page made.
  NS.attachToMap = function (map, element, config) {
    const Control = L.Control.extend({
      options: { position: "topright" },
      onAdd: () => element,
    });
    new Control().addTo(map);
    return NS.panel(map, element, config);
  };
})();
