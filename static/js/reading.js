// Rendered pages (and the editor's preview): code blocks get their language and a Copy
// button, wide tables and code get a "scroll sideways" hint, image titles become captions and
// images open larger on click.
(function () {
  "use strict";

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.appendChild(area);
      area.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      document.body.removeChild(area);
      if (ok) resolve(); else reject(new Error("copy failed"));
    });
  }

  function language(block) {
    var cls = Array.prototype.find.call(block.classList, function (c) { return c.indexOf("language-") === 0; });
    var name = cls ? cls.slice(9) : "";
    return name === "text" ? "" : name;
  }

  function codeBlocks(scope) {
    var blocks = scope.querySelectorAll(".markdown-body div.highlight, .markdown-body pre:not(.mermaid)");
    Array.prototype.forEach.call(blocks, function (block) {
      if (block.tagName === "PRE" && block.closest("div.highlight, .code-block")) return;
      if (block.closest(".code-block, .arithmatex") || block.dataset.enhanced) return;
      var code = block.querySelector("code") || block;
      block.dataset.enhanced = "1";
      var box = document.createElement("div");
      box.className = "code-block";
      var bar = document.createElement("div");
      bar.className = "code-bar";
      var lang = language(block);
      var label = document.createElement("span");
      label.className = "code-lang";
      label.textContent = lang;
      bar.appendChild(label);
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button small code-copy";
      button.textContent = "Copy";
      button.setAttribute("aria-label", lang ? "Copy " + lang + " code" : "Copy code");
      var status = document.createElement("span");
      status.className = "visually-hidden";
      status.setAttribute("role", "status");
      button.addEventListener("click", function () {
        copyText(code.textContent.replace(/\n$/, "")).then(function () {
          button.textContent = "Copied";
          button.classList.add("copied");
          status.textContent = "Code copied to the clipboard";
        }, function () {
          button.textContent = "Copy failed";
          status.textContent = "Could not copy: select the code and copy it by hand";
        });
        setTimeout(function () {
          button.textContent = "Copy";
          button.classList.remove("copied");
          status.textContent = "";
        }, 2000);
      });
      bar.appendChild(button);
      bar.appendChild(status);
      block.parentNode.insertBefore(box, block);
      box.appendChild(bar);
      box.appendChild(block);
    });
  }

  // A box that scrolls sideways can be scrolled with the keyboard and says so.
  function scrollHints(scope) {
    var boxes = scope.querySelectorAll(".markdown-body table, .markdown-body pre");
    Array.prototype.forEach.call(boxes, function (box) {
      var wide = box.scrollWidth > box.clientWidth + 1;
      var hint = box.nextElementSibling;
      var has = hint && hint.classList.contains("scroll-hint");
      box.classList.toggle("is-scrollable", wide);
      if (wide && !has) {
        box.tabIndex = 0;
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", (box.tagName === "TABLE" ? "Table" : "Code") + ", scrolls sideways");
        hint = document.createElement("p");
        hint.className = "scroll-hint";
        hint.setAttribute("aria-hidden", "true");
        hint.textContent = "Scroll sideways for more →";
        box.parentNode.insertBefore(hint, box.nextSibling);
      } else if (!wide && has) {
        hint.remove();
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
      }
    });
  }

  var dialog = null;
  function lightbox() {
    if (dialog) return dialog;
    dialog = document.createElement("dialog");
    dialog.className = "lightbox";
    dialog.setAttribute("aria-label", "Enlarged image");
    var bar = document.createElement("div");
    bar.className = "lightbox-bar";
    var caption = document.createElement("span");
    caption.className = "lightbox-caption";
    var close = document.createElement("button");
    close.type = "button";
    close.className = "button small";
    close.textContent = "Close";
    close.addEventListener("click", function () { dialog.close(); });
    bar.appendChild(caption);
    bar.appendChild(close);
    var img = document.createElement("img");
    img.alt = "";
    dialog.appendChild(bar);
    dialog.appendChild(img);
    dialog.addEventListener("click", function (e) { if (e.target === dialog) dialog.close(); });
    document.body.appendChild(dialog);
    return dialog;
  }

  function images(scope) {
    var imgs = scope.querySelectorAll(".markdown-body img:not([data-enhanced])");
    Array.prototype.forEach.call(imgs, function (img) {
      img.dataset.enhanced = "1";
      if (img.closest("a, button, .katex")) return;
      var title = img.getAttribute("title");
      var target = img;
      var parent = img.parentNode;
      // An image alone in its paragraph with a title is a figure with that caption.
      if (title && parent.tagName === "P" && parent.childNodes.length === 1) {
        var figure = document.createElement("figure");
        figure.className = "image-figure";
        var caption = document.createElement("figcaption");
        caption.textContent = title;
        parent.parentNode.replaceChild(figure, parent);
        figure.appendChild(img);
        figure.appendChild(caption);
        img.removeAttribute("title");
      }
      var button = document.createElement("button");
      button.type = "button";
      button.className = "zoom-button";
      button.setAttribute("aria-label", "Enlarge image" + (img.alt ? ": " + img.alt : ""));
      target.parentNode.insertBefore(button, target);
      button.appendChild(target);
      button.addEventListener("click", function () {
        var box = lightbox();
        var big = box.querySelector("img");
        var url = new URL(img.currentSrc || img.src, window.location.href);
        // An attachment's page copy is resized: the enlarged view shows the original.
        if (url.origin === window.location.origin && url.pathname.indexOf("/files/") === 0) {
          url.searchParams.set("original", "1");
        }
        big.src = url.toString();
        big.alt = img.alt;
        box.querySelector(".lightbox-caption").textContent = title || img.alt || "";
        box.showModal();
        box.querySelector("button").focus();
      });
    });
  }

  function enhance(scope) {
    codeBlocks(scope);
    images(scope);
    scrollHints(scope);
  }

  enhance(document);
  document.addEventListener("preview:updated", function (e) { enhance(e.target.parentNode || document); });
  var resizeTimer = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () { scrollHints(document); }, 200);
  });
})();
