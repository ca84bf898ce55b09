// The registry import page in the admin: while a check or an import runs, poll its state
// and move the progress bar; reload when it is done.
(function () {
  "use strict";
  const box = document.getElementById("import-progress");
  if (!box) return;
  const bar = document.getElementById("import-bar");
  const count = document.getElementById("import-count");
  async function poll() {
    const res = await fetch(box.dataset.status, { credentials: "same-origin" });
    const job = await res.json();
    if (!["queued", "checking", "importing"].includes(job.state)) { window.location.reload(); return; }
    bar.max = Math.max(job.total, 1);
    bar.value = job.done;
    box.dataset.state = job.state;
    if (job.total) count.textContent = job.done + " / " + job.total + " (" + Math.floor(100 * job.done / job.total) + " %)";
    setTimeout(poll, 1000);
  }
  setTimeout(poll, 500);
})();
