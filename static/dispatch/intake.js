// The intake desk: a call or a walk-in becomes a case. The item picker filters as you type;
// the place comes from a map click or an address (the deployment's geocoder, by default the
// registry's buildings and the streets' and communities' names); open cases of the item nearby show as soon as both are known, and one
// click links the new report to one of them. The report goes to the one-window intake API;
// its field errors show by the fields, and nothing typed is lost.
(function () {
  "use strict";
  const W = window.Wangge;
  const when = window.WanggeTime;
  const form = document.getElementById("desk");
  const D = JSON.parse(document.getElementById("desk-data").textContent);
  const T = D.i18n;
  const el = (id) => document.getElementById(id);
  const itemSelect = el("f-item");
  const itemSearch = el("f-item-search");
  const address = el("f-address");
  const hitsBox = el("place-hits");
  const readout = el("place-readout");
  const dupBox = el("duplicates");
  const errorBox = el("desk-error");
  const statusBox = el("desk-status");
  // One request id per report: a double click or a resend after a network error is one case.
  let requestId = uuid();
  let point = null;
  let marker = null;
  let saving = false;

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "desk-" + Date.now() + "-" + Math.random().toString(16).slice(2);
  }
  function debounce(fn, ms) {
    let timer = null;
    return function () {
      const args = arguments;
      clearTimeout(timer);
      timer = setTimeout(() => fn.apply(null, args), ms);
    };
  }

  // --- channel and its lines ------------------------------------------------------------
  function fillSubChannels() {
    const names = D.sub_channels[form.elements.source.value] || [];
    el("sub-channels").innerHTML = names.map((n) => '<option value="' + W.esc(n) + '">').join("");
  }
  form.elements.source.addEventListener("change", fillSubChannels);
  fillSubChannels();

  // --- the item picker ------------------------------------------------------------------
  function drawItems() {
    const words = itemSearch.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    const chosen = itemSelect.value;
    const groups = new Map();
    for (const item of D.items) {
      const text = (item.code + " " + item.name + " " + item.domain).toLowerCase();
      if (!words.every((w) => text.includes(w)) && String(item.id) !== chosen) continue;
      if (!groups.has(item.domain)) groups.set(item.domain, []);
      groups.get(item.domain).push(item);
    }
    if (!groups.size) {
      itemSelect.innerHTML = '<option value="" disabled>' + W.esc(T.no_items) + "</option>";
      return;
    }
    itemSelect.innerHTML = Array.from(groups, ([domain, items]) =>
      '<optgroup label="' + W.esc(domain) + '">' + items.map((i) =>
        '<option value="' + W.esc(i.id) + '"' + (String(i.id) === chosen ? " selected" : "") + ">" +
        W.esc(i.name) + " · " + W.esc(i.code) + "</option>").join("") + "</optgroup>").join("");
  }
  itemSearch.addEventListener("input", drawItems);
  itemSearch.addEventListener("keydown", (event) => {
    // Enter takes the first match; arrow down moves into the list.
    if (event.key === "Enter" || event.key === "ArrowDown") {
      event.preventDefault();
      const first = itemSelect.querySelector("option:not([disabled])");
      if (first && !itemSelect.value) { first.selected = true; itemChanged(); }
      itemSelect.focus();
    }
  });
  function itemChanged() {
    clearError("item");
    refreshDuplicates();
  }
  itemSelect.addEventListener("change", itemChanged);
  drawItems();

  // --- the place --------------------------------------------------------------------------
  const map = L.map("desk-map", { maxZoom: 19 }).setView(D.center, 13);
  if (D.tiles) L.tileLayer(D.tiles, { maxZoom: 19 }).addTo(map);
  W.deskMap = map; // for the browser tests, which click a known place
  W.api(D.urls.regions + "?level=street&simplify=0.0002").then((res) => {
    const features = W.features(res.data);
    if (!features.length) return;
    const outlines = L.geoJSON(features, {
      style: { color: "#2563eb", weight: 1.5, fillOpacity: 0.04 },
      onEachFeature: (f, layer) => layer.bindTooltip(f.properties && f.properties.name || "", { sticky: true }),
      interactive: false,
    }).addTo(map);
    if (!point) map.fitBounds(outlines.getBounds());
    map.getContainer().dataset.loaded = "1";
  });
  map.on("click", (event) => setPoint(event.latlng.lng, event.latlng.lat, null));

  function setPoint(lon, lat, label) {
    point = { lon: lon, lat: lat };
    el("f-lon").value = lon.toFixed(6);
    el("f-lat").value = lat.toFixed(6);
    if (marker) marker.setLatLng([lat, lon]);
    else marker = L.circleMarker([lat, lon], { radius: 9, color: "#b91c1c", weight: 3, fillOpacity: 0.7 }).addTo(map);
    clearError("point");
    readout.textContent = T.place_set + " · " + lon.toFixed(5) + ", " + lat.toFixed(5);
    readout.dataset.set = "1";
    if (label && !address.value.trim()) address.value = label;
    // A click gives the address too where the registry has a building there.
    const mapAddress = () => !address.value.trim() || address.dataset.fromMap === "1";
    if (!label && mapAddress()) {
      W.api(D.urls.at + "?lon=" + lon + "&lat=" + lat).then((res) => {
        const building = res.ok && res.data && res.data.building;
        if (building && building.address && mapAddress() && point && point.lon === lon) {
          address.value = building.address + (building.name ? "（" + building.name + "）" : "");
          address.dataset.fromMap = "1";
        }
      });
    }
    W.api(D.urls.locate + "?lon=" + lon + "&lat=" + lat).then((res) => {
      if (!point || point.lon !== lon) return;
      if (res.ok && res.data) {
        const chain = ["street", "community", "grid"].map((k) => res.data[k] && res.data[k].name).filter(Boolean);
        readout.textContent = T.place_set + " · " + chain.join(" › ");
        readout.dataset.grid = res.data.grid ? res.data.grid.code : "";
      } else {
        showFieldError("point", (res.data && res.data.message) || T.place_outside);
      }
    });
    refreshDuplicates();
  }

  const searchPlaces = debounce(async (query) => {
    if (query.length < 2) { hitsBox.hidden = true; return; }
    hitsBox.innerHTML = '<li class="muted">' + W.esc(T.searching) + "</li>";
    hitsBox.hidden = false;
    // The deployment's geocoder (settings.GEOCODER): by default the streets' and communities'
    // names, then the registry's buildings, in the desk's jurisdiction.
    const res = await W.api(D.urls.geocode + "?q=" + encodeURIComponent(query) + "&limit=10");
    if (address.value.trim() !== query) return; // typed on since
    if (!res.ok && res.status !== 400) {
      hitsBox.innerHTML = '<li class="muted">' + W.esc((res.data && res.data.message) || T.no_places) + "</li>";
      return;
    }
    drawHits(res.ok && Array.isArray(res.data) ? res.data : []);
  }, 250);

  let hits = [];
  function drawHits(found) {
    hits = found;
    if (!found.length) { hitsBox.innerHTML = '<li class="muted">' + W.esc(T.no_places) + "</li>"; return; }
    hitsBox.innerHTML = found.map((h, n) =>
      '<li><button type="button" class="hit" data-hit="' + n + '"><span class="tag">' +
      W.esc(T.kinds[h.kind] || h.kind) + "</span> " + W.esc(h.label) +
      (h.detail ? ' <span class="muted">' + W.esc(h.detail) + "</span>" : "") + "</button></li>").join("");
  }
  hitsBox.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-hit]");
    if (!button) return;
    const hit = hits[Number(button.dataset.hit)];
    // A street, a community or a parcel only places the point; anything a geocoder calls an
    // address (a building, an organisation, a plugged-in service's places) fills the field.
    if (!["street", "community", "parcel"].includes(hit.kind) || !address.value.trim()) address.value = hit.label;
    hitsBox.hidden = true;
    map.setView([hit.lat, hit.lon], Math.max(map.getZoom(), 17));
    setPoint(hit.lon, hit.lat, hit.label);
  });
  address.addEventListener("input", () => {
    clearError("address");
    delete address.dataset.fromMap;
    searchPlaces(address.value.trim());
  });
  address.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault(); // Enter picks the first hit, it does not send the form
      const first = hitsBox.querySelector("button[data-hit]");
      if (first && !hitsBox.hidden) first.click();
    } else if (event.key === "Escape") hitsBox.hidden = true;
  });

  // --- open cases nearby ----------------------------------------------------------------
  let dupSeq = 0;
  let duplicates = [];
  async function refreshDuplicates() {
    const item = itemSelect.value;
    if (!item || !point) {
      dupBox.innerHTML = '<li class="muted">' + W.esc(T.pick_place_item) + "</li>";
      dupBox.dataset.count = "";
      return;
    }
    const seq = ++dupSeq;
    const res = await W.api(D.urls.duplicates + "?item=" + encodeURIComponent(item) + "&lon=" + point.lon + "&lat=" + point.lat);
    if (seq !== dupSeq) return;
    duplicates = res.ok && Array.isArray(res.data) ? res.data : [];
    dupBox.dataset.count = String(duplicates.length);
    if (!duplicates.length) { dupBox.innerHTML = '<li class="muted">' + W.esc(T.no_duplicates) + "</li>"; return; }
    dupBox.innerHTML = duplicates.map((d) =>
      '<li class="dup" data-case="' + W.esc(d.id) + '"><div><a href="' + W.esc(D.urls.case.replace("/0/", "/" + d.id + "/")) +
      '" target="_blank" rel="noopener"><b>' + W.esc(d.number) + "</b></a> " +
      '<span class="tag">' + W.esc(d.status_label) + "</span> " +
      '<span class="muted">' + W.esc(Math.round(d.distance_m)) + " " + W.esc(T.m) + " · " + W.esc(when.dateTime(d.reported_at, D.tz)) + "</span></div>" +
      "<div>" + W.esc(d.address || d.item) + "</div>" +
      '<div class="muted clamp">' + W.esc(d.description) + "</div>" +
      '<button type="button" class="secondary" data-link="' + W.esc(d.id) + '" data-testid="link-duplicate-' + W.esc(d.id) + '">' +
      W.esc(T.same_problem) + "</button></li>").join("");
  }
  dupBox.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-link]");
    if (button) save(Number(button.dataset.link));
  });

  // --- errors by the fields -----------------------------------------------------------------
  // The API's field names, and where each shows on the form.
  const FIELD_OF = { lon: "point", lat: "point", condition: "item", handling_level: "", non_field_errors: "" };
  function showFieldError(field, message) {
    const box = form.querySelector('[data-error-for="' + field + '"]');
    if (!box) return false;
    box.textContent = message;
    box.hidden = false;
    const wrapper = form.querySelector('[data-field="' + field + '"]');
    if (wrapper) wrapper.classList.add("invalid");
    const input = wrapper && wrapper.querySelector("input:not([type=hidden]), select, textarea");
    if (input) input.setAttribute("aria-invalid", "true");
    return true;
  }
  function clearError(field) {
    const box = form.querySelector('[data-error-for="' + field + '"]');
    if (box) { box.hidden = true; box.textContent = ""; }
    const wrapper = form.querySelector('[data-field="' + field + '"]');
    if (wrapper) {
      wrapper.classList.remove("invalid");
      for (const input of wrapper.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
    }
    // The banner only pointed at the fields: once they are fixed it goes too.
    if (!form.querySelector(".field.invalid") && errorBox.dataset.fields === "1") errorBox.hidden = true;
  }
  function clearErrors() {
    for (const box of form.querySelectorAll("[data-error-for]")) clearError(box.dataset.errorFor);
    errorBox.hidden = true;
  }
  function messages(value) {
    if (Array.isArray(value)) return value.map(String).join(" ");
    if (value && typeof value === "object") return Object.values(value).map(messages).join(" ");
    return String(value || "");
  }
  function showErrors(body, status) {
    const errors = (body && body.errors) || {};
    const loose = [];
    for (const [name, value] of Object.entries(errors)) {
      if (name === "contact" && value && typeof value === "object" && !Array.isArray(value)) {
        for (const [sub, text] of Object.entries(value)) {
          if (!showFieldError("contact_" + sub, messages(text))) loose.push(messages(text));
        }
        continue;
      }
      const field = name in FIELD_OF ? FIELD_OF[name] : name;
      if (!field || !showFieldError(field, messages(value))) loose.push(messages(value));
    }
    const anyField = form.querySelector(".field.invalid");
    errorBox.dataset.fields = anyField && !loose.length ? "1" : "";
    errorBox.textContent = (anyField ? T.fix_fields + " " : "") +
      (loose.length ? loose.join(" ") : (anyField ? "" : (body && body.message) || T.failed + " (" + status + ")"));
    errorBox.hidden = false;
    const first = form.querySelector(".field.invalid input:not([type=hidden]), .field.invalid select, .field.invalid textarea");
    (first || errorBox).focus({ preventScroll: false });
    if (!first) errorBox.scrollIntoView({ block: "center" });
  }

  // --- saving -------------------------------------------------------------------------------
  function body(linking) {
    const f = form.elements;
    const data = {
      request_id: requestId,
      source: f.source.value,
      sub_channel: f.sub_channel.value.trim(),
      request_type: form.querySelector("input[name=request_type]:checked").value,
      urgency: f.urgency.value,
      item: itemSelect.value ? Number(itemSelect.value) : "",
      description: f.description.value.trim(),
      address: address.value.trim(),
      lon: point ? point.lon : null,
      lat: point ? point.lat : null,
    };
    const name = f.contact_name.value.trim();
    const phone = f.contact_phone.value.trim();
    if (name || phone) data.contact = { name: name, phone: phone };
    // A report that duplicates an open case is closed at the desk: a district operator keeps
    // it at the district, where they may mark it.
    if (linking && D.keep_at_district) data.handling_level = "district";
    return data;
  }

  function busy(on, text) {
    saving = on;
    for (const button of form.querySelectorAll("button")) button.disabled = on;
    statusBox.textContent = text || "";
  }

  async function save(linkTo) {
    if (saving) return;
    clearErrors();
    // What the form can tell at once; the API checks everything again.
    let missing = false;
    if (!itemSelect.value) missing = showFieldError("item", T.need_item) || true;
    if (!point) missing = showFieldError("point", T.need_place) || true;
    if (missing) { showErrors({ errors: {} }, 0); return; }
    busy(true, T.saving);
    let res;
    try {
      res = await W.api(D.urls.intake, { method: "POST", body: body(Boolean(linkTo)) });
    } catch (err) {
      // The network dropped: everything stays as typed; the same request id makes a resend
      // one case, even if the first try got through.
      res = { ok: false, status: 0, data: null };
    }
    if (!res.ok) {
      busy(false);
      showErrors(res.data, res.status);
      return;
    }
    const caseId = res.data.id;
    let query = "?taken=1";
    if (linkTo) query += (await link(caseId, linkTo)) ? "&linked=1" : "&link_failed=1";
    window.location.assign(D.urls.case.replace("/0/", "/" + caseId + "/") + query);
  }

  async function link(caseId, originalId) {
    const caseUrl = D.urls.actions.replace("/0/", "/" + caseId + "/");
    const current = await W.api(caseUrl.replace(/actions\/$/, "") + "?include=actions");
    if (!current.ok) return false;
    const res = await W.api(caseUrl + "?include=actions", {
      method: "POST",
      body: {
        action: "mark_duplicate", version: current.data.version, request_id: requestId + ":duplicate",
        payload: { original_case_id: originalId }, note: "",
      },
    });
    return res.ok;
  }

  form.addEventListener("submit", (event) => { event.preventDefault(); save(null); });
  // Ctrl+Enter saves from anywhere on the form, the description included.
  form.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); save(null); }
  });
  for (const name of ["source", "sub_channel", "contact_name", "contact_phone", "urgency", "description"]) {
    form.elements[name].addEventListener("input", () => clearError(name));
  }
  // Keyboard: the operator starts typing the caller's words at once.
  if (window.innerWidth > 800) el("f-contact-phone").focus();
})();
