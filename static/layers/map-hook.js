// Puts the layer panel on the dashboard's live map (dispatch/map.js leaves it in Wangge.liveMap).
(function () {
  "use strict";
  const element = document.getElementById("layer-panel");
  const map = window.Wangge && window.Wangge.liveMap;
  if (!element || !map || !window.WanggeLayers) return;
  window.WanggeLayers.attachToMap(map, element, {
    api: element.dataset.api,
    workerPath: element.dataset.worker,
    strings: JSON.parse(document.getElementById("layer-panel-i18n").textContent),
  });
})();
