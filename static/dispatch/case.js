// Case detail: reads the case from the API, draws map, photos, timeline and stage clock,
// and offers the available actions; each action posts version + a fresh request_id.
(function () {
  "use strict";
  const W = window.Wangge;
  const root = document.getElementById("case");
  const T = JSON.parse(document.getElementById("case-i18n").textContent);
  const errorBox = document.getElementById("action-error");
  const doneBox = document.getElementById("action-done");
  const conflictBox = document.getElementById("action-conflict");
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
      if (root.dataset.tiles) L.tileLayer(root.dataset.tiles, { maxZoom: 19 }).addTo(map);
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
        map.fitBounds(outline.getBounds(), { maxZoom: 17, animate: false });
        root.dataset.mapVersion = String(data.version); // drawn and fitted (the tests wait on it)
      });
    }
  }

  function drawJoint(data) {
    const co = document.getElementById("co-handlers");
    const parts = data.co_handlers || [];
    co.innerHTML = parts.length ? parts.map((p) => {
      let state;
      if (!p.active) state = '<span class="tag">' + W.esc(T.co_removed) + "</span>";
      else if (p.fed_back_at) state = '<span class="tag ok">' + W.esc(T.co_fed_back) + " " + when(p.fed_back_at) + "</span>";
      else if (p.signed_at) state = '<span class="tag">' + W.esc(T.co_signed) + " " + when(p.signed_at) + "</span>";
      else state = '<span class="tag late">' + W.esc(T.co_waiting) + "</span>";
      return '<li data-unit="' + W.esc(p.unit.id) + '"><b>' + W.esc(p.unit.name) + "</b> " + state +
        (p.feedback_note ? '<div class="note">' + W.esc(p.feedback_note) + "</div>" : "") + "</li>";
    }).join("") : '<li class="muted">' + W.esc(T.no_co_handlers) + "</li>";
    const sv = document.getElementById("supervisions");
    const rows = data.supervisions || [];
    sv.innerHTML = rows.length ? rows.map((s) => {
      let state;
      if (s.settled_at) state = '<span class="tag ok">' + W.esc(T.sv_settled) + " " + when(s.settled_at) + "</span>";
      else if (s.overdue) state = '<span class="tag late">' + W.esc(T.sv_overdue) + "</span>";
      else state = '<span class="tag">' + W.esc(T.sv_open) + "</span>";
      return "<li" + (s.overdue ? ' class="overdue"' : "") + ' data-supervision="' + W.esc(s.id) + '"><b>' +
        W.esc(s.created_by || T.sv_kinds[s.kind] || s.kind) + "</b> · " + when(s.created_at) +
        (s.due_at ? " · " + W.esc(T.sv_due) + " " + W.esc(WanggeTime.date(s.due_at, T.tz)) : "") + " " + state +
        (s.note ? '<div class="note">' + W.esc(s.note) + "</div>" : "") + "</li>";
    }).join("") : '<li class="muted">' + W.esc(T.no_supervisions) + "</li>";
  }

  // --- photos, with a lightbox ----------------------------------------------------------
  let photoList = [];
  function drawPhotos(data) {
    const box = document.getElementById("photos");
    const photos = (data.attachments || []).slice();
    for (const event of data.timeline || []) for (const a of event.attachments || []) {
      if (!photos.some((p) => p.id === a.id)) photos.push(a);
    }
    photoList = photos;
    if (!photos.length) { box.innerHTML = '<p class="muted">' + W.esc(T.no_photos) + "</p>"; return; }
    box.innerHTML = photos.map((p, n) =>
      '<a href="' + W.esc(W.safeUrl(p.url)) + '" target="_blank" rel="noopener" data-photo="' + n +
      '" aria-label="' + W.esc(T.photo + " " + (n + 1)) + '"><img loading="lazy" alt="" src="' +
      W.esc(W.safeUrl(p.thumbnail_url || p.url)) + '"></a>').join("");
  }

  let lightbox = null;
  let shown = 0;
  function openPhoto(n) {
    if (!lightbox) {
      lightbox = document.createElement("dialog");
      lightbox.className = "lightbox";
      lightbox.dataset.testid = "lightbox";
      lightbox.innerHTML = '<div class="bar"><span class="count"></span><span>' +
        '<button type="button" data-step="-1" aria-label="' + W.esc(T.previous) + '">‹</button> ' +
        '<button type="button" data-step="1" aria-label="' + W.esc(T.next) + '">›</button> ' +
        '<button type="button" data-close aria-label="' + W.esc(T.close) + '">✕</button></span></div><img alt="">';
      document.body.appendChild(lightbox);
      lightbox.addEventListener("click", (event) => {
        const step = event.target.closest("[data-step]");
        if (step) showPhoto(shown + Number(step.dataset.step));
        else if (event.target.closest("[data-close]") || event.target === lightbox) lightbox.close();
      });
      lightbox.addEventListener("keydown", (event) => {
        if (event.key === "ArrowRight") showPhoto(shown + 1);
        if (event.key === "ArrowLeft") showPhoto(shown - 1);
      });
    }
    for (const step of lightbox.querySelectorAll("[data-step]")) step.hidden = photoList.length < 2;
    showPhoto(n);
    if (!lightbox.open) lightbox.showModal();
  }
  function showPhoto(n) {
    shown = (n + photoList.length) % photoList.length;
    const photo = photoList[shown];
    lightbox.querySelector("img").src = W.safeUrl(photo.url);
    lightbox.querySelector(".count").textContent = (shown + 1) + " / " + photoList.length +
      (photo.taken_at || photo.created_at ? " · " + when(photo.taken_at || photo.created_at) : "");
  }
  document.getElementById("photos").addEventListener("click", (event) => {
    const link = event.target.closest("a[data-photo]");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    openPhoto(Number(link.dataset.photo));
  });

  // --- timeline ---------------------------------------------------------------------------
  function corrections(data) {
    const c = data && data.corrections;
    if (!c) return "";
    const parts = [];
    if (c.item) parts.push(W.esc(T.fields.item) + " <del>" + W.esc(c.item[0].name) + "</del> → " + W.esc(c.item[1].name));
    if (c.address) parts.push(W.esc(T.fields.address) + " <del>" + W.esc(c.address[0] || "—") + "</del> → " + W.esc(c.address[1] || "—"));
    if (c.point) parts.push(W.esc(T.fields.point) + " → " + W.esc(c.point[1].grid));
    if (c.description) parts.push(W.esc(T.fields.description) + " " + W.esc(T.corrected));
    return parts.length ? '<div class="corr">' + W.esc(T.corrections) + ": " + parts.join("；") + "</div>" : "";
  }

  function drawTimeline(data) {
    const list = document.getElementById("timeline");
    list.innerHTML = (data.timeline || []).map((e) =>
      '<li data-version="' + W.esc(e.version) + '"><time datetime="' + W.esc(e.created_at) + '">' + when(e.created_at) + "</time> <b>" + W.esc(e.action_label) +
      "</b> · " + W.esc(e.actor && e.actor.name) + (e.actor && e.actor.role_label ? " (" + W.esc(e.actor.role_label) + ")" : "") +
      (e.handling_unit ? " → " + W.esc(e.handling_unit.name) : "") +
      // A co-handling unit's action names that unit, not the lead.
      (e.data && e.data.unit_name && (!e.handling_unit || e.data.unit_name !== e.handling_unit.name)
        ? " · " + W.esc(T.co_unit) + " " + W.esc(e.data.unit_name) : "") +
      (e.data && e.data.original_number
        ? ' · <a href="' + W.esc(caseUrl(e.data.original_case_id)) + '">' + W.esc(e.data.original_number) + "</a>" : "") +
      (e.data && e.data.sub_channel ? ' · <span class="muted">' + W.esc(e.data.sub_channel) + "</span>" : "") +
      corrections(e.data) +
      (e.note ? '<div class="note">' + W.esc(e.note) + "</div>" : "") + "</li>").join("");
  }

  function caseUrl(id) {
    return root.dataset.page.replace(/\/\d+\/$/, "/" + id + "/");
  }

  function when(iso) {
    return iso ? W.esc(WanggeTime.dateTime(iso, T.tz)) : "";
  }

  // --- the action forms ---------------------------------------------------------------------
  // Choices longer than this get a search box.
  const SEARCH_FROM = 12;

  function optionsHtml(field, filter) {
    const words = (filter || "").trim().toLowerCase().split(/\s+/).filter(Boolean);
    const chosen = field._chosen;
    const keep = (c) => !words.length || String(c.value) === String(chosen) ||
      words.every((w) => String(c.label).toLowerCase().includes(w) || String(c.group || "").toLowerCase().includes(w));
    const label = (c) => W.esc(c.label) + (c.value === field.suggested && field.suggested !== "" && !field.name.endsWith("item_id")
      ? " (" + W.esc(T.suggested) + ")" : "");
    const option = (c) => '<option value="' + W.esc(c.value) + '"' + (String(c.value) === String(chosen) ? " selected" : "") + ">" + label(c) + "</option>";
    const choices = field.choices.filter(keep);
    let html = field.required ? "" : '<option value="">—</option>';
    if (choices.some((c) => c.group)) {
      const groups = new Map();
      for (const c of choices) {
        if (!groups.has(c.group || "")) groups.set(c.group || "", []);
        groups.get(c.group || "").push(c);
      }
      html += Array.from(groups, ([group, list]) =>
        '<optgroup label="' + W.esc(group) + '">' + list.map(option).join("") + "</optgroup>").join("");
    } else html += choices.map(option).join("");
    return html;
  }

  function fieldInput(action, field) {
    // The visible label is the field's name in plain words; the sentence says what it is for.
    const id = "f-" + W.token(action) + "-" + W.token(field.name);
    const required = field.required ? " required" : "";
    const name = ' name="' + W.esc(field.name) + '" id="' + id + '"';
    const hint = field.help && field.help !== field.label ? '<span class="hint" id="' + id + '-hint">' + W.esc(field.help) + "</span>" : "";
    const described = hint ? ' aria-describedby="' + id + '-hint"' : "";
    let input;
    if (field.choices) {
      field._chosen = field.suggested != null ? field.suggested : (field.required ? "" : "");
      // Long lists and grouped ones (units, catalogue items) get a search box.
      const search = field.choices.length > SEARCH_FROM || field.choices.some((c) => c.group)
        ? '<input type="search" class="choice-search" data-for="' + id + '" aria-label="' + W.esc(T.search + " " + field.label) +
          '" placeholder="' + W.esc(T.search_placeholder) + '" autocomplete="off">' : "";
      input = search + "<select" + name + required + described + ">" + optionsHtml(field, "") + "</select>";
    } else if (field.type === "boolean") {
      input = "<select" + name + described + '><option value="true">' + W.esc(T.yes) +
        '</option><option value="false">' + W.esc(T.no) + "</option></select>";
    } else if (field.type === "date") {
      input = "<input" + name + ' type="date"' + (field.suggested ? ' value="' + W.esc(field.suggested) + '"' : "") + required + described + ">";
    } else if (field.type === "point") {
      input = '<input type="hidden"' + name + ' data-point value="">' +
        '<span class="readout corr-map-hint" data-point-readout>' + W.esc(field.help) + "</span>";
      return '<div class="field"><span class="label">' + W.esc(field.label) + "</span> " + input + "</div>";
    } else if (field.type === "text") {
      input = '<textarea rows="3"' + name + required + described + ">" + W.esc(field.suggested || "") + "</textarea>";
    } else {
      const type = field.type === "string" ? "text" : "number";
      const step = field.type === "number" ? ' step="any" min="0"' : "";
      input = "<input" + name + ' type="' + type + '"' + step + required + described +
        (field.suggested != null && field.type === "string" ? ' value="' + W.esc(field.suggested) + '"' : "") + ">";
    }
    return '<div class="field"><label for="' + id + '">' + W.esc(field.label) + "</label>" + input + hint + "</div>";
  }

  function noteInput(a) {
    if (!a.needs_note) return "";
    const id = "f-" + W.token(a.action) + "-note";
    return '<div class="field"><label for="' + id + '">' + W.esc(a.emphasis === "destructive" ? T.reason : T.note) +
      '</label><textarea id="' + id + '" name="note" rows="2" required></textarea></div>';
  }

  function photoInput(a) {
    if (!a.photos) return "";
    const id = "f-" + W.token(a.action) + "-photos";
    return '<div class="field photos-input"><label for="' + id + '">' + W.esc(T.photos) + '</label><input id="' + id +
      '" type="file" name="photos" accept="image/jpeg,image/png,image/webp" multiple></div>';
  }

  function formHtml(a, kind) {
    const required = a.payload_fields.filter((f) => f.required);
    const optional = a.payload_fields.filter((f) => !f.required);
    const body = required.map((f) => fieldInput(a.action, f)).join("") + noteInput(a) + photoInput(a);
    const submit = '<button type="submit" data-testid="action-' + W.esc(a.action) + '">' + W.esc(a.label) + "</button>";
    const extra = optional.map((f) => fieldInput(a.action, f)).join("");
    const cls = 'class="action ' + kind;
    if (kind === "primary") {
      // The next step at once; what it may change (a registration's corrections) one click away.
      const toggle = extra ? '<button type="button" class="toggle" aria-expanded="false" data-testid="more-' + W.esc(a.action) +
        '">' + W.esc(a.action === "register" ? T.correct : T.more) + "</button>" : "";
      const fields = extra ? '<div class="fields" hidden>' + extra + "</div>" : "";
      return "<form " + cls + '" data-action="' + W.esc(a.action) + '">' + body + fields +
        '<div class="row">' + submit + toggle + "</div></form>";
    }
    const all = body + extra;
    if (!all) {
      // Nothing to fill in: the button acts (those the workflow marks `confirm` still ask first).
      return "<form " + cls + ' collapsed" data-action="' + W.esc(a.action) + '">' + submit + "</form>";
    }
    return "<form " + cls + ' collapsed" data-action="' + W.esc(a.action) + '">' +
      '<button type="button" class="toggle" aria-expanded="false" data-testid="open-' + W.esc(a.action) + '">' + W.esc(a.label) + "…</button>" +
      '<div class="fields" hidden>' + all + '<div class="row">' + submit +
      '<button type="button" class="cancel" data-cancel>' + W.esc(T.cancel) + "</button></div></div></form>";
  }

  function drawActions(data) {
    const box = document.getElementById("actions");
    const actions = data.actions || [];
    if (!actions.length) { box.innerHTML = '<p class="muted">' + W.esc(T.no_actions) + "</p>"; return; }
    const primary = actions.find((a) => a.emphasis === "primary");
    const others = actions.filter((a) => a !== primary && a.emphasis !== "destructive");
    const ending = actions.filter((a) => a.emphasis === "destructive");
    box.innerHTML = (primary ? formHtml(primary, "primary") : "") +
      (others.length ? (primary ? "<h3>" + W.esc(T.other_actions) + "</h3>" : "") +
        '<div class="group">' + others.map((a) => formHtml(a, "secondary")).join("") + "</div>" : "") +
      (ending.length ? "<h3>" + W.esc(T.ending_actions) + '</h3><div class="group">' +
        ending.map((a) => formHtml(a, "destructive")).join("") + "</div>" : "");
    for (const form of box.querySelectorAll("form.action")) form.addEventListener("submit", submit);
  }

  const actionsBox = document.getElementById("actions");
  actionsBox.addEventListener("click", (event) => {
    const toggle = event.target.closest("button.toggle");
    const cancel = event.target.closest("button[data-cancel]");
    if (toggle) {
      const form = toggle.closest("form");
      const fields = form.querySelector(".fields");
      const open = fields.hidden;
      fields.hidden = !open;
      toggle.setAttribute("aria-expanded", String(open));
      if (form.classList.contains("primary")) {
        toggle.dataset.label = toggle.dataset.label || toggle.textContent;
        toggle.textContent = open ? T.hide_more : toggle.dataset.label;
      }
      form.classList.toggle("collapsed", !open && !form.classList.contains("primary"));
      if (open) {
        const first = fields.querySelector("input:not([type=hidden]), select, textarea");
        if (first) first.focus();
      }
    } else if (cancel) {
      const form = cancel.closest("form");
      form.querySelector(".fields").hidden = true;
      form.classList.add("collapsed");
      const opener = form.querySelector("button.toggle");
      opener.setAttribute("aria-expanded", "false");
      opener.focus();
    }
  });
  actionsBox.addEventListener("input", (event) => {
    const search = event.target.closest("input.choice-search");
    if (!search) return;
    const select = document.getElementById(search.dataset.for);
    const form = select.closest("form");
    const hint = current.actions.find((a) => a.action === form.dataset.action);
    const field = hint.payload_fields.find((f) => f.name === select.name);
    field._chosen = select.value;
    select.innerHTML = optionsHtml(field, search.value);
  });
  actionsBox.addEventListener("keydown", (event) => {
    // Enter in a search box picks the first match instead of sending the form.
    const search = event.target.closest("input.choice-search");
    if (search && event.key === "Enter") {
      event.preventDefault();
      const select = document.getElementById(search.dataset.for);
      const first = Array.from(select.options).find((o) => o.value !== "");
      if (first) select.value = first.value;
      select.focus();
    }
  });

  // A correction's new place: a click on the case map while the form is open.
  let pointMarker = null;
  function pickPoint(event) {
    const input = document.querySelector("#actions [data-point]");
    if (!input || input.closest(".fields[hidden]")) return;
    const lon = Number(event.latlng.lng.toFixed(6));
    const lat = Number(event.latlng.lat.toFixed(6));
    input.value = JSON.stringify({ lon: lon, lat: lat });
    const readout = input.parentElement.querySelector("[data-point-readout]");
    readout.textContent = T.new_place + " " + lon.toFixed(5) + ", " + lat.toFixed(5);
    readout.dataset.set = "1";
    if (pointMarker) pointMarker.setLatLng(event.latlng);
    else pointMarker = L.circleMarker(event.latlng, { radius: 9, color: "#1d4ed8", weight: 3, dashArray: "4 3", fillOpacity: 0.4 }).addTo(map);
  }

  function coerce(field, raw) {
    if (field.type === "boolean") return raw === "true";
    if (field.type === "integer") return parseInt(raw, 10);
    if (field.type === "number") return parseFloat(raw);
    if (field.type === "point") return JSON.parse(raw);
    return raw;
  }

  // --- taking an action -------------------------------------------------------------------
  let confirmBox = null;
  // Whether to ask is the workflow table's rule (the hint's `confirm`): destructive actions,
  // and those that hand the case away for good (push_down) with their own words and a button
  // that is not red.
  function confirmAction(hint, note) {
    if (!confirmBox) {
      confirmBox = document.createElement("dialog");
      confirmBox.className = "confirm";
      confirmBox.dataset.testid = "confirm";
      document.body.appendChild(confirmBox);
    }
    // A destructive action's question is red; handing the case on is asked in plain colours.
    confirmBox.className = hint.emphasis === "destructive" ? "confirm" : "confirm light";
    confirmBox.innerHTML = '<form method="dialog"><h2 id="confirm-title">' + W.esc(T.confirm_title.replace("%(action)s", hint.label)) + "</h2><p>" +
      W.esc((hint.confirm_text || T.confirm_text).replace("%(number)s", current.number || current.id)) + "</p>" +
      (note ? "<p><b>" + W.esc(T.reason) + "</b></p><blockquote>" + W.esc(note) + "</blockquote>" : "") +
      '<div class="buttons"><button value="cancel" data-testid="confirm-no" autofocus>' + W.esc(T.cancel) +
      '</button><button value="yes" class="' + (hint.emphasis === "destructive" ? "danger" : "primary") +
      '" data-testid="confirm-yes">' + W.esc(hint.label) + "</button></div></form>";
    confirmBox.setAttribute("aria-labelledby", "confirm-title");
    return new Promise((resolve) => {
      confirmBox.addEventListener("close", () => resolve(confirmBox.returnValue === "yes"), { once: true });
      confirmBox.returnValue = "";
      confirmBox.showModal();
    });
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
    if (hint.needs_note && !note) {
      showError(T.note_required);
      form.elements.note.focus();
      return;
    }
    if ((hint.confirm || hint.emphasis === "destructive") && !(await confirmAction(hint, note))) {
      form.querySelector("button[type=submit]").focus();
      return;
    }
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
    let res;
    try {
      res = await W.api(root.dataset.actions, { method: "POST", body: sent });
    } catch (err) {
      res = { ok: false, status: 0, data: null }; // the network dropped; the form keeps its input
    }
    if (res.ok) {
      showError("");
      render(res.data);
      showDone(hint.label, res.data);
    } else if (res.status === 409 && res.data && res.data.code === "version_conflict") {
      await reloadAfterConflict(hint, form);
    } else {
      showError((res.data && res.data.message) || T.failed + " (" + res.status + ")", res.data && res.data.errors);
      for (const button of document.querySelectorAll("#actions button")) button.disabled = false;
    }
  }

  // Someone else acted first: show the case as it is now, say who did what, and keep what
  // this user typed where the same action is still offered.
  async function reloadAfterConflict(hint, form) {
    const typed = {};
    for (const el of form.querySelectorAll("textarea, input:not([type=file]):not([type=hidden]), select")) {
      if (el.name) typed[el.name] = el.value;
    }
    const seen = current.version;
    const res = await W.api(root.dataset.api);
    if (!res.ok) { showError((res.data && res.data.message) || T.failed); return; }
    render(res.data);
    const changes = (res.data.timeline || []).filter((e) => e.version > seen).map((e) =>
      (e.actor && e.actor.name ? e.actor.name + (e.actor.role_label ? " (" + e.actor.role_label + ")" : "") + " " : "") +
      e.action_label + " · " + WanggeTime.dateTime(e.created_at, T.tz));
    let message = T.conflict + " " + (changes.length ? changes.join("；") + "。"
      : T.now_status + " " + (T.statuses[res.data.status] || res.data.status) + "。");
    const still = document.querySelector('#actions form[data-action="' + hint.action + '"]');
    if (still) {
      for (const [name, value] of Object.entries(typed)) {
        const el = still.elements[name];
        if (el && el.type !== "hidden" && value) el.value = value;
      }
      message += " " + T.conflict_again;
    } else {
      message += " " + T.conflict_gone.replace("%(action)s", hint.label);
    }
    conflictBox.textContent = message;
    conflictBox.hidden = false;
    conflictBox.focus({ preventScroll: true });
    conflictBox.scrollIntoView({ block: "nearest" });
  }

  function showError(message, errors) {
    let text = message;
    if (errors) {
      const details = Object.values(errors).flat().filter((m) => typeof m === "string");
      if (details.length) text += " " + details.join(" ");
    }
    errorBox.textContent = text;
    errorBox.hidden = !text;
    if (text) {
      doneBox.hidden = true;
      errorBox.focus({ preventScroll: true });
    }
  }

  // After an action: what happened and where the case is now; focus stays on the panel.
  function showDone(label, data) {
    doneBox.textContent = label + " · " + T.done + " " + (T.statuses[data.status] || data.status) +
      " · " + (T.levels[data.handling_level] || data.handling_level) +
      (data.handling_unit ? " · " + data.handling_unit.name : "");
    doneBox.hidden = false;
    conflictBox.hidden = true;
    doneBox.focus({ preventScroll: true });
    doneBox.scrollIntoView({ block: "nearest" });
  }

  function drawHead(data) {
    const set = (id, text) => { const el = document.getElementById(id); if (el) el.textContent = text; };
    set("case-item", data.item ? data.item.name : "");
    set("case-address", data.address || "—");
    const loc = data.location || {};
    set("case-location", ["street", "community"].map((k) => loc[k] && loc[k].name).filter(Boolean).join(" › "));
    set("case-description", data.description || "");
    const caller = document.getElementById("case-caller");
    if (caller) {
      const c = data.contact;
      caller.hidden = !c || !(c.name || c.phone);
      if (c) caller.querySelector("span").textContent = [c.name, c.phone].filter(Boolean).join(" ");
    }
  }

  function render(data) {
    current = data;
    const status = document.getElementById("case-status");
    status.dataset.status = data.status;
    status.textContent = T.statuses[data.status] || data.status;
    document.getElementById("case-unit").textContent = data.handling_unit ? data.handling_unit.name : "—";
    const level = document.getElementById("case-level");
    level.dataset.level = data.handling_level;
    level.textContent = T.levels[data.handling_level] || data.handling_level;
    drawHead(data);
    drawClock();
    drawMap(data);
    if (pointMarker) { pointMarker.remove(); pointMarker = null; }
    drawPhotos(data);
    drawTimeline(data);
    drawActions(data);
    drawJoint(data);
    root.dataset.version = data.version;
    for (const listener of renderListeners) listener(data, map);
  }

  // Where the page was opened from: the intake desk says what it saved.
  const params = new URLSearchParams(window.location.search);
  function arrival(data) {
    if (!params.has("taken")) return;
    let text = T.taken.replace("%(number)s", data.number);
    if (params.has("linked")) {
      const marked = (data.timeline || []).find((e) => e.action === "mark_duplicate");
      text += " " + T.linked.replace("%(number)s", marked && marked.data ? marked.data.original_number : "");
    }
    doneBox.textContent = text;
    doneBox.hidden = false;
    const next = document.getElementById("next-intake");
    if (next) next.hidden = false; // the next caller is waiting
    if (params.has("link_failed")) showError(T.link_failed);
    history.replaceState(null, "", window.location.pathname);
  }

  W.api(root.dataset.api).then((res) => {
    if (res.ok) {
      render(res.data);
      arrival(res.data);
      map.on("click", pickPoint);
    } else showError((res.data && res.data.message) || T.failed);
  });
  setInterval(drawClock, 30000);
})();
