// The device's storage, the REST API and the outbox of writes: the apps' data layer.

// --- storage --------------------------------------------------------------------------------
// The device's own storage (IndexedDB): settings and the login ("kv"), the writes waiting to
// be sent ("outbox", in the order they were made), GPS fixes not yet uploaded ("fixes") and
// the last answer of every read ("reads"), so that the screens open with no network.

const STORES = {
  kv: {},
  outbox: { keyPath: "seq", autoIncrement: true },
  fixes: { keyPath: "client_id" },
  reads: {},
};

let opened = null;

export function openStore(name) {
  if (opened) return opened;
  opened = new Promise((resolve, reject) => {
    const request = indexedDB.open(name, 1);
    request.onupgradeneeded = () => {
      const db = request.result;
      for (const [store, options] of Object.entries(STORES)) {
        if (!db.objectStoreNames.contains(store)) db.createObjectStore(store, options);
      }
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  return opened;
}

function done(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function run(store, mode, work) {
  const db = await opened;
  return new Promise((resolve, reject) => {
    const tx = db.transaction(store, mode);
    let result;
    Promise.resolve(work(tx.objectStore(store))).then((value) => {
      result = value;
    }, reject);
    tx.oncomplete = () => resolve(result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

export const kv = {
  get: (key) => run("kv", "readonly", (s) => done(s.get(key))),
  set: (key, value) => run("kv", "readwrite", (s) => done(s.put(value, key))),
  delete: (key) => run("kv", "readwrite", (s) => done(s.delete(key))),
};

export const outbox = {
  // Resolves to the new item's seq: the order in which writes are replayed.
  add: (item) => run("outbox", "readwrite", (s) => done(s.add(item))),
  all: () => run("outbox", "readonly", (s) => done(s.getAll())),
  put: (item) => run("outbox", "readwrite", (s) => done(s.put(item))),
  delete: (seq) => run("outbox", "readwrite", (s) => done(s.delete(seq))),
  clear: () => run("outbox", "readwrite", (s) => done(s.clear())),
};

export const fixes = {
  add: (fix) => run("fixes", "readwrite", (s) => done(s.put(fix))),
  all: () => run("fixes", "readonly", (s) => done(s.getAll())),
  count: () => run("fixes", "readonly", (s) => done(s.count())),
  deleteMany: (ids) =>
    run("fixes", "readwrite", (s) => Promise.all(ids.map((id) => done(s.delete(id))))),
};

export const reads = {
  get: (key) => run("reads", "readonly", (s) => done(s.get(key))),
  put: (key, value) => run("reads", "readwrite", (s) => done(s.put(value, key))),
  clear: () => run("reads", "readwrite", (s) => done(s.clear())),
};

// --- the API --------------------------------------------------------------------------------
// The REST API, with the token kept on the device. Reads keep their last answer on the
// device (store.reads) and fall back to it when the network is gone.


export class ApiError extends Error {
  constructor(message, { status = 0, code = "", errors = {}, body = null, network = false } = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.errors = errors;
    this.body = body;
    this.network = network;
  }
}

function query(params) {
  if (!params) return "";
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === "") continue;
    for (const one of Array.isArray(value) ? value : [value]) search.append(key, String(one));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

const PHOTO_CACHE = "wangge-photos";

export function createApi({ base, language, strings, onUnauthorized }) {
  let token = null;
  const blobs = new Map();

  async function request(method, path, { json, form, params, timeout = 20000 } = {}) {
    const headers = { Accept: "application/json", "Accept-Language": language };
    if (token) headers.Authorization = `Token ${token}`;
    let body;
    if (json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(json);
    } else if (form !== undefined) {
      body = form;
    }
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeout);
    let response;
    try {
      response = await fetch(base + path + query(params), {
        method,
        headers,
        body,
        signal: controller.signal,
        credentials: "omit",
        cache: "no-store",
      });
    } catch (error) {
      throw new ApiError(strings.offline, { network: true });
    } finally {
      clearTimeout(timer);
    }
    let data = null;
    if (response.status !== 204) {
      const text = await response.text();
      try {
        data = text ? JSON.parse(text) : null;
      } catch (error) {
        data = null;
      }
    }
    if (!response.ok) {
      const code = (data && data.code) || "";
      if (response.status === 401 && token && onUnauthorized) onUnauthorized();
      if (response.status >= 500 || (response.status >= 400 && !data)) {
        // A proxy's page or a server in trouble: the write stays queued and is retried.
        throw new ApiError(strings.server_unavailable, { status: response.status, network: true });
      }
      throw new ApiError((data && data.message) || strings.server_unavailable, {
        status: response.status,
        code,
        errors: (data && data.errors) || {},
        body: data,
      });
    }
    return { data, headers: response.headers, status: response.status };
  }

  return {
    setToken(value) {
      token = value;
    },
    get token() {
      return token;
    },
    request,
    async get(path, params) {
      return (await request("GET", path, { params })).data;
    },
    async post(path, json) {
      return (await request("POST", path, { json })).data;
    },
    async postForm(path, form, timeout = 60000) {
      return (await request("POST", path, { form, timeout })).data;
    },
    // A read that works offline: the network's answer when there is one (kept on the
    // device), else the last one kept. Resolves to {data, headers, stale, savedAt}.
    async read(path, params) {
      const key = `${token ? "me" : "anon"}:${path}${query(params)}`;
      try {
        const { data, headers } = await request("GET", path, { params, timeout: 12000 });
        const unread = headers.get("X-Unread-Count");
        const savedAt = new Date().toISOString();
        reads.put(key, { data, unread, savedAt }).catch(() => {});
        return { data, unread, stale: false, savedAt };
      } catch (error) {
        if (!error.network) throw error;
        const kept = await reads.get(key);
        if (!kept) throw error;
        return { data: kept.data, unread: kept.unread, stale: true, savedAt: kept.savedAt };
      }
    },
    // A protected photo as an object URL (images need the token, which <img> cannot send).
    // Kept in the Cache Storage too, so the photos of a task open with no network.
    async image(url) {
      if (blobs.has(url)) return blobs.get(url);
      const headers = token ? { Authorization: `Token ${token}` } : {};
      const cache = window.caches ? await caches.open(PHOTO_CACHE) : null;
      let response;
      try {
        response = await fetch(url, { headers, credentials: "omit" });
        if (response.ok && cache) await cache.put(url, response.clone());
      } catch (error) {
        response = cache ? await cache.match(url) : undefined;
      }
      if (!response || !response.ok) throw new ApiError(strings.photo_unavailable, { status: response ? response.status : 0 });
      const objectUrl = URL.createObjectURL(await response.blob());
      blobs.set(url, objectUrl);
      return objectUrl;
    },
    async forgetImages() {
      blobs.clear();
      if (window.caches) await caches.delete(PHOTO_CACHE);
    },
  };
}

// --- the outbox -----------------------------------------------------------------------------
// Every write goes into the device's outbox first, with its request id, and is sent from
// there: at once when there is a network, later when it comes back. Sending again after a
// lost answer is safe: the server counts a request id once. Items leave the outbox only when
// the server has answered for them.
//
// An item: {seq, client_id, kind, body, photos: [{blob, attachment_id}], device_time,
//           title, state: "waiting" | "error", error, created_at}


export function createQueue({ api, send, strings }) {
  const listeners = new Set();
  let running = null;

  const notify = async () => {
    const items = await outbox.all();
    for (const listener of listeners) listener(items);
  };

  async function uploadPhotos(item) {
    let changed = false;
    for (const photo of item.photos || []) {
      if (photo.attachment_id) continue;
      const form = new FormData();
      form.append("photo", photo.blob, `${item.client_id}.jpg`);
      const uploaded = await api.postForm("attachments/", form);
      photo.attachment_id = uploaded.id;
      changed = true;
      // Kept at once: a lost network after this photo does not send it twice.
      await outbox.put(item);
    }
    return changed;
  }

  async function fail(item, error) {
    item.state = "error";
    item.error = error.message || String(error);
    await outbox.put(item);
  }

  async function flushOnce() {
    const waiting = (await outbox.all()).filter((item) => item.state !== "error");
    if (!waiting.length) return { sent: 0 };
    const ready = [];
    for (const item of waiting) {
      try {
        if (send.uploadsPhotos) await uploadPhotos(item);
        ready.push(item);
      } catch (error) {
        if (error.network) break; // keep the order: nothing after it goes first
        await fail(item, error);
      }
    }
    if (!ready.length) return { sent: 0 };
    const results = await send(ready); // [{seq, ok, error}] for the items answered
    let sent = 0;
    for (const result of results) {
      const item = ready.find((one) => one.seq === result.seq);
      if (!item) continue;
      if (result.ok) {
        await outbox.delete(item.seq);
        sent += 1;
      } else {
        await fail(item, result.error);
      }
    }
    return { sent };
  }

  const queue = {
    async add({ kind, body, photos = [], title = "", client_id }) {
      const item = {
        client_id,
        kind,
        body,
        photos: photos.map((blob) => ({ blob, attachment_id: null })),
        device_time: body.device_time,
        title,
        state: "waiting",
        error: "",
        created_at: new Date().toISOString(),
      };
      item.seq = await outbox.add(item);
      await notify();
      queue.flush();
      return item;
    },
    // Send what waits; one run at a time. Resolves to {sent} or {sent: 0, offline: true}.
    flush() {
      if (running) return running;
      if (!navigator.onLine) return Promise.resolve({ sent: 0, offline: true });
      running = flushOnce()
        .catch((error) => ({ sent: 0, offline: Boolean(error.network), error }))
        .finally(async () => {
          running = null;
          await notify();
        });
      return running;
    },
    all: () => outbox.all(),
    async retry(seq) {
      const item = (await outbox.all()).find((one) => one.seq === seq);
      if (!item) return;
      item.state = "waiting";
      item.error = "";
      await outbox.put(item);
      await notify();
      queue.flush();
    },
    async discard(seq) {
      await outbox.delete(seq);
      await notify();
    },
    onChange(listener) {
      listeners.add(listener);
      notify();
      return () => listeners.delete(listener);
    },
    strings,
  };
  return queue;
}
