// Choropleth classes for population figures, shared by the population picture
// (static/citizens/population.js) and any map that colours regions by a registry figure
// (the figures come from GET /api/v1/registry/grids/{code}/stats/, per region below).
// null (a count hidden from this viewer, or no data) is grey: colour is never the only cue,
// so callers also show the value in a tooltip or a table.
window.WanggeChoropleth = (function () {
  "use strict";
  const SWATCHES = ["#eff6ff", "#bfdbfe", "#60a5fa", "#2563eb", "#1e3a8a"];
  const NONE = "#d1d5db";
  // Equal-interval classes over the values shown: at most five, never more than there are
  // distinct values, with whole-number bounds that do not overlap; each band names its
  // swatch (darkest for the highest).
  function classes(values) {
    const known = values.filter((v) => v !== null && v !== undefined);
    if (!known.length) return [];
    const low = Math.min(...known);
    const high = Math.max(...known);
    const count = Math.max(1, Math.min(SWATCHES.length, new Set(known).size));
    const step = (high - low) / count;
    const bands = [];
    let from = low;
    for (let i = 0; i < count; i++) {
      const to = i === count - 1 ? high : Math.floor(low + (i + 1) * step);
      if (to < from) continue;
      bands.push({ from: from, to: to });
      from = to + 1;
    }
    return bands.map((band, i) => Object.assign(band, {
      swatch: bands.length === 1 ? SWATCHES.length - 1 : Math.round((i * (SWATCHES.length - 1)) / (bands.length - 1)),
    }));
  }
  function colourOf(value, scale) {
    if (value === null || value === undefined || !scale.length) return NONE;
    for (const band of scale) if (value <= band.to) return SWATCHES[band.swatch];
    return SWATCHES[scale[scale.length - 1].swatch];
  }
  // A figure of a region's `figures` by key: "persons", "households", … or "kg:<group code>".
  function figureOf(figures, key) {
    if (key.startsWith("kg:")) {
      const group = figures.key_groups.find((g) => g.code === key.slice(3));
      return group ? group.count : null;
    }
    return figures[key];
  }
  return { SWATCHES: SWATCHES, NONE: NONE, classes: classes, colourOf: colourOf, figureOf: figureOf };
})();
