// The citizens' app: see what is reported nearby, report a problem here, follow it, rate it.
// It talks to /api/v1/citizen/ only; every rule is the server's.

import { createApi, createQueue, kv, openStore, outbox, reads } from "../common/data.js";
import { currentPosition, dot, here, makeMap, mapReady, photoPicker } from "../common/field.js";
import {
  go,
  installButton,
  registerWorker,
  router,
  watchNetwork,
  fmtDateTime,
  h,
  haversine,
  inboxBadge,
  inboxView,
  loadJson,
  metres,
  replace,
  screens,
  setStrings,
  showErrors,
  t,
  tabLink,
  toast,
  updateInboxBadge,
  uuid,
} from "../common/ui.js";

const config = loadJson("app-config");
const STR = loadJson("app-strings");
setStrings(STR);
await openStore("wangge-c");

const main = document.getElementById("main");
const tabs = document.getElementById("tabs");
const barTools = document.getElementById("bar-tools");
const A = "citizen/";

const state = { unread: 0, waiting: [], draft: null, view: null, categories: null };
let leaflet = null;

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

// --- the outbox: reports and ratings ----------------------------------------------------------

async function sendOne(item) {
  if (item.kind === "citizen_report") {
    const form = new FormData();
    form.append("request_id", item.client_id);
    for (const [key, value] of Object.entries(item.body)) form.append(key, String(value));
    (item.photos || []).forEach((photo, index) => form.append("photos", photo.blob, `photo-${index + 1}.jpg`));
    await api.postForm(`${A}reports/`, form);
    return;
  }
  if (item.kind === "rate") {
    try {
      await api.post(`${A}reports/${item.body.case_id}/rate/`, {
        rating: item.body.rating,
        comment: item.body.comment,
        request_id: item.client_id,
      });
    } catch (error) {
      // Sent before and the answer lost: the report carries the rating already.
      if (error.status !== 409) throw error;
      const report = await api.get(`${A}reports/${item.body.case_id}/`);
      if (report.rating === null) throw error;
    }
  }
}

async function sendItems(items) {
  const results = [];
  for (const item of items) {
    try {
      await sendOne(item);
      results.push({ seq: item.seq, ok: true });
    } catch (error) {
      if (error.network) break; // the rest keep their order and wait
      results.push({ seq: item.seq, ok: false, error });
    }
  }
  return results;
}

const queue = createQueue({ api, send: sendItems });
queue.onChange((items) => {
  const before = state.waiting.length;
  state.waiting = items;
  renderBar();
  if (before && !items.length) toast(t("all_sent"), "good");
  if (before && !items.length && main.dataset.screen === "mine") renderMine();
});

// --- bar and tabs -----------------------------------------------------------------------------

const install = installButton();
const accountLink = h("a", { class: "chip", href: "#/account", "data-testid": "account-link" });
const syncChip = h("a", { class: "chip warn", href: "#/mine", "data-testid": "sync-status", hidden: true });

function renderBar() {
  const waiting = state.waiting.length;
  syncChip.hidden = !waiting;
  syncChip.dataset.waiting = String(waiting);
  syncChip.textContent = t("n_waiting", { n: waiting });
  accountLink.textContent = api.token ? t("my_account") : t("log_in");
  updateInboxBadge(tabs, state.unread);
}

function renderTabs(active) {
  tabs.hidden = false;
  barTools.replaceChildren(install, syncChip, accountLink);
  replace(
    tabs,
    tabLink(active, "map", t("tab_map")),
    tabLink(active, "report", t("tab_report")),
    tabLink(active, "mine", t("tab_mine")),
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

function refreshUnread() {
  if (!api.token) return;
  api
    .read(`${A}inbox/`, { unread: "true", page_size: 1 })
    .then((result) => {
      state.unread = Number(result.unread || 0);
      renderBar();
    })
    .catch(() => {});
}

// --- the public map ---------------------------------------------------------------------------

function publicTone(entry) {
  return entry.status === "open" ? "open" : "closed";
}

async function renderMap() {
  const mapNode = h("div", { class: "map big", "data-testid": "public-map", role: "application", "aria-label": t("map_of_reports") });
  const list = h("ul", { class: "cards compact", "data-testid": "nearby-list", "aria-live": "polite" });
  const count = h("p", { class: "hint", role: "status", "data-testid": "nearby-count" });
  const reportHere = h("button", {
    type: "button",
    class: "button primary block big",
    "data-testid": "report-here",
    text: t("report_here"),
    onclick: () => {
      const centre = leaflet.getCenter();
      state.draft = { lon: centre.lng, lat: centre.lat };
      go("report");
    },
  });
  const seq = screen(
    "map",
    h(
      "div",
      { class: "stack" },
      h("p", { class: "lead", text: t("map_lead") }),
      h("div", { class: "map-wrap" }, mapNode, h("span", { class: "crosshair", "aria-hidden": "true" })),
      h(
        "div",
        { class: "row" },
        reportHere,
      ),
      h("button", {
        type: "button",
        class: "button secondary block",
        text: t("use_my_position"),
        onclick: async () => {
          const position = await currentPosition(8000);
          if (!position) return toast(t("no_position"), "bad");
          leaflet.setView([position.lat, position.lon], 17);
        },
      }),
      h("ul", { class: "legend" }, h("li", {}, h("i", { class: "map-dot open" }), t("legend_open")), h("li", {}, h("i", { class: "map-dot closed" }), t("legend_closed"))),
      h("h2", { text: t("reports_here") }),
      count,
      list,
    ),
  );
  const view = state.view || { center: config.map.center, zoom: 16 };
  await mapReady(config);
  if (!live(seq)) return;
  leaflet = makeMap(mapNode, config, view);
  const map = leaflet;
  const layer = window.L.layerGroup().addTo(leaflet);
  let timer = null;
  const load = async () => {
    if (leaflet !== map) return;
    const bounds = map.getBounds();
    const centre = map.getCenter();
    state.view = { center: [centre.lat, centre.lng], zoom: map.getZoom() };
    const bbox = [bounds.getWest(), bounds.getSouth(), bounds.getEast(), bounds.getNorth()].map((x) => x.toFixed(5)).join(",");
    let result;
    try {
      result = await api.read(`${A}nearby/`, { bbox });
    } catch (error) {
      count.textContent = error.message;
      return;
    }
    if (leaflet !== map) return;
    const entries = result.data.results;
    layer.clearLayers();
    for (const entry of entries) {
      const title = `${entry.service_name} · ${entry.status_notes}`;
      dot([entry.lat, entry.long], { tone: publicTone(entry), title })
        .bindPopup(() => popup(entry))
        .addTo(layer);
    }
    const near = entries
      .map((entry) => ({ entry, distance: haversine(centre.lng, centre.lat, entry.long, entry.lat) }))
      .sort((a, b) => a.distance - b.distance)
      .slice(0, 20);
    count.textContent = entries.length ? t("n_reports_in_view", { n: entries.length }) : t("no_reports_in_view");
    replace(list, near.map(({ entry, distance }) => publicCard(entry, distance)));
  };
  leaflet.on("moveend", () => {
    clearTimeout(timer);
    timer = setTimeout(load, 300);
  });
  if (!state.view) {
    currentPosition(6000).then((position) => {
      if (position && leaflet === map) {
        map.setView([position.lat, position.lon], 17);
        here([position.lat, position.lon], t("you_are_here")).addTo(map);
      }
    });
  }
  load();
}

function popup(entry) {
  return h(
    "div",
    { class: "popup" },
    h("p", { class: "title", text: entry.service_name }),
    h("p", { class: `state ${publicTone(entry)}`, text: entry.status_notes }),
    h("p", { text: entry.description }),
    h("p", { class: "meta", text: `${t("reported_at")} ${fmtDateTime(entry.requested_datetime)}` }),
  );
}

function publicCard(entry, distance) {
  return h(
    "li",
    { class: "card public", "data-testid": "nearby-report", "data-number": entry.service_request_id },
    h(
      "p",
      { class: "task-head" },
      h("span", { class: "title", text: entry.service_name }),
      h("span", { class: `state ${publicTone(entry)}`, text: entry.status_notes }),
    ),
    h("p", { class: "description", text: entry.description }),
    h("p", { class: "meta", text: [fmtDateTime(entry.requested_datetime), metres(distance), entry.address].filter(Boolean).join(" · ") }),
  );
}

// --- account ----------------------------------------------------------------------------------

function field(label, input, hint) {
  return h("label", { class: "field" }, h("span", { class: "label", text: label }), input, hint ? h("span", { class: "hint", text: hint }) : null);
}

function phoneInput() {
  return h("input", { name: "phone", type: "tel", inputmode: "tel", autocomplete: "tel", required: true, maxlength: 20 });
}

async function loggedIn(answer) {
  api.setToken(answer.token);
  await kv.set("token", answer.token);
  const next = (await kv.get("after_login")) || "mine";
  await kv.delete("after_login");
  refreshUnread();
  queue.flush();
  go(next);
}

function renderAccount() {
  if (api.token) return renderMyAccount();
  const mode = new URLSearchParams(location.hash.split("?")[1] || "").get("mode") || "login";
  const switcher = h(
    "div",
    { class: "segmented", role: "tablist" },
    h("a", { href: "#/account?mode=login", role: "tab", "aria-selected": String(mode === "login"), class: mode === "login" ? "active" : "", text: t("log_in") }),
    h("a", { href: "#/account?mode=code", role: "tab", "aria-selected": String(mode === "code"), class: mode === "code" ? "active" : "", text: t("log_in_with_code") }),
    h("a", { href: "#/account?mode=register", role: "tab", "aria-selected": String(mode === "register"), class: mode === "register" ? "active" : "", "data-testid": "register-tab", text: t("register") }),
  );
  const form = h("form", { class: "card form", "data-testid": `${mode}-form`, novalidate: true });
  const devCode = h("p", { class: "dev-code", role: "status", "data-testid": "dev-code", hidden: true });
  const sendCode = (purpose) =>
    h("button", {
      type: "button",
      class: "button secondary",
      "data-testid": "send-code",
      text: t("send_code"),
      onclick: async (event) => {
        const button = event.currentTarget;
        const phone = form.querySelector("[name=phone]").value.trim();
        button.disabled = true;
        try {
          const answer = await api.post(`${A}otp/`, { phone, purpose });
          toast(t("code_sent"), "good");
          if (answer.dev_code) {
            devCode.hidden = false;
            devCode.textContent = t("dev_code", { code: answer.dev_code });
          }
          setTimeout(() => (button.disabled = false), 60000);
        } catch (error) {
          showErrors(form, error);
          button.disabled = false;
        }
      },
    });
  if (mode === "register") {
    form.append(
      h("h2", { text: t("register_title") }),
      field(t("phone"), phoneInput()),
      h("div", { class: "row" }, sendCode("register")),
      devCode,
      field(t("code"), h("input", { name: "code", inputmode: "numeric", autocomplete: "one-time-code", maxlength: 10, required: true })),
      field(t("choose_password"), h("input", { name: "password", type: "password", autocomplete: "new-password", required: true }), t("password_hint")),
      field(t("name_optional"), h("input", { name: "name", autocomplete: "name", maxlength: 150 })),
    );
  } else if (mode === "code") {
    form.append(
      h("h2", { text: t("log_in_with_code") }),
      field(t("phone"), phoneInput()),
      h("div", { class: "row" }, sendCode("login")),
      devCode,
      field(t("code"), h("input", { name: "code", inputmode: "numeric", autocomplete: "one-time-code", maxlength: 10, required: true })),
    );
  } else {
    form.append(
      h("h2", { text: t("log_in") }),
      field(t("phone"), phoneInput()),
      field(t("password"), h("input", { name: "password", type: "password", autocomplete: "current-password", required: true })),
    );
  }
  form.append(
    h("p", { class: "form-error", role: "alert" }),
    h("button", { type: "submit", class: "button primary block", "data-testid": "account-submit", text: mode === "register" ? t("register") : t("log_in") }),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = Object.fromEntries(new FormData(form).entries());
    data.device = "citizen app";
    try {
      const answer = await api.post(mode === "register" ? `${A}register/` : `${A}login/`, data);
      await loggedIn(answer);
    } catch (error) {
      showErrors(form, error);
    }
  });
  screen("account", h("div", { class: "stack" }, h("p", { class: "lead", text: t("account_lead") }), switcher, form));
}

async function renderMyAccount() {
  const pushBox = h("div", { class: "card", "data-testid": "push-box" });
  screen(
    "account",
    h(
      "div",
      { class: "stack" },
      h("h2", { text: t("my_account") }),
      pushBox,
      h("button", { type: "button", class: "button secondary block", "data-testid": "logout", text: t("log_out"), onclick: logout }),
    ),
  );
  renderPush(pushBox);
}

async function pushRegistration() {
  if (!("serviceWorker" in navigator) || !("PushManager" in window)) return null;
  return navigator.serviceWorker.getRegistration(config.scope);
}

function base64UrlToBytes(text) {
  const padded = (text + "===".slice((text.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

async function renderPush(box) {
  const registration = await pushRegistration();
  let server = null;
  try {
    server = (await api.request("GET", `${A}push/`)).data;
  } catch (error) {
    server = null;
  }
  const subscription = registration ? await registration.pushManager.getSubscription() : null;
  if (!registration || !server || !server.enabled) {
    replace(box, h("p", { class: "hint", text: t("push_unavailable") }));
    return;
  }
  const on = Boolean(subscription);
  replace(
    box,
    h("h3", { text: t("notifications") }),
    h("p", { class: "hint", text: on ? t("push_on") : t("push_off") }),
    h("button", {
      type: "button",
      class: `button ${on ? "secondary" : "primary"} block`,
      "data-testid": "push-toggle",
      text: on ? t("push_turn_off") : t("push_turn_on"),
      onclick: async () => {
        try {
          if (on) {
            await api.post(`${A}push/unsubscribe/`, { endpoint: subscription.endpoint });
            await subscription.unsubscribe();
          } else {
            const permission = await Notification.requestPermission();
            if (permission !== "granted") return toast(t("push_denied"), "bad");
            const fresh = await registration.pushManager.subscribe({
              userVisibleOnly: true,
              applicationServerKey: base64UrlToBytes(server.public_key),
            });
            await api.post(`${A}push/`, fresh.toJSON());
          }
        } catch (error) {
          toast(error.message || t("push_unavailable"), "bad");
        }
        renderPush(box);
      },
    }),
  );
}

async function logout() {
  if (state.waiting.length && !window.confirm(t("logout_with_waiting", { n: state.waiting.length }))) return;
  try {
    const registration = await pushRegistration();
    const subscription = registration ? await registration.pushManager.getSubscription() : null;
    if (subscription) {
      await api.post(`${A}push/unsubscribe/`, { endpoint: subscription.endpoint }).catch(() => {});
      await subscription.unsubscribe();
    }
    await api.request("POST", `${A}logout/`);
  } catch (error) {
    if (error.network) return toast(t("logout_needs_network"), "bad");
  }
  await outbox.clear();
  await forgetLogin("");
}

async function forgetLogin(message) {
  api.setToken(null);
  await kv.delete("token");
  await reads.clear();
  await api.forgetImages();
  state.unread = 0;
  if (message) toast(message, "bad");
  go("account");
}

async function needLogin(next) {
  await kv.set("after_login", next);
  go("account");
}

// --- report -----------------------------------------------------------------------------------

async function loadCategories() {
  if (state.categories) return state.categories;
  const result = await api.read(`${A}categories/`);
  state.categories = result.data;
  return state.categories;
}

async function renderReport() {
  if (!api.token) return needLogin("report");
  const body = h("div", { class: "stack" });
  const seq = screen("report", body);
  let categories;
  try {
    categories = await loadCategories();
  } catch (error) {
    if (live(seq)) replace(body, h("p", { class: "card error", role: "alert", text: error.message }));
    return;
  }
  const start = state.draft || (await currentPosition(6000)) || { lon: config.map.center[1], lat: config.map.center[0] };
  await mapReady(config);
  if (!live(seq)) return;

  const point = { lon: start.lon, lat: start.lat };
  const mapNode = h("div", { class: "map pick", "data-testid": "report-map", role: "application", "aria-label": t("drag_the_pin") });
  const same = h("div", { class: "same-kind", "aria-live": "polite", "data-testid": "same-kind" });
  const photos = photoPicker({ h, t, label: t("photos_optional"), max: 6, testid: "citizen-photos" });

  // categories: groups, then items, in plain words; a search box over names and keywords
  let selected = null;
  const search = h("input", { type: "search", name: "category_search", placeholder: t("search_categories"), "aria-label": t("search_categories"), autocomplete: "off" });
  const chosen = h("p", { class: "chosen", "data-testid": "chosen-category", text: t("no_category_chosen") });
  const list = h("div", { class: "item-list", role: "radiogroup", "aria-label": t("category") });
  const choose = (category) => {
    selected = category;
    chosen.textContent = t("category_chosen", { name: category.name });
    for (const input of list.querySelectorAll("input")) input.checked = input.value === category.code;
    checkSameKind();
  };
  const option = (category) =>
    h(
      "label",
      { class: "item-option" },
      h("input", { type: "radio", name: "item", value: category.code, checked: selected && selected.code === category.code, onchange: () => choose(category) }),
      h("span", { class: "name", text: category.name }),
    );
  const renderList = () => {
    const q = search.value.trim().toLowerCase();
    const found = q
      ? categories.filter((c) => `${c.name} ${c.group} ${c.keywords} ${c.description}`.toLowerCase().includes(q))
      : categories;
    const groups = new Map();
    for (const category of found.slice(0, q ? 40 : 400)) {
      if (!groups.has(category.group)) groups.set(category.group, []);
      groups.get(category.group).push(category);
    }
    replace(
      list,
      found.length
        ? [...groups.entries()].map(([group, members]) =>
            h("details", { open: Boolean(q) || (selected && selected.group === group) }, h("summary", { text: group }), members.map(option)),
          )
        : h("p", { class: "empty", text: t("no_categories_match") }),
    );
  };
  search.addEventListener("input", renderList);
  renderList();

  // FixMyStreet's lesson: before sending, show open reports of the same kind nearby.
  async function checkSameKind() {
    if (!selected) return;
    const d = 0.0015;
    const bbox = [point.lon - d, point.lat - d, point.lon + d, point.lat + d].map((x) => x.toFixed(5)).join(",");
    try {
      const result = await api.read(`${A}nearby/`, { bbox, status: "open" });
      const matches = result.data.results
        .filter((entry) => entry.service_code === selected.code)
        .map((entry) => ({ entry, distance: haversine(point.lon, point.lat, entry.long, entry.lat) }))
        .filter(({ distance }) => distance <= 150)
        .sort((a, b) => a.distance - b.distance)
        .slice(0, 3);
      replace(
        same,
        matches.length
          ? h("div", { class: "card notice" }, h("p", { class: "title", text: t("same_kind_title") }), h("ul", { class: "cards compact" }, matches.map(({ entry, distance }) => publicCard(entry, distance))), h("p", { class: "hint", text: t("same_kind_hint") }))
          : null,
      );
    } catch (error) {
      replace(same);
    }
  }

  const requestType = h(
    "fieldset",
    { class: "field choice" },
    h("legend", { class: "label", text: t("request_type") }),
    ...["problem", "help", "suggestion"].map((value) =>
      h("label", { class: "radio" }, h("input", { type: "radio", name: "request_type", value, checked: value === "problem" }), h("span", { text: STR.request_types[value] })),
    ),
  );
  const form = h(
    "form",
    { class: "form stack", "data-testid": "citizen-report-form", novalidate: true },
    h("section", { class: "card" }, h("h3", { text: t("where") }), mapNode, h("p", { class: "hint", text: t("drag_the_pin_hint") }), field(t("address_optional"), h("input", { name: "address", maxlength: 255, autocomplete: "street-address" }))),
    h("section", { class: "card field", "data-testid": "category-picker" }, h("h3", { text: t("category") }), search, chosen, list),
    same,
    h("section", { class: "card" }, requestType),
    h("section", { class: "card" }, field(t("description"), h("textarea", { name: "description", rows: 4, maxlength: 4000, required: true }), t("description_hint"))),
    h("section", { class: "card" }, photos.node),
    h("p", { class: "form-error", role: "alert" }),
    h("button", { type: "submit", class: "button primary block big", "data-testid": "citizen-report-submit", text: t("send_report") }),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const errors = {};
    if (!selected) errors.item = [t("choose_category")];
    if (!String(data.get("description") || "").trim()) errors.description = [t("describe_problem")];
    if (Object.keys(errors).length) return showErrors(form, { message: t("form_has_errors"), errors });
    await queue.add({
      kind: "citizen_report",
      client_id: uuid(),
      body: {
        item: selected.code,
        request_type: String(data.get("request_type") || "problem"),
        description: String(data.get("description")).trim(),
        lon: Math.round(point.lon * 1e6) / 1e6,
        lat: Math.round(point.lat * 1e6) / 1e6,
        address: String(data.get("address") || "").trim(),
      },
      photos: photos.photos(),
      title: selected.name,
    });
    state.draft = null;
    toast(navigator.onLine ? t("report_sending") : t("saved_offline"), "good");
    go("mine");
  });
  replace(body, form);
  leaflet = makeMap(mapNode, config, { center: [point.lat, point.lon], zoom: 18 });
  const marker = window.L.marker([point.lat, point.lon], { draggable: true, title: t("drag_the_pin"), alt: t("drag_the_pin") }).addTo(leaflet);
  const moved = (latlng) => {
    point.lon = latlng.lng;
    point.lat = latlng.lat;
    checkSameKind();
  };
  marker.on("dragend", () => moved(marker.getLatLng()));
  leaflet.on("click", (event) => {
    marker.setLatLng(event.latlng);
    moved(event.latlng);
  });
}

// --- my reports -------------------------------------------------------------------------------

async function renderMine() {
  if (!api.token) return needLogin("mine");
  const body = h("div", { class: "stack" });
  const seq = screen("mine", body);
  let result;
  try {
    result = await api.read(`${A}reports/`, { page_size: 50 });
  } catch (error) {
    if (live(seq)) replace(body, h("p", { class: "card error", role: "alert", text: error.message }));
    return;
  }
  if (!live(seq)) return;
  const waiting = state.waiting;
  const reports = result.data.results || [];
  replace(
    body,
    result.stale ? h("p", { class: "stale", role: "status", text: t("saved_copy", { at: fmtDateTime(result.savedAt) }) }) : null,
    h("h2", { text: t("my_reports") }),
    waiting.length
      ? h(
          "ul",
          { class: "cards compact", "data-testid": "waiting-list" },
          waiting.map((item) =>
            h(
              "li",
              { class: `card row ${item.state}` },
              h("div", { class: "grow" }, h("p", { class: "title", text: item.title }), item.state === "error" ? h("p", { class: "field-error", text: item.error }) : null),
              item.state === "error"
                ? h("button", { type: "button", class: "button secondary small", text: t("try_again"), onclick: () => queue.retry(item.seq) })
                : h("span", { class: "state waiting", text: t("waiting_to_send") }),
            ),
          ),
        )
      : null,
    reports.length
      ? h(
          "ul",
          { class: "cards", "data-testid": "my-reports" },
          reports.map((report) =>
            h(
              "li",
              { class: "card report", "data-case": report.id },
              h(
                "a",
                { class: "task-link", href: `#/mine/${report.id}` },
                h("p", { class: "task-head" }, h("span", { class: "title", text: report.item.name }), h("span", { class: `state s-${report.status}`, text: report.status_label })),
                h("p", { class: "description", text: report.description }),
                h("p", { class: "meta", text: `${report.number} · ${fmtDateTime(report.reported_at)}` }),
                report.can_rate ? h("p", { class: "cta", text: t("please_rate") }) : null,
              ),
            ),
          ),
        )
      : waiting.length
        ? null
        : h("p", { class: "empty", text: t("no_reports_yet") }),
  );
}

async function renderReportDetail({ id }) {
  if (!api.token) return needLogin(`mine/${id}`);
  const body = h("div", { class: "stack" });
  const seq = screen("mine", body);
  let result;
  try {
    result = await api.read(`${A}reports/${id}/`);
  } catch (error) {
    if (live(seq)) replace(body, h("p", { class: "card error", role: "alert", text: error.message }), h("a", { class: "back", href: "#/mine", text: t("back_to_mine") }));
    return;
  }
  if (!live(seq)) return;
  const report = result.data;
  const photoList = h("ul", { class: "thumbs" });
  report.photos.forEach((photo, index) => {
    const img = h("img", { alt: t("photo_n", { n: index + 1 }), width: 96, height: 96 });
    photoList.append(h("li", {}, img));
    api.image(photo.thumbnail_url).then((url) => (img.src = url)).catch(() => {});
  });
  const pendingRating = state.waiting.some((item) => item.kind === "rate" && item.body.case_id === report.id);
  replace(
    body,
    h("a", { class: "back", href: "#/mine", text: t("back_to_mine") }),
    result.stale ? h("p", { class: "stale", role: "status", text: t("saved_copy", { at: fmtDateTime(result.savedAt) }) }) : null,
    h(
      "section",
      { class: "card", "data-testid": "report-detail" },
      h("p", { class: "task-head" }, h("span", { class: "title", text: report.item.name }), h("span", { class: `state s-${report.status}`, "data-testid": "report-status", text: report.status_label })),
      h("p", { class: "meta", text: `${report.number} · ${report.request_type_label}` }),
      h("p", { class: "description", text: report.description }),
      report.address ? h("p", { class: "meta", text: report.address }) : null,
      report.photos.length ? photoList : null,
    ),
    h(
      "section",
      { class: "card" },
      h("h3", { text: t("timeline") }),
      h(
        "ol",
        { class: "timeline", "data-testid": "timeline" },
        report.timeline.map((event) =>
          h(
            "li",
            {},
            h("p", { class: "title", text: event.status_label }),
            h("p", { class: "meta", text: `${fmtDateTime(event.at)} · ${event.action_label}` }),
            event.note ? h("p", { class: "note", text: event.note }) : null,
          ),
        ),
      ),
    ),
    report.rating
      ? h("section", { class: "card", "data-testid": "rated" }, h("h3", { text: t("your_rating") }), h("p", { class: "stars", "aria-label": t("n_of_5", { n: report.rating }), text: "★".repeat(report.rating) + "☆".repeat(5 - report.rating) }), report.rating_comment ? h("p", { text: report.rating_comment }) : null)
      : pendingRating
        ? h("p", { class: "card waiting", role: "status", text: t("rating_waiting") })
        : report.can_rate
          ? ratingForm(report)
          : null,
  );
}

function ratingForm(report) {
  const stars = h(
    "fieldset",
    { class: "field stars-input" },
    h("legend", { class: "label", text: t("rate_question") }),
    ...[1, 2, 3, 4, 5].map((n) =>
      h("label", { class: "star" }, h("input", { type: "radio", name: "rating", value: String(n), required: true, "aria-label": t("n_of_5", { n }) }), h("span", { "aria-hidden": "true", text: "★" }), h("span", { class: "star-n", text: String(n) })),
    ),
  );
  const form = h(
    "form",
    { class: "card form", "data-testid": "rating-form", novalidate: true },
    h("h3", { text: t("rate_title") }),
    stars,
    field(t("comment_optional"), h("textarea", { name: "comment", rows: 2, maxlength: 1000 })),
    h("p", { class: "form-error", role: "alert" }),
    h("button", { type: "submit", class: "button primary block", "data-testid": "rating-submit", text: t("send_rating") }),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    if (!data.get("rating")) return showErrors(form, { message: t("choose_stars"), errors: { rating: [t("choose_stars")] } });
    await queue.add({
      kind: "rate",
      client_id: uuid(),
      body: { case_id: report.id, rating: Number(data.get("rating")), comment: String(data.get("comment") || "").trim() },
      title: t("rating_of", { name: report.item.name }),
    });
    await queue.flush();
    renderReportDetail({ id: report.id });
  });
  return form;
}

// --- inbox ------------------------------------------------------------------------------------

async function renderInbox() {
  if (!api.token) return needLogin("inbox");
  const body = h("div", { class: "stack" });
  const seq = screen("inbox", body);
  let result;
  try {
    result = await api.read(`${A}inbox/`, { page_size: 50 });
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
        await api.post(`${A}inbox/read/`, { all: true });
        renderInbox();
      } catch (error) {
        toast(error.message, "bad");
      }
    },
    caseHref: (message) => (message.case_id ? `#/mine/${message.case_id}` : null),
  });
  replace(body, heading, h("a", { class: "button secondary block", href: "#/account", text: t("notification_settings") }), list);
}

// --- start ------------------------------------------------------------------------------------

const route = router(
  {
    map: renderMap,
    report: renderReport,
    mine: renderMine,
    "mine/:id": renderReportDetail,
    inbox: renderInbox,
    account: renderAccount,
  },
  () => go("map"),
);

watchNetwork(document.getElementById("offline"), () => queue.flush());
navigator.serviceWorker?.addEventListener("message", (event) => {
  if (event.data && event.data.type === "push") {
    refreshUnread();
    if (main.dataset.screen === "mine" || main.dataset.screen === "inbox") route();
  }
});
setInterval(() => {
  queue.flush();
  refreshUnread();
}, 60000);

const token = await kv.get("token");
if (token) {
  api.setToken(token);
  queue.flush();
  refreshUnread();
}
route();
document.documentElement.dataset.ready = "1";
registerWorker(config);
// The maps' library, fetched once the first screen is up (it waits for nothing else).
setTimeout(() => mapReady(config).catch(() => {}), 0);
