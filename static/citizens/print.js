// The resident list's print button (no inline handlers: CSP).
(function () {
  "use strict";
  const button = document.getElementById("print-now");
  if (button) button.addEventListener("click", () => window.print());
})();
