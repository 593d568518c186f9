/* Live password rules (a progressive enhancement: the rules are also written on the page).
   <input data-password-rules="rules-id"> and <div id="rules-id"><li data-rule="length|lower|upper|digit|special"> */
(function () {
  "use strict";
  var tests = {
    length: function (v) { return v.length >= 12 && v.length <= 128; },
    lower: function (v) { return /\p{Ll}/u.test(v); },
    upper: function (v) { return /\p{Lu}/u.test(v); },
    digit: function (v) { return /\p{Nd}/u.test(v); },
    special: function (v) { return /[^\p{L}\p{N}\s]/u.test(v); }
  };
  document.querySelectorAll("input[data-password-rules]").forEach(function (input) {
    var box = document.getElementById(input.getAttribute("data-password-rules"));
    if (!box) return;
    var update = function () {
      box.querySelectorAll("li[data-rule]").forEach(function (li) {
        var test = tests[li.getAttribute("data-rule")];
        var ok = test ? test(input.value) : false;
        li.classList.toggle("stages-rule--ok", ok);
        li.classList.toggle("fr-icon-check-line", ok);
        var state = li.querySelector(".stages-rule-state");
        if (state) state.textContent = ok ? " : respecté" : " : manquant";
      });
    };
    input.addEventListener("input", update);
    update();
  });
})();
