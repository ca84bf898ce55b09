// 城管通: the grid inspector's app. A client of the REST API and nothing more: every rule
// (who may report where, what an action needs) is the server's; the app shows its answers.

import { createApi, createQueue, fixes as fixStore, kv, openStore, outbox, reads } from "../common/data.js";
import { currentPosition, dot, here, makeMap, mapReady, photoPicker } from "../common/field.js";
import {
  go,
  installButton,
  registerWorker,
  router,
  watchNetwork,
  fmtDateTime,
  fmtTime,
  h,
  haversine,
  inboxBadge,
  inboxView,
  isoWithOffset,
  loadJson,
  metres,
  pointInGeometry,
  replace,
  screens,
  setStrings,
  showErrors,
  t,
  tabLink,
  timeLeft,
  toast,
  updateInboxBadge,
  uuid,
} from "../common/ui.js";

const config = loadJson("app-config");
const STR = loadJson("app-strings");
setStrings(STR);
await openStore("wangge-m");

const main = document.getElementById("main");
const tabs = document.getElementById("tabs");
const barTools = document.getElementById("bar-tools");

const state = {
  me: null,
  grids: null,
  position: null,
  unread: 0,
  waiting: [],
  duty: false,
  watchId: null,
  gps: { state: "waiting", since: 0 },
  lastFix: null,
};
let leaflet = null; // the current screen's map, removed when the screen changes

const api = createApi({
  base: config.api,
  language: config.language,
  strings: {
    offline: t("offline_error"),
    server_unavailable: t("server_unavailable"),
    photo_unavailable: t("photo_unavailable"),
  },
  onUnauthorized: () => forgetLogin(t("session_expired")),
});

// --- the outbox: reports and actions through sync/ -------------------------------------------

async function sendBatch(items) {
  const batch = items.slice(0, 200);
  const body = {
    items: batch.map((item) => ({
      ...item.body,
      client_id: item.client_id,
      kind: item.kind,
      device_time: item.device_time,
      attachment_ids: (item.photos || []).map((p) => p.attachment_id).filter(Boolean),
    })),
  };
  const answer = await api.post("sync/", body);
  return answer.results.map((result, index) => ({
    seq: batch[index].seq,
    ok: result.status === "ok",
    error: result.error ? new Error(result.error.message) : null,
  }));
}
sendBatch.uploadsPhotos = true;

const queue = createQueue({ api, send: sendBatch });
queue.onChange((items) => {
  const before = state.waiting.filter((item) => item.state !== "error").length;
  state.waiting = items;
  renderBar();
  // Say so when the last waiting write has gone (it replaces an older "saved offline").
  if (before && !items.some((item) => item.state !== "error")) toast(t("all_sent"), "good");
});

// --- the bar, the tabs ------------------------------------------------------------------------

const syncChip = h("a", { class: "chip", href: "#/outbox", "data-testid": "sync-status" });
const install = installButton();

function renderBar() {
  const waiting = state.waiting.filter((item) => item.state !== "error").length;
  const failed = state.waiting.filter((item) => item.state === "error").length;
  syncChip.dataset.waiting = String(waiting);
  syncChip.dataset.failed = String(failed);
  syncChip.className = `chip ${failed ? "bad" : waiting ? "warn" : "good"}`;
  syncChip.textContent = failed
    ? t("n_failed", { n: failed })
    : waiting
      ? t("n_waiting", { n: waiting })
      : t("all_sent");
  updateInboxBadge(tabs, state.unread);
}

function renderTabs(active) {
  if (!api.token) {
    tabs.hidden = true;
    barTools.replaceChildren(install);
    return;
  }
  tabs.hidden = false;
  barTools.replaceChildren(install, syncChip);
  replace(
    tabs,
    tabLink(active, "today", t("tab_today")),
    tabLink(active, "report", t("tab_report")),
    tabLink(active, "patrol", t("tab_patrol")),
    tabLink(active, "inbox", t("tab_inbox"), inboxBadge(state.unread)),
  );
  renderBar();
}

const { show: screen, live } = screens(main, (route) => {
  if (leaflet) {
    leaflet.remove();
    leaflet = null;
  }
  renderTabs(route);
});

function staleNote(result) {
  return result && result.stale
    ? h("p", { class: "stale", role: "status", "data-testid": "stale" }, t("saved_copy", { at: fmtDateTime(result.savedAt) }))
    : null;
}

// --- login ------------------------------------------------------------------------------------

function renderLogin(message) {
  const form = h(
    "form",
    { class: "card form", "data-testid": "login-form", novalidate: true },
    h("h2", { text: t("login_title") }),
    h("p", { class: "hint", text: t("login_lead") }),
    h(
      "label",
      { class: "field" },
      h("span", { class: "label", text: t("username") }),
      h("input", { name: "username", autocomplete: "username", autocapitalize: "none", required: true }),
    ),
    h(
      "label",
      { class: "field" },
      h("span", { class: "label", text: t("password") }),
      h("input", { name: "password", type: "password", autocomplete: "current-password", required: true }),
    ),
    h("p", { class: "form-error", role: "alert", text: message || "" }),
    h("button", { type: "submit", class: "button primary block", text: t("log_in") }),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const answer = await api.post("auth/login/", {
        username: String(data.get("username") || "").trim(),
        password: String(data.get("password") || ""),
        device: `城管通 ${navigator.userAgent}`.slice(0, 100),
      });
      api.setToken(answer.token);
      await kv.set("token", answer.token);
      await loadMe();
      go("today");
    } catch (error) {
      showErrors(form, error);
    } finally {
      button.disabled = false;
    }
  });
  screen("login", form);
}

async function loadMe() {
  const [me, grids] = await Promise.all([
    api.read("me/"),
    api.read("me/grids/"),
    // Kept on the phone at once: the report form works with no network from here on.
    api.read("catalogue/").catch(() => null),
  ]);
  state.me = me.data;
  state.grids = grids.data;
}

async function forgetLogin(message) {
  stopDuty();
  api.setToken(null);
  await kv.delete("token");
  await reads.clear();
  await api.forgetImages();
  state.me = null;
  state.grids = null;
  renderLogin(message);
}

async function logout() {
  const waiting = state.waiting.length;
  if (waiting && !window.confirm(t("logout_with_waiting", { n: waiting }))) return;
  if (!navigator.onLine) {
    toast(t("logout_needs_network"), "bad");
    return;
  }
  try {
    await api.request("POST", "auth/logout/");
  } catch (error) {
    if (error.network) {
      toast(t("logout_needs_network"), "bad");
      return;
    }
  }
  await outbox.clear();
  await fixStore.deleteMany((await fixStore.all()).map((fix) => fix.client_id));
  await forgetLogin("");
}

// --- today ------------------------------------------------------------------------------------

function taskCaseIds() {
  return new Set(
    state.waiting.filter((item) => item.kind === "action").map((item) => item.body.case_id),
  );
}

function statusLabel(code) {
  return (STR.status && STR.status[code]) || code;
}

async function renderToday() {
  const body = h("div", { class: "stack" });
  const seq = screen("today", body);
  let tasks, history;
  try {
    [tasks, history] = await Promise.all([
      api.read("me/tasks/", { limit: 100 }),
      api.read("me/history/", { page_size: 30 }),
    ]);
    if (!state.grids) await loadMe();
  } catch (error) {
    if (live(seq)) replace(body, h("p", { class: "card error", role: "alert", text: error.message }));
    return;
  }
  if (!live(seq)) return;
  api
    .read("me/inbox/", { unread: "true", page_size: 1 })
    .then((inbox) => {
      state.unread = Number(inbox.unread || 0);
      renderBar();
    })
    .catch(() => {});
  const taskRows = tasks.data.results || tasks.data;
  if (!tasks.stale) prefetchTasks(taskRows);
  const pending = taskCaseIds();
  // The list does not wait long for a GPS fix: without one it is sorted by time left.
  const position =
    state.position || (await Promise.race([currentPosition(6000), new Promise((r) => setTimeout(() => r(null), 1500))]));
  if (position) state.position = position;
  await mapReady(config);
  if (!live(seq)) return;

  const distanceTo = (task) =>
    position && task.point
      ? haversine(position.lon, position.lat, task.point.coordinates[0], task.point.coordinates[1])
      : null;
  const sorted = taskRows
    .map((task) => ({ task, distance: distanceTo(task) }))
    .sort((a, b) =>
      a.distance !== null && b.distance !== null
        ? a.distance - b.distance
        : String(a.task.stage_due_at).localeCompare(String(b.task.stage_due_at)),
    );
  const mapNode = h("div", { class: "map small", "data-testid": "today-map", role: "img", "aria-label": t("map_of_my_grids") });
  const gridNames = (state.grids?.features || []).map((f) => f.properties.name).join("、");
  const reports = (history.data.results || []).filter((event) =>
    ["report", "self_handle"].includes(event.action),
  );
  replace(
    body,
    staleNote(tasks),
    h(
      "section",
      { class: "card hello" },
      h("p", { class: "who", "data-testid": "who", text: state.me ? state.me.name : "" }),
      h("p", { class: "hint", text: gridNames ? t("my_grids", { names: gridNames }) : t("no_grids") }),
    ),
    mapNode,
    h(
      "section",
      { "aria-labelledby": "tasks-title" },
      h("h2", { id: "tasks-title" }, t("my_tasks"), h("span", { class: "count", text: ` (${sorted.length})` })),
      sorted.length
        ? h(
            "ul",
            { class: "cards", "data-testid": "task-list" },
            sorted.map(({ task, distance }) => taskCard(task, distance, pending.has(task.case_id))),
          )
        : h("p", { class: "empty", text: t("no_tasks") }),
    ),
    h(
      "section",
      { "aria-labelledby": "reports-title" },
      h("h2", { id: "reports-title", text: t("my_reports") }),
      waitingReports(),
      reports.length
        ? h(
            "ul",
            { class: "cards compact", "data-testid": "report-list" },
            reports.slice(0, 15).map((event) =>
              h(
                "li",
                { class: "card row" },
                h(
                  "div",
                  { class: "grow" },
                  h("p", { class: "title", text: event.case.item.name }),
                  h("p", { class: "meta", text: `${event.case.number} · ${fmtDateTime(event.created_at)}` }),
                ),
                h("span", { class: `state s-${event.case.status}`, text: statusLabel(event.case.status) }),
              ),
            ),
          )
        : h("p", { class: "empty", text: t("no_reports") }),
    ),
    h("button", { type: "button", class: "button secondary block", "data-testid": "logout", text: t("log_out"), onclick: logout }),
  );
  leaflet = makeMap(mapNode, config);
  const L = window.L;
  const bounds = L.latLngBounds([]);
  if (state.grids && state.grids.features && state.grids.features.length) {
    const layer = L.geoJSON(state.grids, { style: { color: "#0b5cab", weight: 2, fillOpacity: 0.08 } }).addTo(leaflet);
    bounds.extend(layer.getBounds());
  }
  for (const { task } of sorted) {
    if (!task.point) continue;
    const [lon, lat] = task.point.coordinates;
    const tone = timeLeft(task.stage_due_at, task.stage_warn_at).tone;
    dot([lat, lon], { tone: `task ${tone}`, title: `${kindLabel(task.kind)} ${task.item.name}` })
      .on("click", () => go(`task/${task.case_id}`))
      .addTo(leaflet);
    bounds.extend([lat, lon]);
  }
  if (position) {
    here([position.lat, position.lon], t("you_are_here")).addTo(leaflet);
    bounds.extend([position.lat, position.lon]);
  }
  if (bounds.isValid()) leaflet.fitBounds(bounds, { padding: [16, 16], maxZoom: 17 });
}

// Each task's case and its photos, kept on the phone while there is a network: the task
// opens in a basement too.
function prefetchTasks(tasks) {
  for (const task of tasks.slice(0, 30)) {
    api
      .read(`cases/${task.case_id}/`)
      .then((result) => {
        for (const event of result.data.timeline) {
          for (const attachment of event.attachments) api.image(attachment.thumbnail_url).catch(() => {});
        }
      })
      .catch(() => {});
  }
}

function waitingReports() {
  const waiting = state.waiting.filter((item) => item.kind === "report");
  if (!waiting.length) return null;
  return h(
    "ul",
    { class: "cards compact" },
    waiting.map((item) =>
      h(
        "li",
        { class: "card row waiting" },
        h("div", { class: "grow" }, h("p", { class: "title", text: item.title }), h("p", { class: "meta", text: fmtDateTime(item.created_at) })),
        h("span", { class: "state waiting", text: item.state === "error" ? t("not_sent") : t("waiting_to_send") }),
      ),
    ),
  );
}

function kindLabel(kind) {
  return kind === "verify" ? t("kind_verify") : t("kind_check");
}

function taskCard(task, distance, pending) {
  const left = timeLeft(task.stage_due_at, task.stage_warn_at);
  return h(
    "li",
    { class: "card task", "data-case": task.case_id, "data-testid": "task" },
    h(
      "a",
      { class: "task-link", href: `#/task/${task.case_id}` },
      h(
        "p",
        { class: "task-head" },
        h("span", { class: `kind ${task.kind}`, text: kindLabel(task.kind) }),
        h("span", { class: "title", text: task.item.name }),
      ),
      h("p", { class: "meta", text: [task.address, task.number].filter(Boolean).join(" · ") }),
      h(
        "p",
        { class: "task-foot" },
        h("span", { class: `left ${left.tone}`, text: left.text }),
        distance !== null ? h("span", { class: "distance", text: metres(distance) }) : null,
        pending ? h("span", { class: "state waiting", text: t("done_waiting") }) : null,
      ),
    ),
  );
}

// --- a task: verify or check ------------------------------------------------------------------

async function renderTask({ id }) {
  const body = h("div", { class: "stack" });
  const seq = screen("task", body);
  let result;
  try {
    result = await api.read(`cases/${id}/`);
  } catch (error) {
    if (live(seq)) replace(body, h("p", { class: "card error", role: "alert", text: error.message }), backLink());
    return;
  }
  if (!live(seq)) return;
  const item = result.data;
  const left = timeLeft(item.stage_due_at, item.stage_warn_at);
  const before = item.timeline.filter((e) => ["report", "self_handle"].includes(e.action)).flatMap((e) => e.attachments);
  const after = item.timeline.filter((e) => e.action === "feedback").flatMap((e) => e.attachments);
  const kind = item.status === "verifying" ? "verify" : item.status === "checking" ? "check" : "";
  const mapNode = h("div", { class: "map small", role: "img", "aria-label": t("map_of_the_case") });
  const pending = taskCaseIds().has(item.id);
  await mapReady(config);
  if (!live(seq)) return;
  replace(
    body,
    backLink(),
    staleNote(result),
    h(
      "section",
      { class: "card" },
      h("p", { class: "task-head" }, kind ? h("span", { class: `kind ${kind}`, text: kindLabel(kind) }) : null, h("span", { class: "title", text: item.item.name })),
      h("p", { class: "meta", text: `${item.number} · ${statusLabel(item.status)}` }),
      h("p", { class: `left ${left.tone}`, text: left.text }),
      h("p", { class: "description", text: item.description }),
      item.address ? h("p", { class: "meta", text: item.address }) : null,
    ),
    photoStrip(t("photos_before"), before),
    after.length ? photoStrip(t("photos_after_handling"), after) : null,
    mapNode,
    pending
      ? h("p", { class: "card waiting", role: "status", text: t("done_waiting") })
      : kind
        ? taskForm(item, kind)
        : h("p", { class: "card", text: t("no_task_now") }),
  );
  const [lon, lat] = item.point.coordinates;
  leaflet = makeMap(mapNode, config, { center: [lat, lon], zoom: 17 });
  dot([lat, lon], { tone: `task ${left.tone}`, title: item.item.name }).addTo(leaflet);
  const position = state.position || (await currentPosition(5000));
  if (position && live(seq)) {
    here([position.lat, position.lon], t("you_are_here")).addTo(leaflet);
    leaflet.fitBounds([[lat, lon], [position.lat, position.lon]], { padding: [24, 24], maxZoom: 18 });
  }
}

function backLink() {
  return h("a", { class: "back", href: "#/today", text: t("back_to_today") });
}

function photoStrip(title, attachments) {
  const list = h("ul", { class: "thumbs" });
  const section = h("section", { class: "card" }, h("h3", { text: title }), attachments.length ? list : h("p", { class: "empty", text: t("no_photos") }));
  attachments.forEach((attachment, index) => {
    const img = h("img", { alt: `${title} ${index + 1}`, width: 96, height: 96 });
    list.append(h("li", {}, img));
    api.image(attachment.thumbnail_url).then((url) => (img.src = url)).catch(() => (img.alt = t("photo_unavailable")));
  });
  return section;
}

function taskForm(item, kind) {
  const photos = photoPicker({ h, t, label: kind === "verify" ? t("photo_on_site") : t("photo_after"), max: 4, testid: "action-photos" });
  const choice = kind === "verify"
    ? h(
        "fieldset",
        { class: "field choice" },
        h("legend", { class: "label", text: t("verify_question") }),
        radio("outcome", "yes", t("verify_found"), true),
        radio("outcome", "no", t("verify_not_found")),
      )
    : h(
        "fieldset",
        { class: "field choice" },
        h("legend", { class: "label", text: t("check_question") }),
        radio("outcome", "pass", t("check_pass"), true),
        radio("outcome", "fail", t("check_fail")),
      );
  const form = h(
    "form",
    { class: "card form", "data-testid": "task-form", novalidate: true },
    choice,
    h(
      "label",
      { class: "field" },
      h("span", { class: "label", text: kind === "verify" ? t("note_optional") : t("reason_label") }),
      h("textarea", { name: "note", rows: 3, maxlength: 2000 }),
    ),
    photos.node,
    h("p", { class: "form-error", role: "alert" }),
    h("button", { type: "submit", class: "button primary block", "data-testid": "task-submit", text: t("submit_task") }),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const outcome = data.get("outcome");
    const note = String(data.get("note") || "").trim();
    const failing = outcome === "fail" || (kind === "verify" && outcome === "no");
    if (kind === "check" && failing && !note) {
      showErrors(form, { message: t("reason_needed"), errors: { note: [t("reason_needed")] } });
      return;
    }
    const action = kind === "verify" ? "verify" : outcome === "pass" ? "check_pass" : "check_fail";
    const position = state.position || (await currentPosition(5000));
    const bodyFields = {
      case_id: item.id,
      action,
      version: item.version,
      note,
      payload: kind === "verify" ? { confirmed: outcome === "yes" } : {},
      device_time: isoWithOffset(),
    };
    if (position) Object.assign(bodyFields, { lon: round6(position.lon), lat: round6(position.lat) });
    await queue.add({
      kind: "action",
      client_id: uuid(),
      body: bodyFields,
      photos: photos.photos(),
      title: `${actionLabel(action)} · ${item.item.name} · ${item.number}`,
    });
    toast(navigator.onLine ? t("saved_sending") : t("saved_offline"), "good");
    go("today");
  });
  return form;
}

function actionLabel(action) {
  return (STR.actions && STR.actions[action]) || action;
}

function radio(name, value, label, checked = false) {
  return h("label", { class: "radio" }, h("input", { type: "radio", name, value, checked }), h("span", { text: label }));
}

function round6(x) {
  return Math.round(x * 1e6) / 1e6;
}

// --- report -----------------------------------------------------------------------------------

async function loadCatalogue() {
  const result = await api.read("catalogue/");
  return result.data.domains.flatMap((domain) =>
    domain.items.map((item) => ({ code: item.code, name: item.name, domain: domain.name })),
  );
}

async function itemUsage() {
  return (await kv.get("item_usage")) || {};
}

async function noteItemUsed(code) {
  const usage = await itemUsage();
  const entry = usage[code] || { count: 0, last: 0 };
  usage[code] = { count: entry.count + 1, last: Date.now() };
  await kv.set("item_usage", usage);
}

function gridAt(lon, lat) {
  return (state.grids?.features || []).find((feature) => pointInGeometry(lon, lat, feature.geometry));
}

async function renderReport() {
  const body = h("div", { class: "stack" });
  const seq = screen("report", body);
  let items = [];
  try {
    items = await loadCatalogue();
    if (!state.grids) await loadMe();
  } catch (error) {
    if (live(seq)) replace(body, h("p", { class: "card error", role: "alert", text: error.message }));
    return;
  }
  const usage = await itemUsage();
  if (!live(seq)) return;
  const ranked = [...items].sort((a, b) => {
    const ua = usage[a.code] || { count: 0, last: 0 };
    const ub = usage[b.code] || { count: 0, last: 0 };
    return ub.last - ua.last || ub.count - ua.count || a.code.localeCompare(b.code);
  });
  const used = ranked.filter((item) => usage[item.code]);
  const frequent = [...used].sort((a, b) => usage[b.code].count - usage[a.code].count).slice(0, 6);
  const recent = used.slice(0, 6);

  const beforePhotos = photoPicker({ h, t, label: t("photos_of_problem"), max: 6, testid: "report-photos" });
  const afterPhotos = photoPicker({ h, t, label: t("photo_after"), max: 3, testid: "after-photos" });

  // the point
  const position = await currentPosition(8000);
  await mapReady(config);
  if (!live(seq)) return;
  const start = position || (state.grids?.features?.length ? centreOf(state.grids) : null);
  const point = { lon: start ? start.lon : config.map.center[1], lat: start ? start.lat : config.map.center[0] };
  const pointText = h("p", { class: "hint", "data-testid": "point-text" });
  const gridCheck = h("p", { class: "grid-check", role: "status", "data-testid": "grid-check" });
  const mapNode = h("div", { class: "map pick", "data-testid": "report-map", role: "application", "aria-label": t("drag_the_pin") });
  const updatePoint = () => {
    pointText.textContent = t("point_at", { lon: point.lon.toFixed(6), lat: point.lat.toFixed(6) });
    const grid = gridAt(point.lon, point.lat);
    gridCheck.textContent = grid ? t("inside_grid", { name: grid.properties.name }) : t("outside_my_grids");
    gridCheck.className = `grid-check ${grid ? "good" : "bad"}`;
    gridCheck.dataset.inside = grid ? "1" : "0";
  };

  // the item picker
  const chosen = h("p", { class: "chosen", "data-testid": "chosen-item", text: t("no_item_chosen") });
  const list = h("div", { class: "item-list", role: "radiogroup", "aria-label": t("item") });
  const search = h("input", { type: "search", name: "item_search", placeholder: t("search_items"), "aria-label": t("search_items"), autocomplete: "off" });
  let selected = null;
  const choose = (item) => {
    selected = item;
    chosen.textContent = t("item_chosen", { name: item.name, code: item.code });
    for (const input of list.querySelectorAll("input")) input.checked = input.value === item.code;
  };
  const option = (item) =>
    h(
      "label",
      { class: "item-option" },
      h("input", { type: "radio", name: "item", value: item.code, checked: selected && selected.code === item.code, onchange: () => choose(item) }),
      h("span", { class: "name", text: item.name }),
      h("span", { class: "code", text: item.code }),
    );
  const renderList = () => {
    const q = search.value.trim().toLowerCase();
    if (!q) {
      const groups = [];
      if (recent.length) groups.push(h("p", { class: "group", text: t("recent_items") }), ...recent.map(option));
      const extra = frequent.filter((item) => !recent.includes(item));
      if (extra.length) groups.push(h("p", { class: "group", text: t("frequent_items") }), ...extra.map(option));
      groups.push(h("p", { class: "group", text: t("all_items") }), ...ranked.filter((i) => !usage[i.code]).slice(0, 40).map(option));
      replace(list, groups);
      return;
    }
    const found = ranked.filter((item) => `${item.name} ${item.code} ${item.domain}`.toLowerCase().includes(q)).slice(0, 40);
    replace(list, found.length ? found.map(option) : h("p", { class: "empty", text: t("no_items_match") }));
  };
  search.addEventListener("input", renderList);
  renderList();

  // the description, dictated where the browser can
  const description = h("textarea", { name: "description", rows: 4, maxlength: 4000, required: true });
  const Speech = window.SpeechRecognition || window.webkitSpeechRecognition;
  const mic = Speech
    ? h("button", {
        type: "button",
        class: "button secondary small",
        "data-testid": "dictate",
        text: t("dictate"),
        onclick: () => {
          const recognition = new Speech();
          recognition.lang = config.language && config.language.startsWith("en") ? "en-US" : "zh-CN";
          recognition.interimResults = false;
          recognition.onresult = (event) => {
            const words = [...event.results].map((r) => r[0].transcript).join("");
            description.value = (description.value ? `${description.value} ` : "") + words;
          };
          recognition.onerror = () => toast(t("dictation_failed"), "bad");
          recognition.start();
          toast(t("listening"));
        },
      })
    : null;

  const selfHandled = h("input", { type: "checkbox", name: "self_handled", "data-testid": "self-handled" });
  const selfBlock = h(
    "div",
    { class: "self-block", hidden: true },
    afterPhotos.node,
    h("label", { class: "field" }, h("span", { class: "label", text: t("how_handled") }), h("textarea", { name: "note", rows: 2, maxlength: 2000 })),
  );
  selfHandled.addEventListener("change", () => {
    selfBlock.hidden = !selfHandled.checked;
  });

  const form = h(
    "form",
    { class: "form stack", "data-testid": "report-form", novalidate: true },
    h("section", { class: "card" }, beforePhotos.node),
    h(
      "section",
      { class: "card" },
      h("h3", { text: t("where") }),
      mapNode,
      pointText,
      gridCheck,
      h("button", { type: "button", class: "button secondary small", text: t("use_my_position"), onclick: async () => {
        const now = await currentPosition(8000);
        if (!now) return toast(t("no_position"), "bad");
        point.lon = now.lon;
        point.lat = now.lat;
        marker.setLatLng([now.lat, now.lon]);
        leaflet.setView([now.lat, now.lon], 18);
        updatePoint();
      } }),
      h("label", { class: "field" }, h("span", { class: "label", text: t("address_optional") }), h("input", { name: "address", maxlength: 255, autocomplete: "off" })),
    ),
    h("section", { class: "card field", "data-testid": "item-picker" }, h("h3", { text: t("item") }), search, chosen, list),
    h(
      "section",
      { class: "card" },
      h("label", { class: "field" }, h("span", { class: "label", text: t("description") }), description),
      mic,
    ),
    h(
      "section",
      { class: "card" },
      h("label", { class: "check" }, selfHandled, h("span", { text: t("self_handled_label") })),
      h("p", { class: "hint", text: t("self_handled_hint") }),
      selfBlock,
    ),
    h("p", { class: "form-error", role: "alert" }),
    h("button", { type: "submit", class: "button primary block", "data-testid": "report-submit", text: t("save_and_send") }),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const errors = {};
    if (!selected) errors.item = [t("choose_item")];
    if (!String(data.get("description") || "").trim()) errors.description = [t("describe_problem")];
    if (Object.keys(errors).length) {
      showErrors(form, { message: t("form_has_errors"), errors });
      return;
    }
    const isSelf = selfHandled.checked;
    const reportBody = {
      item: selected.code,
      description: String(data.get("description")).trim(),
      lon: round6(point.lon),
      lat: round6(point.lat),
      address: String(data.get("address") || "").trim(),
      self_handled: isSelf,
      note: isSelf ? String(data.get("note") || "").trim() : "",
      device_time: isoWithOffset(),
    };
    await noteItemUsed(selected.code);
    await queue.add({
      kind: "report",
      client_id: uuid(),
      body: reportBody,
      photos: [...beforePhotos.photos(), ...(isSelf ? afterPhotos.photos() : [])],
      title: `${isSelf ? t("self_handled_short") : t("report_short")} · ${selected.name}`,
    });
    toast(navigator.onLine ? t("saved_sending") : t("saved_offline"), "good");
    go("today");
  });
  replace(body, form);
  leaflet = makeMap(mapNode, config, { center: [point.lat, point.lon], zoom: 17 });
  const L = window.L;
  if (state.grids?.features?.length) {
    L.geoJSON(state.grids, { style: { color: "#0b5cab", weight: 2, fillOpacity: 0.06 }, interactive: false }).addTo(leaflet);
  }
  const marker = L.marker([point.lat, point.lon], { draggable: true, title: t("drag_the_pin"), alt: t("drag_the_pin") }).addTo(leaflet);
  marker.on("dragend", () => {
    const at = marker.getLatLng();
    point.lon = at.lng;
    point.lat = at.lat;
    updatePoint();
  });
  leaflet.on("click", (event) => {
    marker.setLatLng(event.latlng);
    point.lon = event.latlng.lng;
    point.lat = event.latlng.lat;
    updatePoint();
  });
  updatePoint();
}

function centreOf(collection) {
  const bounds = window.L.geoJSON(collection).getBounds().getCenter();
  return { lon: bounds.lng, lat: bounds.lat };
}

// --- patrol -----------------------------------------------------------------------------------

const FIX_EVERY_MS = 10000;
const FIX_MIN_MOVE_M = 10;

// What the patrol screen says about the GPS: a signal (with its accuracy), none for a while
// (under trees or between tall buildings: the duty goes on and the track resumes), or none
// allowed (then nothing can be recorded until the user allows it).
function setGps(next) {
  // A lost signal keeps the time it was lost.
  if (!(next.state === "lost" && state.gps.state === "lost")) state.gps = { ...next, since: Date.now() };
  document.dispatchEvent(new CustomEvent("gps"));
}

function gpsError(error) {
  if (error && error.code === 1) {
    if (state.gps.state !== "denied") toast(t("gps_denied"), "bad");
    setGps({ state: "denied" });
  } else {
    setGps({ state: "lost" });
  }
}

function gpsText() {
  const gps = state.gps;
  if (gps.state === "ok") return t("gps_ok", { m: Math.round(gps.accuracy ?? 0) });
  if (gps.state === "lost") return t("gps_lost", { at: fmtTime(gps.since) });
  if (gps.state === "denied") return t("gps_denied");
  return t("gps_waiting");
}

async function recordFix(position) {
  setGps({ state: "ok", accuracy: position.coords.accuracy });
  const fix = {
    client_id: uuid(),
    lon: round6(position.coords.longitude),
    lat: round6(position.coords.latitude),
    recorded_at: isoWithOffset(new Date(position.timestamp || Date.now())),
    accuracy_m: position.coords.accuracy ?? null,
    speed_mps: position.coords.speed ?? null,
  };
  const last = state.lastFix;
  if (last) {
    const quick = Date.now() - last.at < FIX_EVERY_MS;
    const near = haversine(last.lon, last.lat, fix.lon, fix.lat) < FIX_MIN_MOVE_M;
    if (quick && near) return;
    if (last.recorded_at === fix.recorded_at) return;
  }
  state.lastFix = { ...fix, at: Date.now() };
  state.position = { lon: fix.lon, lat: fix.lat, accuracy: fix.accuracy_m };
  await fixStore.add(fix);
  if ((await fixStore.count()) >= 20) flushFixes();
  document.dispatchEvent(new CustomEvent("fix"));
}

let flushingFixes = null;
function flushFixes() {
  if (flushingFixes || !navigator.onLine || !api.token) return flushingFixes;
  let sent = 0;
  flushingFixes = (async () => {
    const all = (await fixStore.all()).sort((a, b) => a.recorded_at.localeCompare(b.recorded_at));
    for (let i = 0; i < all.length; i += 500) {
      const batch = all.slice(i, i + 500);
      const clean = batch.map(({ client_id, lon, lat, recorded_at, accuracy_m, speed_mps }) => ({
        client_id,
        lon,
        lat,
        recorded_at,
        accuracy_m: accuracy_m === null || accuracy_m === undefined ? null : Math.min(accuracy_m, 10000),
        speed_mps: speed_mps === null || speed_mps === undefined || Number.isNaN(speed_mps) ? null : speed_mps,
      }));
      await api.post("patrol/", { fixes: clean });
      // Accepted, known already, or refused for good: none of them is sent again.
      await fixStore.deleteMany(batch.map((fix) => fix.client_id));
      sent += batch.length;
    }
  })()
    .catch(() => {})
    .finally(() => {
      flushingFixes = null;
      if (sent) document.dispatchEvent(new CustomEvent("fixes-sent"));
    });
  return flushingFixes;
}

async function startDuty() {
  if (!navigator.geolocation) {
    toast(t("gps_unsupported"), "bad");
    return;
  }
  state.duty = true;
  state.gps = { state: "waiting", since: Date.now() };
  // Reopening the app resumes the duty: it keeps the time it began.
  if (!(await kv.get("duty_since"))) await kv.set("duty_since", new Date().toISOString());
  state.watchId = navigator.geolocation.watchPosition(recordFix, gpsError, {
    enableHighAccuracy: true,
    maximumAge: 5000,
    timeout: 30000,
  });
}

function stopDuty() {
  if (state.watchId !== null) navigator.geolocation.clearWatch(state.watchId);
  state.watchId = null;
  state.duty = false;
  kv.delete("duty_since").catch(() => {});
  flushFixes();
}

let patrolRefresh = null;
let patrolGps = null;

async function renderPatrol() {
  const body = h("div", { class: "stack" });
  const seq = screen("patrol", body);
  const since = await kv.get("duty_since");
  await mapReady(config);
  if (!live(seq)) return;
  const toggle = h("button", {
    type: "button",
    class: `button block big ${state.duty ? "danger" : "primary"}`,
    "data-testid": "duty-toggle",
    "aria-pressed": state.duty ? "true" : "false",
    text: state.duty ? t("stop_duty") : t("start_duty"),
    onclick: async () => {
      if (state.duty) {
        stopDuty();
        toast(t("duty_stopped"));
      } else {
        await startDuty();
        toast(t("duty_started"), "good");
      }
      renderPatrol();
    },
  });
  const gpsLine = h("p", { class: "gps", role: "status", "data-testid": "gps-state", hidden: !state.duty });
  const paintGps = () => {
    gpsLine.dataset.state = state.gps.state;
    gpsLine.textContent = gpsText();
  };
  paintGps();
  const stats = h("dl", { class: "stats", "data-testid": "patrol-stats" });
  const mapNode = h("div", { class: "map", "data-testid": "patrol-map", role: "img", "aria-label": t("todays_track") });
  replace(
    body,
    h(
      "section",
      { class: "card" },
      h("p", { class: `duty ${state.duty ? "on" : "off"}`, "data-testid": "duty-state", text: state.duty ? t("on_duty_since", { at: fmtDateTime(since) }) : t("off_duty") }),
      gpsLine,
      toggle,
      h("p", { class: "hint", text: t("patrol_hint") }),
    ),
    stats,
    mapNode,
  );
  leaflet = makeMap(mapNode, config);
  const map = leaflet;
  const L = window.L;
  const line = L.polyline([], { color: "#b45309", weight: 4 }).addTo(leaflet);
  if (state.grids?.features?.length) {
    const layer = L.geoJSON(state.grids, { style: { color: "#0b5cab", weight: 2, fillOpacity: 0.05 }, interactive: false }).addTo(leaflet);
    leaflet.fitBounds(layer.getBounds(), { padding: [12, 12] });
  }
  const refresh = async () => {
    if (leaflet !== map || main.dataset.screen !== "patrol") return;
    await flushFixes();
    let server = { fixes: [], distance_m: 0 };
    let stale = false;
    try {
      const result = await api.read("patrol/");
      server = result.data;
      stale = result.stale;
    } catch (error) {
      stale = true;
    }
    const local = (await fixStore.all()).sort((a, b) => a.recorded_at.localeCompare(b.recorded_at));
    const points = [...server.fixes, ...local].map((fix) => [fix.lat, fix.lon]);
    let extra = 0;
    let prev = server.fixes.length ? server.fixes[server.fixes.length - 1] : null;
    for (const fix of local) {
      if (prev) extra += haversine(prev.lon, prev.lat, fix.lon, fix.lat);
      prev = fix;
    }
    if (leaflet !== map || main.dataset.screen !== "patrol") return; // drawn again since
    line.setLatLngs(points);
    if (points.length > 1) leaflet.fitBounds(line.getBounds(), { padding: [16, 16], maxZoom: 18 });
    replace(
      stats,
      h("div", {}, h("dt", { text: t("distance_today") }), h("dd", { "data-testid": "distance", text: metres(server.distance_m + extra) })),
      h("div", {}, h("dt", { text: t("fixes_today") }), h("dd", { text: String(points.length) })),
      h("div", {}, h("dt", { text: t("fixes_waiting") }), h("dd", { "data-testid": "fixes-waiting", text: String(local.length) })),
      stale ? h("p", { class: "stale", text: t("track_offline") }) : null,
    );
  };
  // One listener at a time: the screen is drawn again on every toggle.
  if (patrolRefresh) {
    document.removeEventListener("fix", patrolRefresh);
    document.removeEventListener("fixes-sent", patrolRefresh);
  }
  if (patrolGps) document.removeEventListener("gps", patrolGps);
  patrolRefresh = refresh;
  patrolGps = paintGps;
  document.addEventListener("fix", refresh);
  document.addEventListener("fixes-sent", refresh);
  document.addEventListener("gps", paintGps);
  refresh();
}

// --- inbox ------------------------------------------------------------------------------------

async function renderInbox() {
  const body = h("div", { class: "stack" });
  const seq = screen("inbox", body);
  let result;
  try {
    result = await api.read("me/inbox/", { page_size: 50 });
  } catch (error) {
    if (live(seq)) replace(body, h("p", { class: "card error", role: "alert", text: error.message }));
    return;
  }
  if (!live(seq)) return;
  state.unread = Number(result.unread || 0);
  renderBar();
  const [heading, list] = inboxView({
    messages: result.data.results || [],
    unread: state.unread,
    onMarkAll: async () => {
      try {
        await api.post("me/inbox/read/", { all: true });
        renderInbox();
      } catch (error) {
        toast(error.message, "bad");
      }
    },
  });
  replace(body, staleNote(result), heading, list);
}

// --- what is waiting to be sent ---------------------------------------------------------------

async function renderOutbox() {
  const body = h("div", { class: "stack" });
  const seq = screen("outbox", body);
  const draw = async () => {
    const items = await queue.all();
    const fixesWaiting = await fixStore.count();
    if (!live(seq)) return;
    replace(
      body,
      h("h2", { text: t("outbox_title") }),
      h("p", { class: "hint", text: navigator.onLine ? t("outbox_online") : t("outbox_offline") }),
      items.length
        ? h(
            "ol",
            { class: "cards", "data-testid": "outbox-list" },
            items.map((item) =>
              h(
                "li",
                { class: `card ${item.state}` },
                h("p", { class: "title", text: item.title }),
                h("p", { class: "meta", text: `${fmtDateTime(item.created_at)} · ${t("n_photos", { n: (item.photos || []).length })}` }),
                item.state === "error"
                  ? [
                      h("p", { class: "field-error", role: "alert", text: item.error }),
                      h(
                        "div",
                        { class: "row" },
                        h("button", { type: "button", class: "button secondary small", text: t("try_again"), onclick: () => queue.retry(item.seq).then(draw) }),
                        h("button", {
                          type: "button",
                          class: "button danger small",
                          text: t("discard"),
                          onclick: async () => {
                            if (window.confirm(t("discard_confirm"))) {
                              await queue.discard(item.seq);
                              draw();
                            }
                          },
                        }),
                      ),
                    ]
                  : h("p", { class: "state waiting", text: t("waiting_to_send") }),
              ),
            ),
          )
        : h("p", { class: "empty", "data-testid": "outbox-empty", text: t("nothing_waiting") }),
      h("p", { class: "meta", text: t("fixes_waiting_n", { n: fixesWaiting }) }),
      h("button", {
        type: "button",
        class: "button primary block",
        "data-testid": "send-now",
        text: t("send_now"),
        onclick: async () => {
          const result = await queue.flush();
          await flushFixes();
          if (result.offline) toast(t("still_offline"), "bad");
          draw();
        },
      }),
    );
  };
  draw();
}

// --- start ------------------------------------------------------------------------------------

const routes = {
  today: renderToday,
  report: renderReport,
  "task/:id": renderTask,
  patrol: renderPatrol,
  inbox: renderInbox,
  outbox: renderOutbox,
};

const guarded = Object.fromEntries(
  Object.entries(routes).map(([pattern, render]) => [
    pattern,
    (params) => (api.token ? render(params) : renderLogin()),
  ]),
);
const route = router(guarded, () => (api.token ? go("today") : renderLogin()));

watchNetwork(document.getElementById("offline"), () => {
  queue.flush();
  flushFixes();
});
navigator.serviceWorker?.addEventListener("message", (event) => {
  if (event.data && event.data.type === "push") {
    state.unread += 1;
    renderBar();
  }
});
setInterval(() => {
  queue.flush();
  flushFixes();
}, 30000);

const token = await kv.get("token");
if (token) {
  api.setToken(token);
  try {
    await loadMe();
  } catch (error) {
    // Offline with nothing kept yet: the screens say so.
  }
  if ((await kv.get("duty_since")) && !state.duty) startDuty();
  queue.flush();
  flushFixes();
}
route();
document.documentElement.dataset.ready = "1";
registerWorker(config);
// The maps' library, fetched once the first screen is up (it waits for nothing else).
setTimeout(() => mapReady(config).catch(() => {}), 0);
