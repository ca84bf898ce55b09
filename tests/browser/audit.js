// Runs in the page (tests/browser/phone.py): what a person on a phone would trip over, as a
// list of strings.
() => {
  const problems = [];
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    const s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none';
  };
  const name = (el) => {
    if (el.getAttribute('aria-label')) return el.getAttribute('aria-label');
    if (el.labels && el.labels.length) return [...el.labels].map((l) => l.textContent).join(' ');
    if (el.closest('label')) return el.closest('label').textContent;
    if (el.id) {
      const lab = document.querySelector(`label[for="${CSS.escape(el.id)}"]`);
      if (lab) return lab.textContent;
    }
    const legend = el.closest('fieldset') && el.closest('fieldset').querySelector('legend');
    return (el.textContent || el.value || el.getAttribute('title') || (legend && legend.textContent) || '').trim();
  };
  const inMap = (el) => Boolean(el.closest('.leaflet-container'));
  for (const el of document.querySelectorAll('input, textarea, select, button, a[href]')) {
    if (inMap(el)) continue;
    const hiddenInput = el.matches('input.visually-hidden');
    if (!hiddenInput && !visible(el)) continue;
    if (!name(el).trim()) problems.push(`no name: ${el.outerHTML.slice(0, 80)}`);
    if (hiddenInput) continue;
    // Touch targets: the control, or the label that wraps it, at least 44 × 44 CSS px
    // (radio buttons and checkboxes count with their label).
    const target = el.matches('input[type=radio], input[type=checkbox]') ? el.closest('label') || el : el;
    const r = target.getBoundingClientRect();
    if (r.height < 43.5 || (r.width < 43.5 && !el.matches('a.back'))) {
      problems.push(`small target ${Math.round(r.width)}x${Math.round(r.height)}: ${target.outerHTML.slice(0, 80)}`);
    }
  }
  // Contrast of text against the first opaque background behind it (WCAG AA).
  const rgb = (c) => (c.match(/[\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const ground = (el) => {
    for (let node = el; node; node = node.parentElement) {
      const c = rgb(getComputedStyle(node).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0.95)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    if (!el || seen.has(el) || !walker.currentNode.textContent.trim() || inMap(el)) continue;
    seen.add(el);
    if (!visible(el) || el.closest('[hidden], .toast:not(.show), .visually-hidden, .skip')) continue;
    const s = getComputedStyle(el);
    if (parseFloat(s.opacity) < 1) continue;
    const a = lum(rgb(s.color).slice(0, 3));
    const b = lum(ground(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const size = parseFloat(s.fontSize);
    const large = size >= 24 || (size >= 18.66 && parseInt(s.fontWeight, 10) >= 700);
    if (ratio < (large ? 3 : 4.5)) problems.push(`contrast ${ratio.toFixed(2)}: ${el.textContent.trim().slice(0, 40)}`);
  }
  if (document.documentElement.scrollWidth > window.innerWidth + 1) {
    problems.push(`page wider than the screen: ${document.documentElement.scrollWidth}px`);
  }
  return problems;
}
