// Emergency linkage on the case page: the nearest resources of each kind and the nearest
// on-duty inspectors (distance, age of the last GPS fix), drawn on the case map; a button
// per inspector sends them the case's verify task through the workflow action (send_verify).
// Cameras in view come from the bbox endpoint, clustered.
(function () {
  "use strict";
  const W = window.Wangge;
  const box = document.getElementById("emergency");
  if (!box || !W.casePage) return;
  const T = JSON.parse(document.getElementById("emergency-i18n").textContent);
  // Kinds are coloured by class (.k-<kind> in app.css): the CSP allows no style attributes.
  const KINDS = ["supplies", "shelter", "team", "camera"];
  function kindClass(kind) { return KINDS.includes(kind) ? "k-" + kind : "k-other"; }
  const message = document.getElementById("emergency-message");
  let layer = null;
  let cameras = null;
  let loadedFor = null;
  let pending = false;
  let names = {};

  function metres(value) {
    return value < 1000 ? Math.round(value) + " " + T.m : (value / 1000).toFixed(2) + " " + T.km;
  }

  function age(seconds) {
    if (seconds < 60) return seconds + " " + T.s;
    if (seconds < 3600) return Math.floor(seconds / 60) + " " + T.min;
    return Math.floor(seconds / 3600) + " " + T.h + " " + Math.floor((seconds % 3600) / 60) + " " + T.min;
  }

  function icon(kind) {
    return L.divIcon({
      className: "resource-pin",
      html: '<i class="' + kindClass(kind) + '">' + W.esc(T.glyphs[kind] || "?") + "</i>",
      iconSize: [22, 22],
    });
  }

  function inspectorIcon() {
    return L.divIcon({ className: "inspector-pin", html: "<i>" + W.esc(T.glyph_inspector) + "</i>", iconSize: [22, 22] });
  }

  function say(text, isError) {
    message.textContent = text;
    message.hidden = !text;
    message.className = isError ? "error" : "muted";
  }

  function drawLists(data) {
    names = {};
    for (const i of data.inspectors) names[i.user_id] = i.name;
    const resources = document.getElementById("emergency-resources");
    resources.innerHTML = data.resources.length ? data.resources.map((r) =>
      '<li data-kind="' + W.esc(r.kind) + '"><i class="kind ' + kindClass(r.kind) + '">' +
      W.esc(T.glyphs[r.kind] || "?") + "</i> " + W.esc(r.name) + ' <span class="muted">' + W.esc(r.kind_label) +
      "</span> <b>" + W.esc(metres(r.distance_m)) + "</b>" +
      (r.capacity != null ? ' <span class="muted">· ' + W.esc(T.capacity) + " " + W.esc(r.capacity) + "</span>" : "") +
      (r.contact ? ' <span class="muted">· ' + W.esc(r.contact) + "</span>" : "") + "</li>").join("")
      : '<li class="muted">' + W.esc(T.no_resources) + "</li>";
    const inspectors = document.getElementById("emergency-inspectors");
    inspectors.innerHTML = data.inspectors.length ? data.inspectors.map((i) =>
      '<li data-inspector="' + W.esc(i.user_id) + '">' + W.esc(T.glyph_inspector) + " " + W.esc(i.name) + " <b>" +
      W.esc(metres(i.distance_m)) + '</b> <span class="muted">· ' + W.esc(T.fix) + " " + W.esc(age(i.fix_age_s)) + " " +
      W.esc(T.ago) + "</span> " +
      (i.can_assign
        ? '<button type="button" class="assign" data-testid="assign-' + W.esc(i.user_id) + '" data-inspector="' + W.esc(i.user_id) + '">' +
          W.esc(T.assign) + "</button>"
        : '<button type="button" disabled title="' + W.esc(i.assign_refusal) + '">' + W.esc(T.assign) + '</button> <span class="muted refusal">' + W.esc(i.assign_refusal) + "</span>") +
      "</li>").join("")
      : '<li class="muted">' + W.esc(T.no_inspectors) + " (" + W.esc(T.fresh.replace("%(minutes)s", data.fresh_minutes)) + ")</li>";
    for (const button of inspectors.querySelectorAll("button.assign")) button.addEventListener("click", assign);
  }

  function drawMarkers(data, map) {
    if (!map) return;
    if (!layer) layer = L.layerGroup().addTo(map);
    layer.clearLayers();
    for (const r of data.resources) {
      L.marker([r.lat, r.lon], { icon: icon(r.kind) })
        .bindTooltip(W.esc(r.name) + " · " + W.esc(r.kind_label) + " · " + W.esc(metres(r.distance_m))).addTo(layer);
    }
    for (const i of data.inspectors) {
      L.marker([i.lat, i.lon], { icon: inspectorIcon() })
        .bindTooltip(W.esc(i.name) + " · " + W.esc(metres(i.distance_m) + " · " + T.fix + " " + age(i.fix_age_s) + " " + T.ago)).addTo(layer);
    }
  }

  async function load(map) {
    const res = await W.api(box.dataset.nearest + "?n=" + box.dataset.n);
    if (!res.ok) { say((res.data && res.data.message) || T.failed, true); return; }
    box.dataset.loaded = "true";
    drawLists(res.data);
    drawMarkers(res.data, map);
  }

  async function assign(event) {
    if (pending) return;
    pending = true;
    const button = event.target;
    const name = names[button.dataset.inspector] || "";
    for (const b of box.querySelectorAll("button.assign")) b.disabled = true;
    const current = W.casePage.current();
    // The case page re-renders from the answer, next actions included: ask for them.
    const res = await W.api(box.dataset.actions + "?include=actions", {
      method: "POST",
      body: {
        action: "send_verify",
        version: current.version,
        request_id: W.casePage.uuid(),
        payload: { inspector_id: parseInt(button.dataset.inspector, 10) },
        note: "",
      },
    });
    pending = false;
    if (res.ok) {
      say(T.sent + " " + name, false);
      W.casePage.render(res.data);  // re-renders the case; the listener reloads this panel
    } else {
      say((res.data && res.data.message) || T.failed + " (" + res.status + ")", true);
      for (const b of box.querySelectorAll("button.assign")) b.disabled = false;
    }
  }

  function loadCameras(map) {
    if (!cameras || !map.hasLayer(cameras)) return;
    const b = map.getBounds();
    const bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(6)).join(",");
    W.api(box.dataset.resources + "?kind=camera&bbox=" + bbox).then((res) => {
      if (!res.ok) return;
      cameras.clearLayers();
      cameras.addLayers(res.data.features.map((f) =>
        L.marker([f.geometry.coordinates[1], f.geometry.coordinates[0]], { icon: icon("camera") }).bindTooltip(W.esc(f.properties.name))));
      document.getElementById("camera-count").textContent = res.data.features.length + (res.data.truncated ? "+" : "");
    });
  }

  function setUpCameras(map) {
    if (cameras || !map || !L.markerClusterGroup) return;
    cameras = L.markerClusterGroup({ chunkedLoading: true, disableClusteringAtZoom: 19 });
    const toggle = document.getElementById("camera-toggle");
    toggle.addEventListener("change", () => {
      if (toggle.checked) { cameras.addTo(map); loadCameras(map); } else { map.removeLayer(cameras); }
    });
    map.on("moveend", () => loadCameras(map));
  }

  W.casePage.onRender((data, map) => {
    setUpCameras(map);
    // Reload when the case changed (its state decides whether a verify task can be sent).
    const key = data.id + ":" + data.version;
    if (key === loadedFor) return;
    loadedFor = key;
    load(map);
  });
})();
