// Case detail: reads the case from the API, draws map, photos, timeline and stage clock,
// and offers the available actions; each action posts version + a fresh request_id.
(function () {
  "use strict";
  const W = window.Wangge;
  const root = document.getElementById("case");
  const T = JSON.parse(document.getElementById("case-i18n").textContent);
  const errorBox = document.getElementById("action-error");
  let current = null;
  let map = null;
  let layers = null;
  const renderListeners = [];
  // For the panels that share the page (emergency.js): the map, the case, re-rendering.
  W.casePage = {
    map: () => map,
    current: () => current,
    render: (data) => render(data),
    onRender: (listener) => renderListeners.push(listener),
    uuid: () => uuid(),
  };

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "ui-" + Date.now() + "-" + Math.random().toString(16).slice(2);
  }

  function lonLat(point) {
    if (!point) return null;
    if (point.coordinates) return point.coordinates;
    if (point.lon != null) return [point.lon, point.lat];
    return null;
  }

  function duration(ms) {
    const minutes = Math.floor(Math.abs(ms) / 60000);
    const days = Math.floor(minutes / 1440);
    const hours = Math.floor((minutes % 1440) / 60);
    const parts = [];
    if (days) parts.push(days + T.days);
    if (days || hours) parts.push(hours + T.hours);
    parts.push((minutes % 60) + T.minutes);
    return parts.join(" ");
  }

  function drawClock() {
    const box = document.getElementById("clock");
    const text = document.getElementById("clock-text");
    if (!current || !current.stage_due_at) {
      box.className = "clock";
      box.dataset.state = "none";
      text.textContent = T.no_clock;
      return;
    }
    const state = W.stageState(current);
    const left = Date.parse(current.stage_due_at) - Date.now();
    box.className = "clock " + state;
    box.dataset.state = state;
    text.textContent = left >= 0 ? duration(left) + " " + T.left : T.overdue_by + " " + duration(left);
  }

  function drawMap(data) {
    const ll = lonLat(data.point);
    if (!ll) return;
    if (!map) {
      map = L.map("map", { maxZoom: 19 }).setView([ll[1], ll[0]], 16);
      layers = L.layerGroup().addTo(map);
    }
    layers.clearLayers();
    L.circleMarker([ll[1], ll[0]], { radius: 8, color: "#b91c1c", fillOpacity: 0.8 }).addTo(layers);
    const grid = data.location && data.location.grid && data.location.grid.code;
    if (grid) {
      W.api(root.dataset.regions + grid + "/").then((res) => {
        if (!res.ok) return;
        const outline = L.geoJSON(W.features(res.data), { style: { color: "#2563eb", weight: 2, fillOpacity: 0.05 } });
        outline.addTo(layers);
        map.fitBounds(outline.getBounds(), { maxZoom: 17 });
      });
    }
  }

  function drawPhotos(data) {
    const box = document.getElementById("photos");
    const photos = (data.attachments || []).slice();
    for (const event of data.timeline || []) for (const a of event.attachments || []) {
      if (!photos.some((p) => p.id === a.id)) photos.push(a);
    }
    if (!photos.length) { box.innerHTML = '<p class="muted">' + W.esc(T.no_photos) + "</p>"; return; }
    box.innerHTML = photos.map((p) =>
      '<a href="' + W.esc(p.url) + '" target="_blank" rel="noopener"><img loading="lazy" alt="" src="' +
      W.esc(p.thumbnail_url || p.url) + '"></a>').join("");
  }

  function drawTimeline(data) {
    const list = document.getElementById("timeline");
    list.innerHTML = (data.timeline || []).map((e) =>
      "<li><time>" + W.esc(new Date(e.created_at).toLocaleString()) + "</time> <b>" + W.esc(e.action_label) +
      "</b> · " + W.esc(e.actor && e.actor.name) + (e.actor && e.actor.role_label ? " (" + W.esc(e.actor.role_label) + ")" : "") +
      (e.handling_unit ? " → " + W.esc(e.handling_unit.name) : "") +
      (e.note ? '<div class="note">' + W.esc(e.note) + "</div>" : "") + "</li>").join("");
  }

  function fieldInput(field) {
    const id = "f-" + field.name;
    let input;
    if (field.choices) {
      input = '<select name="' + W.esc(field.name) + '" id="' + id + '">' + field.choices.map((c) =>
        '<option value="' + W.esc(c.value) + '"' + (c.value === field.suggested ? " selected" : "") + ">" +
        W.esc(c.label) + (c.value === field.suggested ? " (" + W.esc(T.suggested) + ")" : "") + "</option>").join("") + "</select>";
    } else if (field.type === "boolean") {
      input = '<select name="' + W.esc(field.name) + '"><option value="true">' + W.esc(T.yes) +
        '</option><option value="false">' + W.esc(T.no) + "</option></select>";
    } else {
      input = '<input name="' + W.esc(field.name) + '" type="' + (field.type === "string" ? "text" : "number") +
        '"' + (field.required ? " required" : "") + ">";
    }
    return '<label title="' + W.esc(field.help) + '">' + W.esc(field.help) + " " + input + "</label>";
  }

  function drawActions(data) {
    const box = document.getElementById("actions");
    const actions = data.actions || [];
    if (!actions.length) { box.innerHTML = '<p class="muted">' + W.esc(T.no_actions) + "</p>"; return; }
    box.innerHTML = actions.map((a) =>
      '<form class="action" data-action="' + W.esc(a.action) + '">' +
      a.payload_fields.map(fieldInput).join("") +
      (a.needs_note ? '<label>' + W.esc(T.note) + ' <textarea name="note" rows="2" required></textarea></label>' : "") +
      (a.photos ? '<label class="photos-input">' + W.esc(T.photos) + ' <input type="file" name="photos" accept="image/jpeg,image/png,image/webp" multiple></label>' : "") +
      '<button type="submit" data-testid="action-' + W.esc(a.action) + '">' + W.esc(a.label) + "</button></form>").join("");
    for (const form of box.querySelectorAll("form.action")) form.addEventListener("submit", submit);
  }

  function coerce(field, raw) {
    if (field.type === "boolean") return raw === "true";
    if (field.type === "integer") return parseInt(raw, 10);
    if (field.type === "number") return parseFloat(raw);
    return raw;
  }

  async function submit(event) {
    event.preventDefault();
    const form = event.target;
    const hint = current.actions.find((a) => a.action === form.dataset.action);
    const payload = {};
    for (const field of hint.payload_fields) {
      const el = form.elements[field.name];
      if (el && el.value !== "") payload[field.name] = coerce(field, el.value);
    }
    const note = form.elements.note ? form.elements.note.value.trim() : "";
    if (hint.needs_note && !note) { showError(T.note_required); return; }
    for (const button of document.querySelectorAll("#actions button")) button.disabled = true;
    const body = { action: hint.action, version: current.version, request_id: uuid(), payload: payload, note: note };
    const files = form.elements.photos ? Array.from(form.elements.photos.files) : [];
    let sent = body;
    if (files.length) {
      // With photos the action goes as multipart, the payload as a JSON string.
      sent = new FormData();
      for (const [key, value] of Object.entries(body)) {
        sent.append(key, key === "payload" ? JSON.stringify(value) : String(value));
      }
      for (const file of files) sent.append("photos", file);
    }
    const res = await W.api(root.dataset.actions, { method: "POST", body: sent });
    if (res.ok) {
      showError("");
      render(res.data);
    } else {
      showError((res.data && res.data.message) || T.failed + " (" + res.status + ")");
      for (const button of document.querySelectorAll("#actions button")) button.disabled = false;
    }
  }

  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = !message;
  }

  function render(data) {
    current = data;
    const status = document.getElementById("case-status");
    status.dataset.status = data.status;
    status.textContent = T.statuses[data.status] || data.status;
    document.getElementById("case-unit").textContent = data.handling_unit ? data.handling_unit.name : "—";
    drawClock();
    drawMap(data);
    drawPhotos(data);
    drawTimeline(data);
    drawActions(data);
    root.dataset.version = data.version;
    for (const listener of renderListeners) listener(data, map);
  }

  W.api(root.dataset.api).then((res) => {
    if (res.ok) render(res.data);
    else showError((res.data && res.data.message) || T.failed);
  });
  setInterval(drawClock, 30000);
})();
