/* The service worker of a Wangge app, served from inside the app's path so that its scope is
   the app. It keeps the app shell (the page and its files) so the app opens with no network,
   keeps map tiles it has seen, and shows Web Push notifications. API calls are the app's
   business: it keeps its reads and its writes on the device itself. */
"use strict";
const CONFIG = {{ config|safe }};
const SHELL = `wangge-${CONFIG.app}-shell-${CONFIG.version}`;
const TILES = `wangge-${CONFIG.app}-tiles`;
const MAX_TILES = 600;
const FILES = new Set(CONFIG.files);

function tilePattern(template) {
  if (!template) return null;
  const escaped = template.replace(/[.*+?^$()|[\]\\]/g, "\\$&");
  return new RegExp("^" + escaped.replace(/\{[a-z]+\}/g, "[^/]+") + "$");
}
const TILE_RE = tilePattern(CONFIG.tiles);

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(SHELL)
      .then((cache) => cache.addAll([CONFIG.shell, ...CONFIG.files]))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) =>
        Promise.all(
          keys
            .filter((key) => key.startsWith(`wangge-${CONFIG.app}-shell-`) && key !== SHELL)
            .map((key) => caches.delete(key)),
        ),
      )
      .then(() => self.clients.claim()),
  );
});

function timeout(ms) {
  return new Promise((resolve, reject) => setTimeout(() => reject(new Error("timeout")), ms));
}

async function networkFirst(request, cacheKey, ms) {
  const cache = await caches.open(SHELL);
  try {
    const response = await Promise.race([fetch(request), timeout(ms)]);
    if (response.ok) cache.put(cacheKey, response.clone());
    return response;
  } catch (error) {
    const kept = await cache.match(cacheKey);
    if (kept) return kept;
    throw error;
  }
}

async function cacheFirst(request) {
  const kept = await caches.match(request);
  if (kept) return kept;
  const response = await fetch(request);
  if (response.ok) (await caches.open(SHELL)).put(request, response.clone());
  return response;
}

async function tile(request) {
  const cache = await caches.open(TILES);
  const kept = await cache.match(request);
  const fresh = fetch(request)
    .then(async (response) => {
      if (response.ok || response.type === "opaque") {
        await cache.put(request, response.clone());
        const keys = await cache.keys();
        for (const old of keys.slice(0, Math.max(0, keys.length - MAX_TILES))) await cache.delete(old);
      }
      return response;
    })
    .catch(() => kept || Response.error());
  return kept || fresh;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin === self.location.origin) {
    if (url.pathname.startsWith("/api/")) return;
    if (request.mode === "navigate" && url.pathname.startsWith(CONFIG.scope)) {
      event.respondWith(networkFirst(request, CONFIG.shell, 4000));
      return;
    }
    if (FILES.has(url.pathname)) {
      event.respondWith(CONFIG.network_first ? networkFirst(request, request, 4000) : cacheFirst(request));
    }
    return;
  }
  if (TILE_RE && TILE_RE.test(request.url)) event.respondWith(tile(request));
});

self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (error) {
    data = { title: event.data ? event.data.text() : "" };
  }
  const target = data.case_id
    ? CONFIG.app === "c"
      ? `${CONFIG.scope}#/mine/${data.case_id}`
      : `${CONFIG.scope}#/inbox`
    : `${CONFIG.scope}#/inbox`;
  event.waitUntil(
    Promise.all([
      self.registration.showNotification(data.title || "Wangge", {
        body: data.body || "",
        tag: `${data.case_id || ""}:${data.topic || ""}`,
        data: { url: target },
      }),
      self.clients
        .matchAll({ type: "window" })
        .then((clients) => clients.forEach((client) => client.postMessage({ type: "push", data }))),
    ]),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = (event.notification.data && event.notification.data.url) || CONFIG.scope;
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((clients) => {
      for (const client of clients) {
        if (client.url.startsWith(self.location.origin + CONFIG.scope) && "focus" in client) {
          client.navigate(url);
          return client.focus();
        }
      }
      return self.clients.openWindow(url);
    }),
  );
});
