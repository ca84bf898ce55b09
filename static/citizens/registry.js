// People and places (地楼房人): the map of parcels and buildings, search by place, and the
// cards of the chain land → building → dwelling → person, both ways. Persons are read only
// through the registry API, which logs every read with the reason asked here once per visit.
(function () {
  "use strict";
  const W = window.Wangge;
  const C = JSON.parse(document.getElementById("registry-config").textContent);
  const T = JSON.parse(document.getElementById("registry-i18n").textContent);
  const API = C.api;
  const REASON_KEY = "wangge.registry.reason";
  const LAYER_ZOOM = 14;
  const panel = document.getElementById("panel");
  const card = document.getElementById("card");
  const reasonNow = document.getElementById("reason-now");

  // --- small helpers ------------------------------------------------------------------------
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") el.className = value;
      else if (key === "text") el.textContent = value;
      else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
      else if (key === "dataset") Object.assign(el.dataset, value);
      else el.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  }
  // replaceChildren() would write "null" for an absent part.
  function fill(el, ...children) { el.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false)); }
  function fmt(template, values) {
    return String(template).replace(/%\((\w+)\)s/g, (m, key) => (values[key] ?? ""));
  }
  function when(iso) {
    if (!iso) return T.none;
    const parts = {};
    new Intl.DateTimeFormat("en-GB", {
      timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23",
    }).formatToParts(new Date(iso)).forEach((p) => { parts[p.type] = p.value; });
    return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
  }
  function url(template, id) { return template.replace("/0/", "/" + id + "/"); }
  function populationUrl(code) { return C.population_url.replace("CODE", code); }
  function roomLabel(d) {
    return d.unit ? fmt(T.unit_room, { unit: d.unit, room: d.room }) : fmt(T.room, { room: d.room });
  }
  function counter(label, value, testid) {
    return h("div", { class: "tile", dataset: testid ? { testid: testid } : {} },
      h("b", { text: value === null || value === undefined ? T.none : value }), h("span", { text: label }));
  }
  function section(title, ...children) {
    return h("section", { class: "card-section" }, h("h2", { text: title }), ...children);
  }
  function linkButton(text, onclick, attrs) {
    return h("button", Object.assign({ type: "button", class: "link-button", onclick: onclick }, attrs || {}), text);
  }
  function mayReadWhole(gridCode) {
    return (C.whole_roots || []).some((root) => (gridCode || "").startsWith(root));
  }

  // --- the reason, once per visit ----------------------------------------------------------
  function reason() { return sessionStorage.getItem(REASON_KEY) || ""; }
  function showReasonNow() {
    const text = reason();
    reasonNow.replaceChildren();
    reasonNow.hidden = !text;
    if (!text) return;
    reasonNow.append(
      h("span", { class: "muted", text: T.reason_now + ": " }),
      h("b", { text: text, dataset: { testid: "reason-text" } }), " ",
      linkButton(T.reason_change, () => { sessionStorage.removeItem(REASON_KEY); showReasonNow(); reopen(); }),
    );
  }
  // A form in place of the persons until a reason is given; then `then()` shows them.
  function reasonForm(then) {
    const input = h("input", {
      type: "text", name: "reason", required: true, maxlength: "255", placeholder: T.reason_placeholder,
      "aria-describedby": "reason-help", dataset: { testid: "reason-input" },
    });
    const form = h("form", { class: "reason-form", dataset: { testid: "reason-form" } },
      h("label", {}, h("b", { text: T.reason_title }), input),
      h("p", { id: "reason-help", class: "muted", text: T.reason_help }),
      h("button", { type: "submit", class: "primary", dataset: { testid: "reason-submit" } }, T.reason_go));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = input.value.trim();
      if (!text) { input.focus(); return; }
      sessionStorage.setItem(REASON_KEY, text);
      showReasonNow();
      then();
    });
    return form;
  }
  function personsQuery(extra) {
    const params = new URLSearchParams(Object.assign({ reason: reason() }, extra || {}));
    return params.toString();
  }

  // --- the map -------------------------------------------------------------------------------
  const map = L.map("registry-map", { preferCanvas: true, minZoom: 10, maxZoom: 20, zoomControl: true });
  const hint = document.getElementById("map-hint");
  const selected = { kind: "", id: 0 };
  const USE_COLOURS = {
    residential: "#60a5fa", commercial: "#f59e0b", mixed: "#a78bfa", public: "#34d399", industrial: "#94a3b8",
  };
  function buildingStyle(feature) {
    const on = selected.kind === "building" && selected.id === feature.properties.id;
    return {
      color: on ? "#b91c1c" : "#1e3a8a", weight: on ? 3 : 1, fillOpacity: on ? 0.85 : 0.6,
      fillColor: on ? "#f87171" : (USE_COLOURS[feature.properties.use] || "#60a5fa"),
    };
  }
  function parcelStyle(feature) {
    const on = selected.kind === "parcel" && selected.id === feature.properties.id;
    return { color: on ? "#b91c1c" : "#15803d", weight: on ? 3 : 1.5, dashArray: on ? null : "4 3",
      fillColor: "#bbf7d0", fillOpacity: on ? 0.35 : 0.15 };
  }
  const grids = L.geoJSON(null, {
    style: { color: "#64748b", weight: 1, fill: true, fillOpacity: 0.02 },
    onEachFeature: (f, layer) => {
      layer.bindTooltip(W.esc(f.properties.name + " " + f.properties.code), { sticky: true });
      layer.on("click", () => open("grid", f.properties.code));
    },
  }).addTo(map);
  const parcels = L.geoJSON(null, {
    style: parcelStyle,
    onEachFeature: (f, layer) => {
      layer.bindTooltip(W.esc(f.properties.name || f.properties.code), { sticky: true });
      layer.on("click", (e) => { L.DomEvent.stop(e); open("parcel", f.properties.id); });
    },
  }).addTo(map);
  const buildings = L.geoJSON(null, {
    style: buildingStyle,
    onEachFeature: (f, layer) => {
      layer.bindTooltip(W.esc(f.properties.address), { sticky: true });
      layer.on("click", (e) => { L.DomEvent.stop(e); open("building", f.properties.id); });
    },
  }).addTo(map);
  const overlays = {};
  overlays[T.layers.grids] = grids;
  overlays[T.layers.parcels] = parcels;
  overlays[T.layers.buildings] = buildings;
  L.control.layers(null, overlays, { collapsed: window.innerWidth < 700 }).addTo(map);
  const marker = L.circleMarker([0, 0], { radius: 9, color: "#b91c1c", weight: 3, fill: false });

  function bbox() {
    const b = map.getBounds().pad(0.2);
    return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(6)).join(",");
  }
  const tickets = { grids: 0, parcels: 0, buildings: 0 };
  async function loadLayer(name, layer, path) {
    const ticket = ++tickets[name];
    const res = await W.api(path);
    if (ticket !== tickets[name] || !res.ok) return null;
    layer.clearLayers();
    layer.addData(W.features(res.data));
    return res.data;
  }
  async function loadLayers() {
    const zoomed = map.getZoom() >= LAYER_ZOOM;
    const box = bbox();
    if (map.getZoom() >= 13) {
      loadLayer("grids", grids, C.regions_url + "?level=grid&page_size=500&bbox=" + box);
    } else {
      grids.clearLayers();
    }
    if (!zoomed) {
      tickets.parcels++; tickets.buildings++;
      parcels.clearLayers(); buildings.clearLayers();
      hint.textContent = T.zoom_in; hint.hidden = false;
      return;
    }
    const [, built] = await Promise.all([
      map.hasLayer(parcels) ? loadLayer("parcels", parcels, API + "parcels/?bbox=" + box) : null,
      map.hasLayer(buildings) ? loadLayer("buildings", buildings, API + "buildings/?bbox=" + box) : null,
    ]);
    hint.hidden = !(built && built.truncated);
    hint.textContent = T.too_many;
    document.getElementById("registry-map").dataset.buildings = buildings.getLayers().length;
  }
  function restyle() { buildings.setStyle(buildingStyle); parcels.setStyle(parcelStyle); }
  function focus(lon, lat, zoom) {
    if (lon === undefined || lat === undefined) return;
    marker.setLatLng([lat, lon]).addTo(map);
    map.setView([lat, lon], Math.max(map.getZoom(), zoom || 18));
  }
  // One load per pause: fitting, zooming and panning fire several moveends in a row.
  let layerTimer = null;
  function scheduleLayers() { clearTimeout(layerTimer); layerTimer = setTimeout(loadLayers, 120); }
  map.on("moveend", scheduleLayers);
  map.on("overlayadd", scheduleLayers);
  if (C.home_box) {
    map.fitBounds([[C.home_box[1], C.home_box[0]], [C.home_box[3], C.home_box[2]]]);
  } else {
    map.setView([36.09, 120.35], 13);
  }

  // --- search --------------------------------------------------------------------------------
  const searchForm = document.getElementById("search-form");
  const searchInput = document.getElementById("search-q");
  const hitsList = document.getElementById("search-hits");
  let searchTicket = 0;
  let searchTimer = null;
  let hits = [];
  async function search() {
    const q = searchInput.value.trim();
    const ticket = ++searchTicket;
    if (q.length < 2) { hitsList.hidden = true; return; }
    const res = await W.api(API + "search/?" + new URLSearchParams({ q: q, limit: "10" }));
    if (ticket !== searchTicket) return;
    hits = res.ok ? res.data : [];
    hitsList.replaceChildren();
    if (!hits.length) {
      hitsList.append(h("li", { class: "muted empty", text: res.ok ? T.no_hits : T.failed }));
    }
    hits.forEach((hit, index) => {
      hitsList.append(h("li", { role: "option", id: "hit-" + index },
        h("button", { type: "button", class: "hit", dataset: { kind: hit.kind, testid: "search-hit" },
          onclick: () => choose(hit) },
          h("span", { class: "kind kind-" + hit.kind, text: T.kinds[hit.kind] }),
          h("span", { class: "label", text: hit.label }),
          h("span", { class: "detail muted", text: hit.detail }))));
    });
    hitsList.hidden = false;
  }
  function choose(hit) {
    hitsList.hidden = true;
    searchInput.value = hit.label;
    focus(hit.lon, hit.lat, hit.kind === "parcel" ? 17 : 18);
    if (hit.kind === "parcel") open("parcel", hit.id);
    else open("building", hit.building_id || hit.id);
  }
  searchInput.addEventListener("input", () => { clearTimeout(searchTimer); searchTimer = setTimeout(search, 250); });
  searchInput.addEventListener("keydown", (e) => { if (e.key === "Escape") hitsList.hidden = true; });
  searchForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearTimeout(searchTimer);
    await search();
    if (hits.length) choose(hits[0]);
  });

  // --- cards ---------------------------------------------------------------------------------
  const current = { kind: "", id: "" };
  function setUrl(kind, id, push) {
    const params = new URLSearchParams();
    params.set(kind, id);
    const next = location.pathname + "?" + params.toString();
    if (push) history.pushState({ kind: kind, id: id }, "", next);
    else history.replaceState({ kind: kind, id: id }, "", next);
  }
  function showError(res) {
    fill(card, h("p", { class: "error", role: "alert", text: res && res.status === 404 ? T.not_in_area : T.failed }));
  }
  function loading() { fill(card, h("p", { class: "muted", text: T.loading })); }
  function heading(kindLabel, title, testid) {
    return h("header", { class: "card-head" },
      h("span", { class: "kind-label", text: kindLabel }),
      h("h1", { dataset: { testid: testid } }, title));
  }
  function chain(location, extra) {
    const items = [];
    for (const level of ["district", "street", "community", "grid"]) {
      const region = location && location[level];
      if (!region) continue;
      items.push(h("li", {}, h("a", { href: populationUrl(region.code), title: T.population,
        dataset: { testid: "chain-" + level } }, region.name)));
    }
    (extra || []).forEach((node) => items.push(h("li", {}, node)));
    return h("nav", { class: "chain", "aria-label": T.population }, h("ol", {}, items));
  }
  function scrollToCard() {
    if (window.innerWidth < 900) panel.scrollIntoView({ behavior: "smooth", block: "start" });
    else panel.scrollTop = 0;
  }

  function open(kind, id, push) {
    current.kind = kind;
    current.id = String(id);
    selected.kind = kind;
    selected.id = Number(id);
    restyle();
    setUrl(kind, id, push !== false);
    loading();
    scrollToCard();
    const openers = { building: openBuilding, parcel: openParcel, dwelling: openDwelling, person: openPerson, grid: openGrid };
    (openers[kind] || openGrid)(id);
  }
  function reopen() { if (current.kind) open(current.kind, current.id, false); }

  // A person as the list shows them; `grid` is the grid of the place listed: someone living
  // in another grid (a landlord) is marked as living elsewhere.
  function personChip(person, role, grid) {
    const facts = [role ? T.roles[role] || role : "", T.sexes[person.sex] || "",
      person.age === null ? "" : fmt(T.age, { n: person.age }), person.id_number].filter(Boolean);
    return h("li", { class: "person", dataset: { testid: "resident" } },
      linkButton(person.name, () => open("person", person.id), { dataset: { testid: "person-link" } }),
      h("span", { class: "facts muted", text: facts.join(" · ") }),
      grid && person.grid_code && person.grid_code !== grid ? h("span", { class: "badge elsewhere", text: T.lives_elsewhere }) : null,
      (person.key_groups || []).map((code) => h("span", { class: "badge key-group", text: T.key_groups[code] || code })),
      person.masked ? null : h("span", { class: "badge whole", text: T.id_number }));
  }

  // Building: where it stands, its dwellings with their residents (masked, logged), the
  // organisations in it, and the cases at it.
  async function openBuilding(id) {
    // With a reason already given, the first page of residents is asked for at once, beside
    // the building and its cases: the card arrives in one round trip.
    const residentsPage = (offset) => W.api(API + "buildings/" + id + "/residents/?" + personsQuery({ limit: "100", offset: String(offset) }));
    let firstPage = reason() ? residentsPage(0) : null;
    const [res, casesRes] = await Promise.all([W.api(API + "buildings/" + id + "/"), W.api(API + "buildings/" + id + "/cases/")]);
    if (current.kind !== "building" || current.id !== String(id)) return;
    if (!res.ok) { showError(res); return; }
    const b = res.data;
    if (!map.getBounds().contains([b.lat, b.lon]) || map.getZoom() < LAYER_ZOOM) focus(b.lon, b.lat, 18);
    else marker.setLatLng([b.lat, b.lon]).addTo(map);
    const people = b.dwellings.reduce((sum, d) => sum + d.people, 0);
    const vacantHomes = b.dwellings.filter((d) => d.use === "home" && !d.people).length;
    const parcelLink = b.parcel ? linkButton(T.parcel + " " + (b.parcel.name || b.parcel.code), () => open("parcel", b.parcel.id), { dataset: { testid: "building-parcel" } }) : null;
    const cases = casesRes.ok ? casesRes.data : null;
    // Dwellings as blocks (a table would not fit a phone): the room, then its people.
    const rows = new Map();
    const dwellingList = h("ul", { class: "dwellings", dataset: { testid: "dwellings" } }, b.dwellings.map((d) => {
      const list = h("ul", { class: "people" });
      rows.set(d.id, list);
      return h("li", { class: "dwelling" + (d.people ? "" : " empty"), dataset: { dwelling: d.id } },
        h("div", { class: "dwelling-head" },
          linkButton(roomLabel(d), () => open("dwelling", d.id), { dataset: { testid: "dwelling-link" } }),
          h("span", { class: "muted small", text: [fmt(T.floor, { n: d.floor }), T.dwelling_uses[d.use] || d.use, d.people ? fmt(T.n_people, { n: d.people }) : T.nobody].join(" · ") })),
        list);
    }));
    const residentsBox = h("div", { class: "residents", dataset: { testid: "residents" } });
    const moreBox = h("div", { class: "residents-more" });
    const actions = h("div", { class: "card-actions" });
    if (mayReadWhole(b.grid_code || (b.location.grid && b.location.grid.code))) {
      actions.append(
        h("a", { class: "button", href: API + "buildings/" + b.id + "/residents/export/?" + personsQuery(), dataset: { testid: "export-csv" },
          onclick: (e) => { if (!reason()) { e.preventDefault(); residentsBox.scrollIntoView(); } } }, T.export_csv),
        h("a", { class: "button", href: url(C.print_url, b.id) + "?" + personsQuery(), target: "_blank", rel: "noopener", dataset: { testid: "print" },
          onclick: (e) => { if (!reason()) { e.preventDefault(); residentsBox.scrollIntoView(); } } }, T.print),
        h("span", { class: "muted small", text: T.export_note }));
    }
    fill(card, 
      heading(T.building, b.name ? `${b.address}（${b.name}）` : b.address, "building-title"),
      chain(b.location, [parcelLink]),
      h("p", { class: "muted", text: [b.code, fmt(T.floors, { n: b.floors }), b.underground_floors ? fmt(T.underground, { n: b.underground_floors }) : "", T.building_uses[b.use] || b.use].filter(Boolean).join(" · ") }),
      h("div", { class: "tiles" },
        counter(T.dwellings, b.dwellings.length), counter(T.linked_people, people, "building-people"),
        counter(T.vacant, vacantHomes), counter(T.organisations, b.organisations.length),
        counter(T.open_cases, cases ? cases.open_count : null)),
      section(T.residents, residentsBox, dwellingList, moreBox, actions),
      section(T.organisations, b.organisations.length ? h("ul", { class: "plain" }, b.organisations.map((o) => h("li", {},
        h("b", { text: o.name }), " ", h("span", { class: "muted", text: [o.kind, o.dwelling_id ? T.premises + " " + roomLabel(b.dwellings.find((d) => d.id === o.dwelling_id) || { room: "?" }) : "", T.credit_code + " " + o.credit_code].filter(Boolean).join(" · ") })))) : h("p", { class: "muted", text: T.no_organisations })),
      casesSection(cases));
    // Residents: only with a reason; each page of them is one logged read.
    function load(offset) {
      const request = offset === 0 && firstPage ? firstPage : residentsPage(offset);
      firstPage = null;
      request.then((r) => {
        if (current.kind !== "building" || current.id !== String(id)) return;
        if (!r.ok) { residentsBox.replaceChildren(h("p", { class: "error", text: r.status === 400 ? T.reason_required : T.failed })); return; }
        r.data.results.forEach((link) => { const list = rows.get(link.dwelling.id); if (list) list.append(personChip(link.person, link.role, b.location.grid && b.location.grid.code)); });
        const shown = offset + r.data.results.length;
        residentsBox.replaceChildren(h("p", { class: "muted small", dataset: { testid: "residents-shown" }, text: fmt(T.shown_of, { shown: shown, total: r.data.count }) }));
        // "Show more" under the list, where the reader's eye is when the page runs out.
        moreBox.replaceChildren();
        if (r.data.next) moreBox.append(h("button", { type: "button", onclick: () => load(shown), dataset: { testid: "more-residents" } }, T.more));
        card.dataset.loaded = "building";
      });
    }
    if (!people) {
      residentsBox.append(h("p", { class: "muted", text: T.no_residents }));
      card.dataset.loaded = "building";
    } else if (reason()) {
      load(0);
    } else {
      residentsBox.append(reasonForm(() => { residentsBox.replaceChildren(); load(0); }));
      card.dataset.loaded = "building";
    }
  }

  function casesSection(cases) {
    if (!cases) return section(T.open_cases, h("p", { class: "muted", text: T.failed }));
    const row = (c) => h("li", { class: "case-row" },
      h("a", { href: url(C.case_url, c.id), dataset: { testid: "building-case" } }, c.number),
      " ", h("span", { class: "badge", text: c.status_label }), " ", c.item,
      h("span", { class: "muted small", text: " · " + T.reported + " " + when(c.reported_at) }));
    const list = (items, total) => items.length ? [h("ul", { class: "plain" }, items.map(row)),
      total > items.length ? h("p", { class: "muted small", text: fmt(T.more_cases, { n: total - items.length }) }) : null] : [h("p", { class: "muted", text: T.no_cases })];
    return h("section", { class: "card-section" },
      h("h2", { text: T.open_cases + " (" + cases.open_count + ")" }), ...list(cases.open, cases.open_count),
      h("h2", { text: T.past_cases + " (" + cases.past_count + ")" }), ...list(cases.past, cases.past_count),
      h("p", { class: "muted small", text: fmt(T.cases_note, { m: cases.radius_m }) }));
  }

  // Parcel: its buildings and totals, and (with a reason) everyone living on it.
  async function openParcel(id) {
    const [res, totalsRes] = await Promise.all([W.api(API + "parcels/" + id + "/"), W.api(API + "parcels/" + id + "/totals/")]);
    if (current.kind !== "parcel" || current.id !== String(id)) return;
    if (!res.ok) { showError(res); return; }
    const p = res.data;
    const t = totalsRes.ok ? totalsRes.data : {};
    if (!map.getBounds().contains([p.lat, p.lon]) || map.getZoom() < LAYER_ZOOM) focus(p.lon, p.lat, 17);
    else marker.setLatLng([p.lat, p.lon]).addTo(map);
    const residentsBox = h("div", { class: "residents", dataset: { testid: "parcel-residents" } });
    fill(card, 
      heading(T.parcel, p.name || p.code, "parcel-title"),
      chain(p.location),
      p.name ? h("p", { class: "muted", text: p.code }) : null,
      h("p", {}, h("a", { class: "button", href: populationUrl(p.grid_code), dataset: { testid: "parcel-grid" } }, T.population + " · " + ((p.location && p.location.grid && p.location.grid.name) || p.grid_code))),
      h("div", { class: "tiles", dataset: { testid: "parcel-totals" } },
        counter(T.buildings, t.buildings), counter(T.dwellings, t.dwellings), counter(T.residents, t.residents),
        counter(T.households, t.households), counter(T.vacant, t.vacant_dwellings), counter(T.organisations, t.organisations)),
      section(T.buildings, h("ul", { class: "plain buildings" }, p.buildings.map((b) => h("li", {},
        linkButton(b.address, () => open("building", b.id), { dataset: { testid: "parcel-building" } }),
        h("span", { class: "muted small", text: " · " + [fmt(T.floors, { n: b.floors }), b.dwelling_count + " " + T.dwellings].join(" · ") }))))),
      section(T.residents, residentsBox));
    function load(offset) {
      W.api(API + "parcels/" + id + "/residents/?" + personsQuery({ limit: "100", offset: String(offset) })).then((r) => {
        if (current.kind !== "parcel" || current.id !== String(id)) return;
        if (!r.ok) { residentsBox.replaceChildren(h("p", { class: "error", text: T.failed })); return; }
        const list = h("ul", { class: "people" }, r.data.results.map((link) => personChip(link.person, link.role)));
        const shown = offset + r.data.results.length;
        if (offset === 0) residentsBox.replaceChildren();
        residentsBox.querySelectorAll(".more").forEach((el) => el.remove());
        residentsBox.append(list, h("p", { class: "muted small more", text: fmt(T.shown_of, { shown: shown, total: r.data.count }) }));
        if (r.data.next) residentsBox.append(h("button", { type: "button", class: "more", onclick: () => load(shown) }, T.more));
      });
    }
    const start = () => {
      residentsBox.replaceChildren(h("button", { type: "button", dataset: { testid: "list-parcel-residents" }, onclick: () => load(0) }, T.parcel_residents));
    };
    if (reason()) start(); else residentsBox.append(reasonForm(start));
    card.dataset.loaded = "parcel";
  }

  // Dwelling and person need a reason before anything is read.
  function withReason(render) {
    if (reason()) { render(); return; }
    fill(card, reasonForm(() => render()));
    card.dataset.loaded = "reason";
  }
  function openDwelling(id) {
    withReason(async () => {
      const res = await W.api(API + "dwellings/" + id + "/?" + personsQuery());
      if (current.kind !== "dwelling" || current.id !== String(id)) return;
      if (!res.ok) { showError(res); return; }
      const d = res.data;
      fill(card, 
        heading(T.dwelling, d.building.address + " " + roomLabel(d), "dwelling-title"),
        chain(null, [
          d.parcel ? linkButton(T.parcel + " " + (d.parcel.name || d.parcel.code), () => open("parcel", d.parcel.id)) : null,
          linkButton(T.building + " " + d.building.address, () => open("building", d.building.id), { dataset: { testid: "dwelling-building" } }),
        ].filter(Boolean)),
        h("p", { class: "muted", text: [fmt(T.floor, { n: d.floor }), T.dwelling_uses[d.use] || d.use].join(" · ") }),
        section(T.people, d.people.length ? h("ul", { class: "people" }, d.people.map((link) => personChip(link.person, link.role, d.building.grid_code))) : h("p", { class: "muted", text: T.nobody })));
      card.dataset.loaded = "dwelling";
    });
  }
  function openPerson(id) {
    withReason(async () => {
      const res = await W.api(API + "persons/" + id + "/?" + personsQuery());
      if (current.kind !== "person" || current.id !== String(id)) return;
      if (!res.ok) { showError(res); return; }
      renderPerson(res.data);
    });
  }
  // A person's card (read and logged by the API already): their record, masked unless
  // allowed, and the chain up: dwellings, buildings, parcels, grid, community, street.
  function renderPerson(body) {
    const p = body.person;
    const facts = h("dl", { class: "facts-list" },
      h("dt", { text: T.id_number }), h("dd", { dataset: { testid: "person-id-number" } }, p.id_number, p.masked ? h("span", { class: "muted small", text: " (" + T.masked + ")" }) : null),
      h("dt", { text: T.phone }), h("dd", { text: p.phone || T.none }));
    fill(card,
      heading(T.person, p.name, "person-title"),
      chain(body.location),
      h("p", { class: "muted", text: [T.sexes[p.sex] || "", p.age === null ? "" : fmt(T.age, { n: p.age })].filter(Boolean).join(" · ") },
        (p.key_groups || []).map((code) => h("span", { class: "badge key-group", text: T.key_groups[code] || code }))),
      facts,
      section(T.lives_in, h("ul", { class: "plain links" }, body.dwellings.map((link) => h("li", { dataset: { testid: "person-dwelling" } },
        h("span", { class: "badge", text: T.roles[link.role] || link.role }), " ",
        linkButton(roomLabel(link.dwelling), () => open("dwelling", link.dwelling.id), { dataset: { testid: "person-dwelling-link" } }),
        " · ", linkButton(link.building.address, () => open("building", link.building.id), { dataset: { testid: "person-building-link" } }),
        link.parcel ? [" · ", linkButton(link.parcel.name || link.parcel.code, () => open("parcel", link.parcel.id), { dataset: { testid: "person-parcel-link" } })] : null)))));
    card.dataset.loaded = "person";
  }

  // Looking a person up by ID number: the number goes in a POST body, never in the URL; the
  // read is logged as a lookup (misses too, by the API).
  const lookupForm = document.getElementById("lookup-form");
  const lookupError = document.getElementById("lookup-error");
  lookupForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const number = lookupForm.elements.id_number.value.trim();
    const why = lookupForm.elements.reason.value.trim() || reason();
    lookupError.hidden = true;
    if (!why) { lookupForm.elements.reason.focus(); return; }
    sessionStorage.setItem(REASON_KEY, why);
    showReasonNow();
    const res = await W.api(API + "persons/lookup/", { method: "POST", body: { id_number: number, reason: why } });
    if (!res.ok) {
      const errors = (res.data && res.data.errors) || {};
      lookupError.textContent = (errors.id_number && errors.id_number[0]) || (res.status === 404 ? T.lookup_missed : (res.data && res.data.message) || T.failed);
      lookupError.hidden = false;
      return;
    }
    lookupForm.elements.id_number.value = "";
    lookupForm.closest("details").open = false;
    current.kind = "person";
    current.id = String(res.data.person.id);
    setUrl("person", res.data.person.id, true);
    renderPerson(res.data);
    scrollToCard();
  });
  function showLookupReason() {
    lookupForm.elements.reason.value = reason();
  }
  lookupForm.closest("details").addEventListener("toggle", showLookupReason);

  async function openGrid(code) {
    const res = await W.api(C.regions_url + code + "/");
    if (current.kind !== "grid" || current.id !== String(code)) return;
    if (!res.ok) { showError(res); return; }
    const g = res.data.properties || res.data;
    if (res.data.geometry && !map.getBounds().contains(L.geoJSON(res.data).getBounds())) {
      map.fitBounds(L.geoJSON(res.data).getBounds());
    }
    fill(card, 
      heading(T.levels[g.level] || T.grid, g.name, "grid-title"),
      h("p", { class: "muted", text: g.code }),
      h("p", {}, h("a", { class: "button primary", href: populationUrl(g.code), dataset: { testid: "grid-population" } }, T.population)));
    card.dataset.loaded = "grid";
  }

  window.addEventListener("popstate", (event) => {
    const state = event.state;
    if (state && state.kind) open(state.kind, state.id, false);
  });
  showReasonNow();
  showLookupReason();
  const params = new URLSearchParams(location.search);
  for (const kind of ["building", "parcel", "dwelling", "person", "grid"]) {
    if (params.get(kind)) { open(kind, params.get(kind), false); break; }
  }
})();
