// Shared helpers: CSRF cookie, JSON fetch, escaping, stage colour.
// Everything that comes from the API is data: it reaches HTML through esc() (or textContent),
// never as markup — a region, item, unit or resource name may hold anything.
window.Wangge = (function () {
  "use strict";
  function cookie(name) {
    const match = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return match ? decodeURIComponent(match[1]) : "";
  }
  async function api(url, options) {
    const opts = Object.assign({ credentials: "same-origin", headers: {} }, options || {});
    opts.headers = Object.assign({ Accept: "application/json" }, opts.headers);
    // FormData (an action with photos) goes as multipart: the browser sets the boundary.
    if (opts.body && typeof opts.body !== "string" && !(opts.body instanceof FormData)) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(opts.body);
    }
    if (opts.method && opts.method !== "GET") opts.headers["X-CSRFToken"] = cookie("csrftoken");
    const response = await fetch(url, opts);
    let data = null;
    try { data = await response.json(); } catch (err) { data = null; }
    return { ok: response.ok, status: response.status, data: data };
  }
  function esc(text) {
    const div = document.createElement("div");
    div.textContent = text == null ? "" : String(text);
    // innerHTML escapes < > &, not quotes: escape them too, for attribute values.
    return div.innerHTML.replace(/"/g, "&quot;").replace(/'/g, "&#39;");
  }
  // A link the page may follow: our own paths and http(s) only (no javascript: or data:).
  function safeUrl(url) {
    const text = url == null ? "" : String(url);
    try {
      const parsed = new URL(text, window.location.href);
      return parsed.protocol === "http:" || parsed.protocol === "https:" ? text : "#";
    } catch (err) {
      return "#";
    }
  }
  // A token for a class name (a status, a kind): letters, digits, _ and - only.
  function token(text) {
    return String(text == null ? "" : text).replace(/[^A-Za-z0-9_-]/g, "");
  }
  // "overdue" past stage_due_at, "warn" past stage_warn_at, else "ok".
  function stageState(item, now) {
    const at = now || Date.now();
    if (item.stage_due_at && Date.parse(item.stage_due_at) < at) return "overdue";
    if (item.stage_warn_at && Date.parse(item.stage_warn_at) < at) return "warn";
    return "ok";
  }
  function features(data) {
    if (!data) return [];
    if (data.type === "Feature") return [data];
    if (data.features) return data.features;
    if (data.results && data.results.features) return data.results.features;
    return data.results || [];
  }
  return {
    cookie: cookie, api: api, esc: esc, safeUrl: safeUrl, token: token,
    stageState: stageState, features: features,
  };
})();
