// Progressive enhancement only: without this file the page is still the record, printed with Ctrl+P.
(function () {
  var buttons = document.querySelectorAll("[data-print]");
  if (!buttons.length || typeof window.print !== "function") return;
  Array.prototype.forEach.call(buttons, function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
  var hint = document.querySelector(".print-hint");
  if (hint) hint.hidden = true;
})();
