// The analysis page: hot spots and the heat map on the map, alarms acted on in place, small
// multiples of the busiest items, repeat places' history, and the replay of a patrol track.
// Words come from the page (json_script); data from /api/v1/analysis/ and /api/v1/patrol/.
(function () {
  "use strict";
  const W = window.Wangge;
  const C = JSON.parse(document.getElementById("analysis-config").textContent);
  const T = C.i18n;
  const STATE_COLOURS = { new: "#ea580c", acknowledged: "#2563eb", handled: "#059669", gone: "#9ca3af" };
  const withId = (pattern, id) => pattern.replace("/0/", "/" + id + "/");

  // --- the map ---------------------------------------------------------------------------
  const map = L.map("analysis-map", { preferCanvas: true, minZoom: 8, maxZoom: 19 })
    .setView(C.center, C.zoom);
  // The heat goes on first, so the outlines and hulls are drawn over it. Its own maxZoom is
  // where points reach full strength; the layer group keeps the layers control from reading
  // it as a zoom limit (which would grey the checkbox out when zoomed in).
  const heat = L.heatLayer([], { radius: 22, blur: 18, maxZoom: 15, minOpacity: 0.25 });
  const heatGroup = L.layerGroup([heat]).addTo(map);
  // Context without a basemap (closed networks): streets, and communities dashed.
  const outlines = L.geoJSON(null, {
    style: (f) => (f.properties.level === "street"
      ? { color: "#334155", weight: 2, fill: false }
      : { color: "#64748b", weight: 1, dashArray: "4 3", fill: false }),
    onEachFeature: (f, layer) => layer.bindTooltip(f.properties.name, { sticky: true }),
  }).addTo(map);
  const hulls = L.geoJSON(null, {
    style: (f) => ({ color: STATE_COLOURS[f.properties.state] || "#9ca3af", weight: 2, fillOpacity: 0.25 }),
    onEachFeature: (f, layer) => layer.bindTooltip(hotspotLabel(f.properties), { sticky: true }),
  }).addTo(map);
  const trackLayer = L.layerGroup().addTo(map);
  const overlays = {};
  overlays[T.hotspots] = hulls;
  overlays[T.heat] = heatGroup;
  overlays[T.track] = trackLayer;
  L.control.layers(null, overlays, { collapsed: false }).addTo(map);
  map.getContainer().dataset.ready = "0";

  function hotspotLabel(p) {
    const div = document.createElement("div");
    const title = document.createElement("b");
    title.textContent = (p.item ? p.item.name : p.class_label) + " · " + p.case_count + " " + T.cases;
    const line = document.createElement("div");
    line.textContent = (p.region ? p.region.name : "") + " · " + (T.states[p.state] || p.state);
    div.append(title, line);
    return div;
  }

  async function loadOutlines() {
    for (const level of ["street", "community"]) {
      const r = await W.api("/api/v1/regions/?level=" + level + "&page_size=500");
      if (r.ok) outlines.addData(W.features(r.data));
    }
    outlines.bringToBack();
  }

  async function loadHotspots() {
    const r = await W.api(C.urls.hotspots + "?state=new,acknowledged,handled&limit=500");
    if (!r.ok) return;
    const features = (r.data.results || []).map((h) => ({ type: "Feature", geometry: h.hull, properties: h }));
    hulls.clearLayers();
    hulls.addData(features);
    map.getContainer().dataset.hotspots = String(features.length);

  }

  async function loadHeat() {
    const r = await W.api(C.urls.heat + "?days=7");
    if (!r.ok) return;
    const points = r.data.points || [];
    const max = points.reduce((m, p) => Math.max(m, p[2]), 1);
    heat.setOptions({ max: max });
    heat.setLatLngs(points);
    map.getContainer().dataset.heat = String(points.length);
  }

  // --- alarms ----------------------------------------------------------------------------
  function focusAlarm(li) {
    document.querySelectorAll(".alarm.focused").forEach((el) => el.classList.remove("focused"));
    li.classList.add("focused");
    if (li.dataset.lat) map.setView([Number(li.dataset.lat), Number(li.dataset.lon)], 17);
  }

  async function act(li, action) {
    const note = li.querySelector("input[name=note]");
    const message = li.querySelector(".alarm-message");
    li.querySelectorAll("button[data-action]").forEach((b) => { b.disabled = true; });
    const url = withId(action === "handle" ? C.urls.handle : C.urls.acknowledge, li.dataset.alarm);
    const r = await W.api(url, { method: "POST", body: { note: note ? note.value : "" } });
    li.querySelectorAll("button[data-action]").forEach((b) => { b.disabled = false; });
    if (!r.ok) {
      message.textContent = (r.data && r.data.message) || T.failed;
      message.className = "alarm-message error";
      if (r.status === 409 && r.data.state) {
        if (li.dataset.state === "new") bumpNewAlarms(-1);
        setAlarmState(li, r.data.state);
      }
      return;
    }
    if (li.dataset.state === "new") bumpNewAlarms(-1);
    setAlarmState(li, r.data.state);
    if (note) note.value = "";
    const who = r.data.state === "handled" ? r.data.handled_by : r.data.acknowledged_by;
    message.textContent = (T.states[r.data.state] || r.data.state) + (who ? " · " + who : "");
    message.className = "alarm-message muted";
    loadHotspots();
  }

  function bumpNewAlarms(by) {
    const kpi = document.querySelector("[data-testid=kpi-alarms]");
    if (!kpi) return;
    const count = Math.max(0, Number(kpi.querySelector("b").textContent) + by);
    kpi.querySelector("b").textContent = String(count);
    kpi.classList.toggle("hot", count > 0);
  }

  function setAlarmState(li, state) {
    if (!state) return;
    li.dataset.state = state;
    li.className = li.className.replace(/state-\w+/, "state-" + state);
    const tag = li.querySelector("[data-testid=alarm-state]");
    if (tag) tag.textContent = T.states[state] || state;
    const ack = li.querySelector("[data-action=acknowledge]");
    if (ack && state !== "new") ack.remove();
    if (state === "handled") {
      const actions = li.querySelector(".alarm-actions");
      if (actions) actions.remove();
    }
  }

  document.querySelectorAll(".alarm").forEach((li) => {
    li.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-action]");
      if (!button) return;
      if (button.dataset.action === "focus") focusAlarm(li);
      else act(li, button.dataset.action);
    });
  });
  if (C.focus_alarm) {
    const li = document.querySelector('.alarm[data-alarm="' + Number(C.focus_alarm) + '"]');
    if (li) { focusAlarm(li); li.scrollIntoView({ block: "nearest" }); }
  }

  // --- small multiples -------------------------------------------------------------------
  async function loadMultiples() {
    const box = document.getElementById("multiples");
    const r = await W.api(C.urls.series + "?days=28&top=12");
    if (!r.ok) return;
    const days = r.data.days || [];
    if (!(r.data.items || []).length) {
      const p = document.createElement("p");
      p.className = "muted";
      p.textContent = T.no_items;
      box.append(p);
    }
    const labels = days.map((d) => d.slice(5));
    // One scale per chart: each item's own shape matters, not the busiest item's height.
    for (const item of r.data.items || []) {
      const card = document.createElement("div");
      card.className = "multiple" + (item.flagged.length ? " flagged" : "");
      card.dataset.item = item.code;
      const h = document.createElement("h3");
      const name = document.createElement("span");
      name.textContent = item.name;
      const total = document.createElement("small");
      total.textContent = T.total.replace("%(n)s", String(item.counts.reduce((a, b) => a + b, 0)));
      h.append(name, total);
      const holder = document.createElement("div");
      holder.className = "spark";
      const canvas = document.createElement("canvas");
      canvas.setAttribute("aria-label", item.name);
      holder.append(canvas);
      card.append(h, holder);
      box.append(card);
      const flagged = new Set(item.flagged);
      new window.Chart(canvas, {
        type: "line",
        data: {
          labels: labels,
          datasets: [
            {
              label: T.count, data: item.counts, borderColor: "#1d4ed8", borderWidth: 1.5,
              pointRadius: days.map((d) => (flagged.has(d) ? 4 : 0)),
              pointBackgroundColor: "#ea580c", tension: 0.2,
            },
            {
              label: T.expected, data: item.expected, borderColor: "#94a3b8", borderWidth: 1,
              borderDash: [4, 3], pointRadius: 0, spanGaps: true,
            },
          ],
        },
        options: {
          responsive: true, maintainAspectRatio: false, animation: false,
          plugins: { legend: { display: false } },
          scales: { x: { ticks: { maxTicksLimit: 4, font: { size: 10 } } }, y: { beginAtZero: true, ticks: { maxTicksLimit: 4, font: { size: 10 } } } },
        },
      });
    }
    box.dataset.loaded = String((r.data.items || []).length);
  }

  // --- repeat places: history ------------------------------------------------------------
  document.querySelectorAll("[data-place]").forEach((tr) => {
    const button = tr.querySelector("[data-action=history]");
    if (!button) return;
    button.addEventListener("click", async () => {
      const row = tr.nextElementSibling;
      if (!row.hidden) { row.hidden = true; return; }
      const list = row.querySelector(".history");
      if (!list.childElementCount) {
        const r = await W.api(withId(C.urls.repeat, tr.dataset.place));
        if (!r.ok) return;
        for (const c of r.data.history) {
          const li = document.createElement("li");
          const a = document.createElement("a");
          a.href = withId(C.urls.case, c.id);
          a.textContent = c.number;
          const text = document.createElement("span");
          text.textContent = " " + c.item + " · " + local(c.reported_at) + " → " + local(c.closed_at) +
            (c.handling_unit ? " · " + c.handling_unit : "");
          li.append(a, text);
          list.append(li);
        }
      }
      row.hidden = false;
      map.setView([Number(tr.dataset.lat), Number(tr.dataset.lon)], 17);
    });
  });

  function pad(n) { return String(n).padStart(2, "0"); }
  function local(iso) {
    if (!iso) return "—";
    const d = new Date(iso);
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " + pad(d.getHours()) + ":" + pad(d.getMinutes());
  }
  function clock(epoch) {
    const d = new Date(epoch * 1000);
    return pad(d.getHours()) + ":" + pad(d.getMinutes());
  }

  // --- patrol replay ---------------------------------------------------------------------
  const form = document.getElementById("replay");
  const play = document.getElementById("replay-play");
  const slider = document.getElementById("replay-at");
  const clockOut = document.getElementById("replay-clock");
  const figures = document.getElementById("replay-figures");
  let replay = null;  // {points: [[lat, lon, t]], start, end, head, timer}

  function stop() {
    if (replay && replay.timer) { clearInterval(replay.timer); replay.timer = null; }
    play.textContent = T.play;
  }

  function positionAt(t) {
    const pts = replay.points;
    let lo = 0;
    let hi = pts.length - 1;
    if (t <= pts[0][2]) return pts[0];
    if (t >= pts[hi][2]) return pts[hi];
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (pts[mid][2] <= t) lo = mid; else hi = mid;
    }
    const a = pts[lo];
    const b = pts[hi];
    const f = b[2] === a[2] ? 0 : (t - a[2]) / (b[2] - a[2]);
    return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, t];
  }

  function show(fraction) {
    const t = replay.start + (replay.end - replay.start) * fraction;
    const p = positionAt(t);
    replay.head.setLatLng([p[0], p[1]]);
    clockOut.textContent = clock(t);
    slider.value = String(Math.round(fraction * 1000));
  }

  async function loadTrack(inspector, day) {
    stop();
    trackLayer.clearLayers();
    figures.textContent = "";
    clockOut.textContent = "";
    const r = await W.api(C.urls.track + "?inspector=" + encodeURIComponent(inspector) + "&date=" + encodeURIComponent(day));
    if (!r.ok || !r.data.geometry) {
      figures.textContent = (r.data && r.data.message) || T.no_track;
      play.disabled = true;
      slider.disabled = true;
      map.getContainer().dataset.track = "0";
      return;
    }
    const props = r.data.properties;
    const points = [];
    r.data.geometry.coordinates.forEach((line, i) => {
      L.polyline(line.map((c) => [c[1], c[0]]), { color: "#7c3aed", weight: 3, opacity: 0.8 }).addTo(trackLayer);
      line.forEach((c, j) => points.push([c[1], c[0], props.times[i][j]]));
    });
    const head = L.marker([points[0][0], points[0][1]], {
      icon: L.divIcon({ className: "track-head", iconSize: [16, 16] }),
      keyboard: false,
    }).addTo(trackLayer);
    replay = { points: points, start: points[0][2], end: points[points.length - 1][2], head: head, timer: null };
    const covered = props.covered_share == null ? "" : " · " + T.covered + " " + Math.round(props.covered_share * 100) + "%";
    figures.textContent = props.inspector.name + " · " + (props.distance_m / 1000).toFixed(1) + " " + T.km +
      " · " + (props.duty_seconds / 3600).toFixed(1) + " " + T.h + covered;
    play.disabled = false;
    slider.disabled = false;
    map.fitBounds(L.featureGroup(trackLayer.getLayers().filter((l) => l.getBounds)).getBounds().pad(0.2));
    show(0);
    map.getContainer().dataset.track = String(points.length);
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const inspector = form.elements.inspector.value;
    if (inspector) loadTrack(inspector, form.elements.day.value);
  });
  play.addEventListener("click", () => {
    if (!replay) return;
    if (replay.timer) { stop(); return; }
    play.textContent = T.pause;
    let fraction = Number(slider.value) / 1000;
    if (fraction >= 1) fraction = 0;
    // The whole day in about 30 seconds.
    replay.timer = setInterval(() => {
      fraction = Math.min(1, fraction + 1 / 600);
      show(fraction);
      if (fraction >= 1) stop();
    }, 50);
  });
  slider.addEventListener("input", () => { if (replay) show(Number(slider.value) / 1000); });
  document.querySelectorAll("[data-action=replay]").forEach((button) => {
    button.addEventListener("click", () => {
      form.elements.inspector.value = button.dataset.inspector;
      form.elements.day.value = button.dataset.day;
      loadTrack(button.dataset.inspector, button.dataset.day);
      document.getElementById("analysis-map").scrollIntoView({ block: "center" });
    });
  });

  Promise.all([loadOutlines(), loadHotspots(), loadHeat(), loadMultiples()])
    .catch((err) => console.warn("analysis page", err))
    .finally(() => {
      // Open on the hot spots, or else on the whole jurisdiction.
      map.invalidateSize();
      if (!C.focus_alarm && !C.replay) {
        if (hulls.getLayers().length) map.fitBounds(hulls.getBounds().pad(1.5), { maxZoom: 16, animate: false });
        else if (outlines.getLayers().length) map.fitBounds(outlines.getBounds(), { animate: false });
      }
      map.getContainer().dataset.ready = "1";
      if (C.replay) loadTrack(C.replay.inspector, C.replay.day);
    });
})();
