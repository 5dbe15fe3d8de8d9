// Turns ```mermaid blocks (escaped source in <pre class="mermaid">) into diagrams with the
// vendored Mermaid. Loaded only on pages that have a diagram, and lazily in the editor, where
// it also redraws the live preview after each update. securityLevel "strict": diagram text
// is sanitized and click callbacks are disabled, so a diagram can never run script.
(function () {
  "use strict";
  var mermaid = window.mermaid;
  if (!mermaid) return;
  var dark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
  mermaid.initialize({
    startOnLoad: false,
    securityLevel: "strict",
    theme: dark ? "dark" : "default",
  });

  function render(root) {
    var nodes = Array.prototype.slice.call(
      root.querySelectorAll("pre.mermaid:not([data-processed])")
    );
    if (!nodes.length) return;
    // suppressErrors: a broken diagram shows Mermaid's error graphic, not an uncaught error.
    Promise.resolve(mermaid.run({ nodes: nodes, suppressErrors: true })).catch(function () {});
  }

  render(document);
  document.addEventListener("preview:updated", function (event) {
    render(event.target instanceof Element ? event.target : document);
  });
})();
