// The big screen (and the leader's home, which uses its panels): refreshes itself every 30 s
// with no interaction. Everything is updated in place — charts, lists, map pins — so a
// 12-hour shift does not grow the page. Data reaches the page as text (textContent), never markup.
(function () {
  "use strict";
  const configNode = document.getElementById("screen-config");
  if (!configNode) return;
  const C = JSON.parse(configNode.textContent);
  const T = C.i18n;
  const root = document.getElementById("screen") || document.body;
  const W = window.Wangge;
  const dark = document.body.classList.contains("screen");
  let refreshes = 0;
  let lastOk = null;
  let knownAlarms = null;
  let sound = false;
  let audio = null;

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text != null) node.textContent = String(text);
    return node;
  }
  function fmtTime(date, seconds) {
    const p = (n) => String(n).padStart(2, "0");
    return date.getFullYear() + "-" + p(date.getMonth() + 1) + "-" + p(date.getDate()) + " " +
      p(date.getHours()) + ":" + p(date.getMinutes()) + (seconds ? ":" + p(date.getSeconds()) : "");
  }
  function fmt(key, value) {
    if (value == null) return T.no_data;
    return key.endsWith("_rate") ? value.toFixed(1) + "%" : String(value);
  }
  function change(key, now, before) {
    if (now == null || before == null) return { text: "", cls: "" };
    if (key.endsWith("_rate")) {
      const d = now - before;
      return { text: (d >= 0 ? "▲ " : "▼ ") + Math.abs(d).toFixed(1) + " pt", cls: d >= 0 ? "up" : "down" };
    }
    if (!before) return { text: "", cls: "" };  // nothing to compare with
    const pct = (100 * (now - before)) / before;
    return { text: (pct >= 0 ? "▲ " : "▼ ") + Math.abs(pct).toFixed(0) + "%", cls: pct >= 0 ? "up" : "down" };
  }

  // --- clock -----------------------------------------------------------------------------
  const clock = root.querySelector("[data-clock]");
  if (clock) { const tick = () => { clock.textContent = fmtTime(new Date(), true); }; tick(); setInterval(tick, 1000); }

  // --- sound (optional: a browser plays sound only after a click) ----------------------------
  const soundButton = root.querySelector("[data-sound]");
  if (soundButton) {
    soundButton.addEventListener("click", () => {
      sound = !sound;
      if (sound && !audio && window.AudioContext) audio = new window.AudioContext();
      soundButton.textContent = sound ? T.sound_on : T.sound_off;
      soundButton.setAttribute("aria-pressed", String(sound));
    });
  }
  function beep() {
    if (!sound || !audio) return;
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = 880;
    gain.gain.value = 0.15;
    osc.connect(gain).connect(audio.destination);
    osc.start();
    osc.stop(audio.currentTime + 0.35);
  }

  // --- charts ----------------------------------------------------------------------------
  const charts = {};
  // Chart text follows the screen's root size (20 px at 1080p, 40 px at 2160p).
  function textPx(share) {
    return dark ? Math.round(parseFloat(getComputedStyle(document.documentElement).fontSize) * share) : Math.round(20 * share * 0.75);
  }
  function sizeFonts(c) {
    c.options.plugins.legend.labels.font.size = textPx(0.8);
    c.options.scales.x.ticks.font.size = textPx(0.7);
    c.options.scales.y.ticks.font.size = textPx(0.7);
  }
  window.addEventListener("resize", () => { Object.values(charts).forEach((c) => { sizeFonts(c); c.update("none"); }); });
  function chart(id, type, labels, sets) {
    const canvas = document.getElementById(id);
    if (!canvas || !window.Chart) return;
    if (charts[id]) {
      charts[id].data.labels = labels;
      sets.forEach((s, i) => { charts[id].data.datasets[i].data = s.data; });
      charts[id].update("none");
      return;
    }
    // The panels are dark on the wall and on the leader's home alike: light ink on both.
    const ink = "#cbd5e1";
    const grid = "rgba(148,163,184,.15)";
    charts[id] = new window.Chart(canvas, {
      type: type,
      data: { labels: labels, datasets: sets },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        plugins: { legend: { labels: { color: ink, font: { size: textPx(0.8) } } } },
        scales: {
          x: { ticks: { color: ink, font: { size: textPx(0.7) } }, grid: { color: grid } },
          y: { beginAtZero: true, ticks: { color: ink, precision: 0, font: { size: textPx(0.7) } }, grid: { color: grid } },
        },
      },
    });
  }

  // --- map -------------------------------------------------------------------------------
  let map = null;
  let pins = null;
  const mapNode = document.getElementById("sc-map");
  if (mapNode && window.L) {
    const base = C.base || {};
    map = L.map(mapNode, { zoomControl: false, attributionControl: true, preferCanvas: true, zoomSnap: 0.1 })
      .setView(base.center || [36.09, 120.32], base.zoom || 13);
    if (base.tiles) L.tileLayer(base.tiles, { attribution: W.esc(base.attribution), maxZoom: 19 }).addTo(map);
    else mapNode.classList.add("offline-base");
    pins = L.layerGroup().addTo(map);
    const styles = {
      district: { color: "#e2e8f0", weight: 3, fill: !base.tiles, fillColor: "#1e293b", fillOpacity: 1 },
      street: { color: "#60a5fa", weight: 1.5, fill: !base.tiles, fillColor: "#1e3a5f", fillOpacity: 0.6 },
    };
    (async () => {
      for (const level of ["district", "street"]) {
        const res = await W.api(C.regions_url + "?level=" + level + "&limit=1000");
        if (!res.ok) continue;
        const layer = L.geoJSON(W.features(res.data), {
          style: styles[level], interactive: false,
        }).addTo(map);
        if (level === "district" && layer.getLayers().length) {
          const fit = () => map.fitBounds(layer.getBounds(), { padding: [10, 10] });
          fit();
          map.on("resize", fit);  // a wall switched between 1080p and 2160p keeps the district in frame
        }
        layer.bringToBack();
      }
    })();
  }
  const PIN = { overdue: { color: "#fecaca", fillColor: "#dc2626", radius: 7 }, warn: { color: "#fef9c3", fillColor: "#facc15", radius: 6 }, ok: { color: "#bfdbfe", fillColor: "#3b82f6", radius: 4 } };
  async function loadPins() {
    if (!map) return;
    const res = await W.api(C.cases_url);
    if (!res.ok || !res.data) return;
    pins.clearLayers();
    // Red last, so they sit on top.
    const order = { ok: 0, warn: 1, overdue: 2 };
    const cases = res.data.cases.slice().sort((a, b) => (order[a.card] || 0) - (order[b.card] || 0));
    const scale = textPx(1) / 20;  // pins grow with the wall, like the text
    for (const c of cases) {
      const style = PIN[c.card] || PIN.ok;
      L.circleMarker([c.lat, c.lon], Object.assign({ weight: 2 * scale, fillOpacity: 0.95 }, style, { radius: style.radius * scale })).addTo(pins);
    }
    mapNode.dataset.pins = String(cases.length);
    mapNode.dataset.overdue = String(res.data.overdue_total);
  }

  // --- panels ----------------------------------------------------------------------------
  function fill(data) {
    for (const tile of root.querySelectorAll("[data-kpi]")) {
      const key = tile.dataset.kpi;
      const today = data.kpis.today[key];
      tile.querySelector("[data-value]").textContent = fmt(key, today.value);
      const ch = change(key, today.value, today.previous);
      const box = tile.querySelector("[data-change]");
      box.textContent = ch.text;
      box.className = "sc-change " + ch.cls;
      box.title = T.vs_previous;
      const more = tile.querySelector("[data-more]");
      more.replaceChildren(
        el("span", null, T.week + " " + fmt(key, data.kpis.week[key].value)),
        el("span", null, T.month + " " + fmt(key, data.kpis.month[key].value)));
    }
    for (const tile of root.querySelectorAll("[data-now]")) {
      tile.querySelector("[data-value]").textContent = data.now[tile.dataset.now];
      if (tile.dataset.now === "overdue") {
        tile.querySelector("[data-more]").replaceChildren(
          el("span", null, T.warn_n.replace("%(n)s", data.now.warn)),
          el("span", null, T.open_n.replace("%(n)s", data.now.open)));
      }
    }
    const tr = data.trends;
    chart("sc-today", "line", tr.hours, [
      { label: T.today_reported, data: tr.today_reported, borderColor: "#60a5fa", backgroundColor: "#60a5fa", tension: 0.3 },
      { label: T.yesterday_reported, data: tr.yesterday_reported, borderColor: "#94a3b8", backgroundColor: "#94a3b8", borderDash: [6, 4], tension: 0.3 },
      { label: T.today_closed, data: tr.today_closed, borderColor: "#34d399", backgroundColor: "#34d399", tension: 0.3 },
    ]);
    chart("sc-week", "bar", tr.days, [
      { label: T.week_reported, data: tr.week_reported, backgroundColor: "#3b82f6" },
      { label: T.week_closed, data: tr.week_closed, backgroundColor: "#10b981" },
    ]);
    const items = root.querySelector("[data-list=items]");
    if (items) {
      const top = data.rankings.items.length ? data.rankings.items[0].count : 1;
      items.replaceChildren(...data.rankings.items.map((it) => {
        const li = el("li");
        li.append(el("span", "name", it.name), el("b", null, it.count));
        const bar = el("i", "bar");
        bar.style.width = Math.max(4, Math.round((100 * it.count) / top)) + "%";  // CSSOM: allowed by the CSP
        li.append(bar);
        return li;
      }));
    }
    const streets = root.querySelector("[data-list=streets]");
    if (streets) {
      streets.replaceChildren(...data.rankings.streets.map((s) => {
        const tr_ = el("tr", s.overdue ? "hot" : "");
        tr_.append(el("td", "name", s.name || s.code), el("td", "num", s.open),
          el("td", "num red", s.overdue),
          el("td", "num", s.on_time_rate == null ? T.no_data : s.on_time_rate.toFixed(0) + "%"));
        return tr_;
      }));
    }
    const duty = root.querySelector("[data-list=inspectors]");
    if (duty) {
      const count = root.querySelector("[data-duty-count]");
      if (count) count.textContent = T.on_duty.replace("%(count)s", data.inspectors.count).replace("%(posted)s", data.inspectors.posted);
      duty.replaceChildren(...(data.inspectors.latest.length ? data.inspectors.latest.map((p) => {
        const li = el("li");
        li.append(el("span", null, p.name), el("small", null, T.minutes_ago.replace("%(n)s", p.minutes)));
        return li;
      }) : [el("li", "muted", T.no_inspectors)]));
    }
    const alarms = root.querySelector("[data-list=alarms]");
    if (alarms) {
      const keys = new Set(data.alarms.map((a) => a.key));
      const fresh = knownAlarms ? data.alarms.filter((a) => !knownAlarms.has(a.key)) : [];
      knownAlarms = keys;
      if (fresh.length) beep();
      const freshKeys = new Set(fresh.map((a) => a.key));
      alarms.replaceChildren(...(data.alarms.length ? data.alarms.map((a) => {
        const li = el("li", "alarm " + W.token(a.kind) + (freshKeys.has(a.key) ? " fresh" : ""));
        const link = el("a");
        link.href = W.safeUrl(a.url);
        link.append(el("time", null, a.at), el("b", null, a.label), el("span", null, a.text));
        li.append(link);
        return li;
      }) : [el("li", "muted", T.no_alarms)]));
    }
  }

  const status = root.querySelector("[data-status]");
  async function refresh() {
    try {
      const res = await W.api(C.data_url);
      if (!res.ok || !res.data) throw new Error(String(res.status));
      fill(res.data);
      await loadPins();
      refreshes += 1;
      lastOk = new Date();
      root.dataset.refreshes = String(refreshes);
      root.dataset.loaded = "1";
      if (status) { status.textContent = T.updated.replace("%(time)s", fmtTime(lastOk, true).slice(11)); status.classList.remove("stale"); }
    } catch (err) {
      if (status && lastOk) { status.textContent = T.stale.replace("%(time)s", fmtTime(lastOk, false).slice(11)); status.classList.add("stale"); }
    }
  }
  refresh();
  setInterval(refresh, (Number(root.dataset.refreshSeconds) || C.refresh_seconds || 30) * 1000);
})();
