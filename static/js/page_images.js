// Page images show the resized display copy of an attachment; a click opens the original
// (reading.js shows it enlarged in place instead, when it runs).
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var img = event.target instanceof Element ? event.target.closest(".markdown-body img") : null;
    if (!img || img.closest("a, .zoom-button")) return;
    var src = img.getAttribute("src") || "";
    if (src.indexOf("/files/") !== 0) return;
    var url = new URL(src, window.location.href);
    url.searchParams.set("original", "1");
    window.location.assign(url.toString());
  });
})();
