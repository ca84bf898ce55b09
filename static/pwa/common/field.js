// What the field screens use: maps and photos.

// Leaflet is loaded when a screen first shows a map, not before: the login form and the
// lists do not wait for it on a slow network. (It is a classic script: window.L.)
let leafletLoading = null;

export function mapReady(config) {
  if (window.L) return Promise.resolve(window.L);
  if (leafletLoading) return leafletLoading;
  leafletLoading = new Promise((resolve, reject) => {
    const css = document.createElement("link");
    css.rel = "stylesheet";
    css.href = config.leaflet.css;
    document.head.append(css);
    const script = document.createElement("script");
    script.src = config.leaflet.js;
    script.onload = () => resolve(window.L);
    script.onerror = () => {
      leafletLoading = null;
      reject(new Error("leaflet"));
    };
    document.head.append(script);
  });
  return leafletLoading;
}

// Leaflet maps on the dashboard's base-map setting (LEAFLET_CONFIG: tiles, attribution).
// Leaflet is a classic script (window.L), loaded before the app's modules.

export function makeMap(element, config, { zoom, center, interactive = true } = {}) {
  const L = window.L;
  const base = config.map;
  L.Icon.Default.imagePath = "";
  L.Icon.Default.mergeOptions({
    iconUrl: config.marker_icons.icon,
    iconRetinaUrl: config.marker_icons.icon2x,
    shadowUrl: config.marker_icons.shadow,
  });
  const map = L.map(element, {
    center: center || base.center,
    zoom: zoom || base.zoom,
    minZoom: base.min_zoom,
    maxZoom: base.max_zoom,
    zoomControl: interactive,
    dragging: interactive,
    tap: interactive,
    attributionControl: true,
    // No animations: cheaper on a cheap phone, and a screen left mid-animation cannot leave
    // Leaflet working on a removed map.
    zoomAnimation: false,
    fadeAnimation: false,
    markerZoomAnimation: false,
  });
  if (base.tiles) {
    L.tileLayer(base.tiles, {
      maxZoom: base.max_zoom,
      attribution: base.attribution,
      crossOrigin: true,
    }).addTo(map);
  }
  map.attributionControl.setPrefix(false);
  return map;
}

// A round marker with a colour class and a text label for screen readers (never colour
// alone: the list beside the map says the same in words).
export function dot(latlng, { tone = "open", title = "", size = 22 } = {}) {
  const L = window.L;
  return L.marker(latlng, {
    title,
    alt: title,
    keyboard: true,
    icon: L.divIcon({
      className: `map-dot ${tone}`,
      iconSize: [size, size],
      iconAnchor: [size / 2, size / 2],
      html: "",
    }),
  });
}

export function here(latlng, title) {
  const L = window.L;
  return L.circleMarker(latlng, {
    radius: 8,
    color: "#ffffff",
    weight: 3,
    fillColor: "#1d4ed8",
    fillOpacity: 1,
    interactive: false,
    title,
  });
}

// The browser's position once: {lon, lat, accuracy} or null (no permission, no fix).
export function currentPosition(timeout = 10000) {
  return new Promise((resolve) => {
    if (!navigator.geolocation) {
      resolve(null);
      return;
    }
    navigator.geolocation.getCurrentPosition(
      (position) =>
        resolve({
          lon: position.coords.longitude,
          lat: position.coords.latitude,
          accuracy: position.coords.accuracy,
        }),
      () => resolve(null),
      { enableHighAccuracy: true, timeout, maximumAge: 30000 },
    );
  });
}

// --- photos --------------------------------------------------------------------------------
// Photos are made small on the phone before they travel: the longer side at most 1600 px,
// JPEG at quality 0.72 (a 4 MB camera photo becomes ~250 KB), turned upright.

const MAX_SIDE = 1600;
const QUALITY = 0.72;

async function decode(file) {
  if (window.createImageBitmap) {
    try {
      return await createImageBitmap(file, { imageOrientation: "from-image" });
    } catch (error) {
      // Fall through to <img> (older engines, odd formats).
    }
  }
  const url = URL.createObjectURL(file);
  try {
    const image = new Image();
    image.decoding = "async";
    image.src = url;
    await image.decode();
    return image;
  } finally {
    URL.revokeObjectURL(url);
  }
}

export async function compressPhoto(file) {
  const source = await decode(file);
  const width = source.width;
  const height = source.height;
  const scale = Math.min(1, MAX_SIDE / Math.max(width, height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(width * scale));
  canvas.height = Math.max(1, Math.round(height * scale));
  canvas.getContext("2d").drawImage(source, 0, 0, canvas.width, canvas.height);
  if (source.close) source.close();
  const blob = await new Promise((resolve, reject) =>
    canvas.toBlob((b) => (b ? resolve(b) : reject(new Error("toBlob"))), "image/jpeg", QUALITY),
  );
  return { blob, width: canvas.width, height: canvas.height, originalBytes: file.size };
}

// A picker: a camera button and a list of thumbnails with remove buttons. Returns
// {node, photos()}; photos() are the compressed blobs in order.
export function photoPicker({ h, t, label, max = 6, testid = "photos", name = "photos" }) {
  const items = [];
  const list = h("ul", { class: "thumbs", "aria-live": "polite" });
  const input = h("input", {
    type: "file",
    accept: "image/*",
    capture: "environment",
    multiple: true,
    name,
    class: "visually-hidden",
    id: `${testid}-input`,
    "data-testid": `${testid}-input`,
  });
  const status = h("p", { class: "hint", role: "status" });
  const render = () => {
    list.replaceChildren(
      ...items.map((item, index) =>
        h(
          "li",
          {},
          h("img", { src: item.url, alt: t("photo_n", { n: index + 1 }) }),
          h("button", {
            type: "button",
            class: "remove",
            "aria-label": t("remove_photo_n", { n: index + 1 }),
            text: "×",
            onclick: () => {
              URL.revokeObjectURL(item.url);
              items.splice(index, 1);
              render();
            },
          }),
        ),
      ),
    );
    status.textContent = items.length ? t("n_photos", { n: items.length }) : "";
    node.dataset.count = String(items.length);
  };
  input.addEventListener("change", async () => {
    const files = [...input.files].slice(0, Math.max(0, max - items.length));
    input.value = "";
    status.textContent = t("compressing");
    for (const file of files) {
      try {
        const photo = await compressPhoto(file);
        items.push({ ...photo, url: URL.createObjectURL(photo.blob) });
      } catch (error) {
        status.textContent = t("photo_unreadable");
      }
    }
    render();
  });
  const node = h(
    "div",
    { class: "field photo-field", "data-testid": testid },
    h("span", { class: "label", text: label }),
    list,
    h("label", { class: "button secondary camera", for: `${testid}-input` }, t("take_photo")),
    input,
    status,
  );
  node.dataset.count = "0";
  return { node, photos: () => items.map((item) => item.blob), clear: () => { items.length = 0; render(); } };
}
