// Dates as the command centre reads them: YYYY-MM-DD HH:mm in the deployment's time zone
// (Beijing time), whatever the browser's locale or zone.
window.WanggeTime = (function () {
  "use strict";
  const cache = {};
  function formatter(zone) {
    if (!cache[zone]) {
      cache[zone] = new Intl.DateTimeFormat("en-GB", {
        timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit",
        hour: "2-digit", minute: "2-digit", hourCycle: "h23",
      });
    }
    return cache[zone];
  }
  function parts(iso, zone) {
    const at = new Date(iso);
    if (isNaN(at)) return null;
    const out = {};
    for (const part of formatter(zone || "Asia/Shanghai").formatToParts(at)) out[part.type] = part.value;
    return out;
  }
  function dateTime(iso, zone) {
    const p = iso ? parts(iso, zone) : null;
    return p ? p.year + "-" + p.month + "-" + p.day + " " + p.hour + ":" + p.minute : "";
  }
  function date(iso, zone) {
    const p = iso ? parts(iso, zone) : null;
    return p ? p.year + "-" + p.month + "-" + p.day : "";
  }
  return { dateTime: dateTime, date: date };
})();
