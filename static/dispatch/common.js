// Shared helpers: CSRF cookie, JSON fetch, escaping, stage colour.
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
    return div.innerHTML;
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
  return { cookie: cookie, api: api, esc: esc, stageState: stageState, features: features };
})();
