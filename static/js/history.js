// History pages. Everything works without this script; it only keeps the compare radios
// sensible: a "from" revision must be older than the "to" one, so the radios that would
// make an upside-down pair are hidden (the server swaps such a pair anyway).
(function () {
  "use strict";

  function syncCompareRadios(table) {
    var from = table.querySelector("input.pick-from:checked");
    var to = table.querySelector("input.pick-to:checked");
    var fromValue = from ? Number(from.value) : 0;
    var toValue = to ? Number(to.value) : Infinity;
    table.querySelectorAll("input.pick-from").forEach(function (radio) {
      radio.closest(".pick").classList.toggle("is-hidden", Number(radio.value) >= toValue);
    });
    table.querySelectorAll("input.pick-to").forEach(function (radio) {
      radio.closest(".pick").classList.toggle("is-hidden", Number(radio.value) <= fromValue);
    });
  }

  function setUpHistory() {
    var table = document.querySelector(".hist-table");
    if (!table) {
      return;
    }
    table.addEventListener("change", function (event) {
      if (event.target.matches("input.pick-from, input.pick-to")) {
        syncCompareRadios(table);
      }
    });
    syncCompareRadios(table);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUpHistory);
  } else {
    setUpHistory();
  }
})();
