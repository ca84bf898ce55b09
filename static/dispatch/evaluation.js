// Evaluation trend: the last six periods' score (the group's mean, or one subject's).
(function () {
  "use strict";
  const canvas = document.getElementById("evaluation-trend");
  if (!canvas || !window.Chart) return;
  const strings = JSON.parse(document.getElementById("evaluation-strings").textContent);

  async function load() {
    const response = await fetch(canvas.dataset.url, { credentials: "same-origin" });
    if (!response.ok) return;
    const data = await response.json();
    const points = data.points || [];
    new window.Chart(canvas, {
      type: "line",
      data: {
        labels: points.map((p) => p.period),
        datasets: [
          {
            label: strings.score,
            data: points.map((p) => (p.score === null ? null : Number(p.score))),
            borderColor: "#1d4ed8",
            backgroundColor: "#1d4ed8",
            spanGaps: true,
          },
        ],
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: { y: { min: 0, max: 100 } },
      },
    });
    canvas.dataset.loaded = "1";
  }
  load().catch((err) => console.warn("trend failed", err));
})();
