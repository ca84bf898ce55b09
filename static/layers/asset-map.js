// The asset page's small map: where the component stands.
(function () {
  "use strict";
  const box = document.getElementById("asset-map");
  if (!box || !window.L) return;
  const ll = [parseFloat(box.dataset.lat), parseFloat(box.dataset.lon)];
  const map = L.map(box, { maxZoom: 19 }).setView(ll, 17);
  L.circleMarker(ll, { radius: 9, color: "#fff", weight: 2, fillColor: "#0f766e", fillOpacity: 0.95 })
    .bindTooltip(box.dataset.name).addTo(map);
})();
