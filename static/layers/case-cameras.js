// The case page's nearest public cameras: a list by distance (state, direction), pins on the
// case map, and the player for the one picked. Needs dispatch/case.js (Wangge.casePage).
(function () {
  "use strict";
  const W = window.Wangge;
  const NS = window.WanggeLayers;
  const box = document.getElementById("case-cameras");
  if (!box || !W || !W.casePage || !NS) return;
  const T = JSON.parse(document.getElementById("case-cameras-i18n").textContent);
  const list = document.getElementById("camera-list");
  const stage = document.getElementById("camera-stage");
  let loadedFor = null;
  let pins = null;
  let player = null;

  function metres(value) {
    return value < 1000 ? Math.round(value) + " " + T.m : (value / 1000).toFixed(2) + " " + T.km;
  }

  function play(camera, button) {
    if (player) player.destroy();
    for (const b of list.querySelectorAll("button")) b.setAttribute("aria-pressed", "false");
    if (button) button.setAttribute("aria-pressed", "true");
    player = NS.player(stage, camera, T, { workerPath: box.dataset.worker });
  }

  function draw(cameras, map) {
    list.textContent = "";
    if (!cameras.length) {
      list.appendChild(NS.el("li", "muted", T.none));
      return;
    }
    if (map) {
      if (!pins) pins = L.layerGroup().addTo(map);
      pins.clearLayers();
    }
    for (const camera of cameras) {
      const li = NS.el("li");
      const button = NS.el("button");
      button.type = "button";
      button.dataset.camera = camera.code;
      button.dataset.testid = "camera-" + camera.code;
      button.setAttribute("aria-pressed", "false");
      button.appendChild(NS.el("b", null, camera.name));
      button.appendChild(NS.el("span", "muted", metres(camera.distance_m) + " · " + camera.state_label));
      button.addEventListener("click", () => play(camera, button));
      li.appendChild(button);
      list.appendChild(li);
      if (pins) {
        L.marker([camera.lat, camera.lon], {
          icon: L.divIcon({ className: "camera-pin", html: "<i></i>", iconSize: [20, 20] }),
          title: camera.name,
        }).on("click", () => play(camera, button)).addTo(pins);
      }
    }
  }

  W.casePage.onRender((data, map) => {
    const point = data.point && data.point.coordinates;
    if (!point) return;
    const key = point.join(",");
    if (key === loadedFor) return;
    loadedFor = key;
    const url = box.dataset.api + "?near=" + point[0].toFixed(6) + "," + point[1].toFixed(6) + "&n=" + box.dataset.n;
    W.api(url).then((res) => {
      if (!res.ok) { list.textContent = ""; list.appendChild(NS.el("li", "error", T.failed)); return; }
      draw(res.data.results, map);
      box.dataset.loaded = "1";
    });
  });
})();
