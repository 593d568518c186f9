/* Progressive enhancements only: every page works without this file. */
(function () {
  "use strict";
  // Live character counters: <textarea data-maxlength="1500" aria-describedby="x-counter">
  document.querySelectorAll("textarea[data-maxlength]").forEach(function (area) {
    var max = parseInt(area.getAttribute("data-maxlength"), 10);
    var out = document.getElementById(area.id + "-counter");
    if (!out) return;
    var update = function () {
      var left = max - area.value.length;
      out.textContent = left >= 0 ? left + " caractère" + (left > 1 ? "s" : "") + " restant" + (left > 1 ? "s" : "")
        : (-left) + " caractère" + (-left > 1 ? "s" : "") + " en trop";
    };
    area.addEventListener("input", update);
    update();
  });
  // Focus the error summary of a form sent back with errors.
  var summary = document.getElementById("form-errors");
  if (summary) summary.focus();
})();
