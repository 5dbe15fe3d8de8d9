// Typesets math with the vendored KaTeX. The renderer (pymdown arithmatex, generic mode)
// emits <span class="arithmatex">\(…\)</span> for $…$ and <div class="arithmatex">\[…\]</div>
// for $$…$$; the TeX arrives as escaped text, so it is read back with textContent.
(function () {
  "use strict";
  var katex = window.katex;
  if (!katex) return;

  function texOf(el) {
    var text = el.textContent.trim();
    var inline = /^\\\(([\s\S]*)\\\)$/.exec(text);
    if (inline) return { tex: inline[1], display: false };
    var block = /^\\\[([\s\S]*)\\\]$/.exec(text);
    if (block) return { tex: block[1], display: true };
    return { tex: text, display: el.tagName === "DIV" };
  }

  function render(root) {
    var nodes = root.querySelectorAll(".arithmatex:not([data-katex])");
    Array.prototype.forEach.call(nodes, function (el) {
      var math = texOf(el);
      el.setAttribute("data-katex", "done");
      try {
        // trust stays false: no \href to javascript:, no \htmlData, no raw HTML.
        katex.render(math.tex, el, { displayMode: math.display, throwOnError: false });
      } catch (e) {
        el.setAttribute("data-katex", "failed"); // the source stays visible
      }
    });
  }

  render(document);
  document.addEventListener("preview:updated", function (event) {
    render(event.target instanceof Element ? event.target : document);
  });
})();
