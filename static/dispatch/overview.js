// Overview counters: fetched now and every 30 s; the by-street chart is redrawn in place.
(function () {
  "use strict";
  const box = document.getElementById("overview");
  if (!box) return;
  const labels = JSON.parse(document.getElementById("overview-labels").textContent);
  let chart = null;

  function draw(rows) {
    const names = rows.map((r) => r.name || r.code || "-");
    const open = rows.map((r) => r.open);
    const overdue = rows.map((r) => r.overdue);
    if (!window.Chart) return;
    if (chart) {
      chart.data.labels = names;
      chart.data.datasets[0].data = open;
      chart.data.datasets[1].data = overdue;
      chart.update();
      return;
    }
    chart = new window.Chart(document.getElementById("by-street"), {
      type: "bar",
      data: {
        labels: names,
        datasets: [
          { label: labels.open, data: open, backgroundColor: "#3b82f6" },
          { label: labels.overdue, data: overdue, backgroundColor: "#dc2626" },
        ],
      },
      options: { responsive: true, maintainAspectRatio: false, animation: false },
    });
  }

  async function refresh() {
    try {
      const response = await fetch(box.dataset.url, { credentials: "same-origin" });
      if (!response.ok) return;
      const data = await response.json();
      for (const el of box.querySelectorAll("[data-counter]")) {
        el.textContent = data[el.dataset.counter];
      }
      document.getElementById("overview-at").textContent = new Date(data.at).toLocaleTimeString();
      draw(data.by_street);
      box.dataset.loaded = "1";
    } catch (err) {
      console.warn("overview refresh failed", err);
    }
  }
  refresh();
  setInterval(refresh, 30000);
})();
