// The admin's layer import: poll the job and move the bar; reload when it has finished.
(function () {
  "use strict";
  const box = document.getElementById("import-progress");
  if (!box) return;
  const bar = document.getElementById("import-bar");
  const count = document.getElementById("import-count");
  async function poll() {
    let job;
    try {
      const res = await fetch(box.dataset.status, { credentials: "same-origin" });
      job = await res.json();
    } catch (err) {
      setTimeout(poll, 2000);
      return;
    }
    if (!["queued", "checking", "importing"].includes(job.state)) { window.location.reload(); return; }
    bar.max = Math.max(job.total, 1);
    bar.value = job.done;
    box.dataset.state = job.state;
    if (job.total) {
      count.textContent = (job.label ? job.label + ": " : "") + job.done + " / " + job.total +
        " (" + Math.floor(100 * job.done / job.total) + " %)";
    }
    setTimeout(poll, 1000);
  }
  setTimeout(poll, 500);
})();
