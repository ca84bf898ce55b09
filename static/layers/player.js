// A camera's player: its name, state and direction, and the live HLS stream through hls.js
// (vendored; its worker is loaded from our own origin), or, without a stream, the snapshot or a
// plain "no live stream" card. Everything is built with DOM nodes (no HTML strings).
//   WanggeLayers.player(container, camera, strings, {workerPath}) -> {destroy()}
(function () {
  "use strict";
  const NS = (window.WanggeLayers = window.WanggeLayers || {});

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = text;
    return node;
  }

  NS.el = el;

  NS.player = function (container, camera, T, options) {
    const opts = options || {};
    let hls = null;
    container.textContent = "";
    const box = el("div", "camera-player");
    box.dataset.camera = camera.code;
    box.dataset.state = camera.state;
    const head = el("div", "camera-head");
    head.appendChild(el("b", null, camera.name));
    head.appendChild(el("span", "camera-state state-" + camera.state, camera.state_label));
    box.appendChild(head);
    const facts = [];
    if (camera.place) facts.push(camera.place);
    if (camera.direction_deg != null) facts.push(T.direction + " " + camera.direction_deg + "°");
    if (camera.owner) facts.push(camera.owner);
    if (facts.length) box.appendChild(el("p", "muted camera-facts", facts.join(" · ")));
    const screen = el("div", "camera-screen");
    box.appendChild(screen);
    const message = el("p", "camera-message muted");
    message.hidden = true;
    box.appendChild(message);
    container.appendChild(box);

    function still(text) {
      screen.textContent = "";
      screen.classList.add("no-stream");
      if (camera.snapshot_url) {
        const img = el("img", "camera-snapshot");
        img.alt = T.snapshot + " · " + camera.name;
        img.src = camera.snapshot_url;
        img.addEventListener("error", () => img.remove());
        screen.appendChild(img);
      }
      screen.appendChild(el("span", "camera-no-stream", text));
      box.dataset.playing = "no";
    }

    if (!camera.stream_url) {
      still(T.no_stream);
      return { destroy: () => {} };
    }
    const video = el("video", "camera-video");
    video.muted = true;  // autoplay is allowed muted; cameras have no sound worth hearing
    video.playsInline = true;
    video.controls = true;
    video.setAttribute("aria-label", camera.name);
    screen.appendChild(video);
    video.addEventListener("playing", () => { box.dataset.playing = "yes"; });

    function failed() {
      message.textContent = T.stream_failed;
      message.hidden = false;
      box.dataset.playing = "failed";
    }

    if (window.Hls && window.Hls.isSupported()) {
      hls = new window.Hls({ workerPath: opts.workerPath, enableWorker: !!opts.workerPath, lowLatencyMode: true });
      hls.on(window.Hls.Events.ERROR, (event, data) => {
        if (data && data.fatal) { failed(); hls.destroy(); hls = null; }
      });
      hls.on(window.Hls.Events.MANIFEST_PARSED, () => { video.play().catch(() => {}); });
      hls.loadSource(camera.stream_url);
      hls.attachMedia(video);
    } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
      video.src = camera.stream_url;  // Safari plays HLS itself
      video.addEventListener("error", failed);
      video.play().catch(() => {});
    } else {
      failed();
    }
    return {
      destroy: () => {
        if (hls) hls.destroy();
        video.removeAttribute("src");
        video.load();
      },
    };
  };
})();
