// Behaviour every page shares, kept out of the HTML (the Content-Security-Policy allows no
// inline script or on*= attribute): the language menu switches as soon as it changes, and
// [data-print] buttons print the page.
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fn);
    else fn();
  }
  ready(function () {
    for (const select of document.querySelectorAll("form.lang select[name=language]")) {
      select.addEventListener("change", function () { select.form.submit(); });
    }
    for (const button of document.querySelectorAll("[data-print]")) {
      button.addEventListener("click", function () { window.print(); });
    }
  });
})();
