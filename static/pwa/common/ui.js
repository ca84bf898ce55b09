// DOM building without HTML strings (all text goes in through textContent), the app's words,
// dates in Beijing time and "time left" in words.

let STRINGS = {};

export function loadJson(id) {
  const node = document.getElementById(id);
  return node ? JSON.parse(node.textContent) : {};
}

export function setStrings(strings) {
  STRINGS = strings;
}

// t("time_left", {n: 3}) → the string with %(n)s replaced.
export function t(key, params) {
  let text = STRINGS[key] !== undefined ? STRINGS[key] : key;
  if (params) {
    text = text.replace(/%\((\w+)\)s/g, (match, name) =>
      params[name] !== undefined ? String(params[name]) : match,
    );
  }
  return text;
}

export function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") {
      node.addEventListener(key.slice(2), value);
    } else if (value === true) node.setAttribute(key, "");
    else node.setAttribute(key, String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function replace(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

const PARTS = new Intl.DateTimeFormat("en-CA", {
  timeZone: "Asia/Shanghai",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  hourCycle: "h23",
});

// YYYY-MM-DD HH:mm in Beijing time, whatever the phone's zone.
export function fmtDateTime(value) {
  if (!value) return "";
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return "";
  const p = Object.fromEntries(PARTS.formatToParts(date).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}

// HH:mm in Beijing time.
export function fmtTime(value) {
  return fmtDateTime(value).slice(11);
}

// Beijing's offset: device times are sent with it.
export function isoWithOffset(date = new Date()) {
  const shifted = new Date(date.getTime() + 8 * 3600 * 1000);
  return shifted.toISOString().replace(/\.\d{3}Z$/, "+08:00");
}

function spanWords(ms) {
  const minutes = Math.max(1, Math.round(Math.abs(ms) / 60000));
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const mins = minutes % 60;
  const parts = [];
  if (days) parts.push(t("n_days", { n: days }));
  if (hours) parts.push(t("n_hours", { n: hours }));
  if (!days && mins) parts.push(t("n_minutes", { n: mins }));
  return parts.join(" ");
}

// {text: "剩余 21 分钟" | "已超时 1 天 6 小时", tone: "ok" | "warn" | "overdue"}
export function timeLeft(dueAt, warnAt, now = Date.now()) {
  if (!dueAt) return { text: "", tone: "ok" };
  const due = new Date(dueAt).getTime();
  if (due <= now) return { text: t("overdue_by", { span: spanWords(now - due) }), tone: "overdue" };
  const warn = warnAt ? new Date(warnAt).getTime() : due;
  return { text: t("left", { span: spanWords(due - now) }), tone: now >= warn ? "warn" : "ok" };
}

export function metres(m) {
  if (m === null || m === undefined || Number.isNaN(m)) return "";
  return m < 1000 ? t("n_metres", { n: Math.round(m) }) : t("n_km", { n: (m / 1000).toFixed(1) });
}

let toastTimer = null;
export function toast(message, tone = "info") {
  let node = document.getElementById("toast");
  if (!node) return;
  node.textContent = message;
  node.className = `toast show ${tone}`;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    node.className = "toast";
  }, 4000);
}

export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// Field errors of an API answer, next to the form's fields, and the message on top.
export function showErrors(form, error) {
  for (const old of form.querySelectorAll(".field-error")) old.remove();
  for (const [field, messages] of Object.entries(error.errors || {})) {
    const input = form.querySelector(`[name="${CSS.escape(field)}"]`);
    const note = h("p", { class: "field-error", role: "alert", text: [].concat(messages).join(" ") });
    if (input) input.closest("label, fieldset, .field")?.append(note) || input.after(note);
  }
  const top = form.querySelector(".form-error");
  if (top) top.textContent = error.message || "";
}

export function haversine(lon1, lat1, lon2, lat2) {
  const rad = Math.PI / 180;
  const dphi = (lat2 - lat1) * rad;
  const dlam = (lon2 - lon1) * rad;
  const a =
    Math.sin(dphi / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dlam / 2) ** 2;
  return 2 * 6371008.8 * Math.asin(Math.min(1, Math.sqrt(a)));
}

// Is the point inside a GeoJSON (Multi)Polygon? For showing "inside your grid" offline; the
// server locates the report itself.
export function pointInGeometry(lon, lat, geometry) {
  if (!geometry) return false;
  const polygons = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
  return polygons.some((rings) => {
    let inside = false;
    rings.forEach((ring, index) => {
      let crossing = false;
      for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
        const [xi, yi] = ring[i];
        const [xj, yj] = ring[j];
        if (yi > lat !== yj > lat && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) {
          crossing = !crossing;
        }
      }
      if (crossing) inside = index === 0 ? !inside : !inside;
    });
    return inside;
  });
}

// --- the shell: worker, network, install, router --------------------------------------------
// What both apps share around their screens: the service worker, the network state, the
// install button and a hash router.


export function registerWorker(config) {
  if (!("serviceWorker" in navigator)) return Promise.resolve(null);
  return navigator.serviceWorker
    .register(config.sw, { scope: config.scope })
    .then((registration) => {
      document.documentElement.dataset.sw = "registered";
      return registration;
    })
    .catch((error) => {
      document.documentElement.dataset.sw = "failed";
      console.warn("service worker", error);
      return null;
    });
}

// The "offline" banner, kept in step with the browser's view of the network.
export function watchNetwork(banner, onOnline) {
  const update = () => {
    const online = navigator.onLine;
    banner.hidden = online;
    document.documentElement.dataset.online = online ? "1" : "0";
  };
  window.addEventListener("online", () => {
    update();
    onOnline();
  });
  window.addEventListener("offline", update);
  update();
}

// Browsers that offer installing the app fire beforeinstallprompt; we show our own button.
export function installButton() {
  let deferred = null;
  const button = h("button", {
    type: "button",
    class: "button secondary small",
    hidden: true,
    "data-testid": "install",
    text: t("install_app"),
    onclick: async () => {
      if (!deferred) return;
      deferred.prompt();
      await deferred.userChoice;
      deferred = null;
      button.hidden = true;
    },
  });
  window.addEventListener("beforeinstallprompt", (event) => {
    event.preventDefault();
    deferred = event;
    button.hidden = false;
  });
  return button;
}

// Routes: {"today": render, "task/:id": render, …}; render(params) fills the main element.
export function router(routes, fallback) {
  const match = () => {
    const path = (location.hash || "").replace(/^#\/?/, "").split("?")[0];
    for (const [pattern, render] of Object.entries(routes)) {
      const names = [];
      const regex = new RegExp(
        "^" + pattern.replace(/:(\w+)/g, (m, name) => (names.push(name), "([^/]+)")) + "$",
      );
      const found = path.match(regex);
      if (found) {
        const params = Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(found[i + 1])]));
        return render(params, pattern);
      }
    }
    return fallback();
  };
  window.addEventListener("hashchange", match);
  return match;
}

export function go(path) {
  if (location.hash === `#/${path}`) window.dispatchEvent(new HashChangeEvent("hashchange"));
  else location.hash = `#/${path}`;
}

// Screens drawn in turn. Each drawing has a number: a screen still loading when the person
// moved on must not draw over the new one (live(seq) is false then). `leave(route)` runs before
// each drawing (the apps remove the old screen's map there and redraw their tabs).
export function screens(main, leave) {
  let seq = 0;
  const show = (route, ...children) => {
    seq += 1;
    leave(route);
    main.dataset.screen = route;
    replace(main, ...children);
    main.focus({ preventScroll: true });
    window.scrollTo(0, 0);
    return seq;
  };
  return { show, live: (n) => n === seq };
}

// One tab of the bottom bar.
export function tabLink(active, route, label, extra) {
  return h(
    "a",
    {
      href: `#/${route}`,
      class: active === route ? "tab active" : "tab",
      "aria-current": active === route ? "page" : null,
      "data-testid": `tab-${route}`,
    },
    h("span", { text: label }),
    extra,
  );
}

// The inbox tab's count of unread messages, and its update in place.
export function inboxBadge(unread) {
  return h("span", {
    class: "badge",
    "data-testid": "inbox-badge",
    "aria-label": t("unread_messages"),
    hidden: !unread,
    text: unread ? String(unread) : "",
  });
}

export function updateInboxBadge(tabs, unread) {
  const badge = tabs.querySelector("[data-testid=inbox-badge]");
  if (badge) {
    badge.textContent = unread ? String(unread) : "";
    badge.hidden = !unread;
  }
}

// The inbox of either app: the heading with "mark all read" ([0]) and the messages ([1]). With
// `caseHref`, a message about a case links to it.
export function inboxView({ messages, unread, onMarkAll, caseHref = null }) {
  const heading = h(
    "div",
    { class: "row spread" },
    h("h2", { text: t("tab_inbox") }),
    h("button", {
      type: "button",
      class: "button secondary small",
      "data-testid": "mark-all-read",
      disabled: !unread,
      text: t("mark_all_read"),
      onclick: onMarkAll,
    }),
  );
  const item = (message) => {
    const parts = [
      h("p", { class: "title" }, message.read ? null : h("span", { class: "dot-new", "aria-label": t("unread") }), message.title),
      h("p", { class: "body", text: message.body }),
      h("p", { class: "meta", text: fmtDateTime(message.created_at) }),
    ];
    const href = caseHref && caseHref(message);
    return h(
      "li",
      { class: `card message ${message.read ? "read" : "unread"}` },
      caseHref ? h(href ? "a" : "div", { class: "task-link", href: href || null }, ...parts) : parts,
    );
  };
  const list = messages.length
    ? h("ul", { class: "cards", "data-testid": "inbox-list" }, messages.map(item))
    : h("p", { class: "empty", text: t("no_messages") });
  return [heading, list];
}
