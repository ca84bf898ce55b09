// Live work queues: every [data-live-queue] asks its URL (?partial=1) for fresh rows every
// 10 s and swaps them in place. New rows are flagged and announced once, quietly (an
// aria-live line, no pop-up); ticked boxes and the reader's scroll position stay.
// The rows are server-rendered by Django's templates (escaped there); no script comes with them.
(function () {
  "use strict";
  const INTERVAL = 10000;
  const stringsNode = document.getElementById("live-i18n");
  const T = stringsNode ? JSON.parse(stringsNode.textContent) : {};

  function idsOf(tbody) {
    return new Set(Array.from(tbody.querySelectorAll("tr[data-case]")).map((tr) => tr.dataset.case));
  }

  // New arrivals while the tab is in the background show in its title: "(2) 派遣 …".
  const title = document.title;
  let unseen = 0;
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) { unseen = 0; document.title = title; }
  });
  function flagInTitle(n) {
    if (!document.hidden || !n) return;
    unseen += n;
    document.title = "(" + unseen + ") " + title;
  }

  function live(box) {
    let tbody = box.querySelector("tbody[data-rows]");
    if (!tbody) return;
    let known = idsOf(tbody);
    const section = box.closest("section") || document;
    const status = section.querySelector("[data-live-status]");
    const badge = section.querySelector("[data-total]");
    let busy = false;

    async function refresh() {
      if (busy) return;
      busy = true;
      try {
        const response = await fetch(box.dataset.url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } });
        if (!response.ok) return;
        const html = await response.text();
        const holder = document.createElement("template");
        holder.innerHTML = "<table><tbody>" + html + "</tbody></table>";
        const fresh = holder.content.querySelector("tbody");
        const meta = fresh.querySelector("tr[data-meta]");
        if (meta) meta.remove();
        const checked = new Set(Array.from(tbody.querySelectorAll("input[name=case]:checked")).map((i) => i.value));
        const arrived = [];
        for (const tr of fresh.querySelectorAll("tr[data-case]")) {
          if (!known.has(tr.dataset.case)) { tr.classList.add("new"); arrived.push(tr.dataset.case); }
          const box_ = tr.querySelector("input[name=case]");
          if (box_ && checked.has(box_.value)) box_.checked = true;
        }
        tbody.replaceChildren(...fresh.children);
        flagInTitle(arrived.length);
        known = idsOf(tbody);
        const table = tbody.closest("table");
        if (table) table.classList.toggle("is-empty", known.size === 0);
        const empty = section.querySelector("[data-empty]");
        if (empty) empty.hidden = known.size > 0;
        // On the home page an empty queue is one line, after those with work (app.css).
        if (section.classList && section.classList.contains("queue")) section.classList.toggle("is-idle", known.size === 0);
        if (badge && meta) badge.textContent = meta.dataset.total;
        box.dataset.refreshed = String(Date.now());
        if (status) {
          const time = new Date().toLocaleTimeString("zh-CN", { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
          status.textContent = arrived.length
            ? (T.arrived || "%(n)s new").replace("%(n)s", arrived.length) + " · " + time
            : (T.updated || "Updated %(time)s").replace("%(time)s", time);
          status.classList.toggle("arrived", arrived.length > 0);
        }
      } catch (err) {
        if (status) status.textContent = T.offline || "";
      } finally {
        busy = false;
      }
    }
    setInterval(refresh, Number(box.dataset.interval) || INTERVAL);
  }

  document.querySelectorAll("[data-live-queue]").forEach(live);

  // On a phone the queue comes first: the filters beyond the search fold away until asked for.
  if (window.matchMedia("(max-width: 40rem)").matches) {
    document.querySelectorAll("details[data-more-filters]").forEach((d) => {
      const used = Array.from(d.querySelectorAll("input, select")).some((f) => f.value && f.name !== "sort");
      if (!used) d.open = false;
    });
  }

  // "Choose all on this page" and the count of ticked cases next to the bulk buttons.
  const bulk = document.getElementById("bulk");
  if (bulk) {
    const picked = bulk.querySelector("[data-picked]");
    const original = picked ? picked.textContent : "";
    const update = () => {
      const n = document.querySelectorAll("input[name=case][form=bulk]:checked").length;
      if (picked) picked.textContent = n ? (T.picked || "%(n)s ticked").replace("%(n)s", n) : original;
    };
    document.addEventListener("change", (e) => {
      if (e.target.matches("[data-pick-all]")) {
        document.querySelectorAll("input[name=case][form=bulk]").forEach((i) => { i.checked = e.target.checked; });
      }
      update();
    });
  }
})();
