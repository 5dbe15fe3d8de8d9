// Editor: load Mermaid and KaTeX only once the live preview contains a diagram or a formula.
// The script URLs come from this tag's data attributes; the *_init.js files do the drawing
// (now and after each "preview:updated").
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) return;
  var urls = script.dataset;
  var loaded = {};

  function addScript(src) {
    var el = document.createElement("script");
    el.src = src;
    el.async = false; // dynamically added scripts then run in the order they were added
    document.head.appendChild(el);
  }

  function addStyle(href) {
    var el = document.createElement("link");
    el.rel = "stylesheet";
    el.href = href;
    document.head.appendChild(el);
  }

  function check(root) {
    if (!root || !root.querySelector) return;
    if (!loaded.mermaid && root.querySelector("pre.mermaid")) {
      loaded.mermaid = true;
      addScript(urls.mermaid);
      addScript(urls.mermaidInit);
    }
    if (!loaded.katex && root.querySelector(".arithmatex")) {
      loaded.katex = true;
      addStyle(urls.katexCss);
      addScript(urls.katex);
      addScript(urls.katexInit);
    }
  }

  document.addEventListener("preview:updated", function (event) {
    check(event.target);
  });
  check(document.getElementById("live-preview"));
})();
