// Editor: debounced live preview through POST /preview, and Ctrl+S / Cmd+S to save.
(function () {
  "use strict";
  var form = document.getElementById("editor-form");
  if (!form) return;
  var textarea = form.querySelector("textarea[name=body]");
  var preview = document.getElementById("live-preview");
  var timer = null;
  var inflight = null;

  function renderPreview() {
    if (inflight) inflight.abort();
    inflight = new AbortController();
    var data = new URLSearchParams();
    data.set("body", textarea.value);
    data.set("title", form.dataset.title || "");
    fetch(form.dataset.previewUrl, {
      method: "POST",
      // Read the token each time: drafts.js refreshes it after a re-login in another tab.
      headers: {
        "X-CSRFToken": (document.querySelector("meta[name=csrf-token]") || { content: "" }).content,
        "Content-Type": "application/x-www-form-urlencoded",
      },
      body: data,
      signal: inflight.signal,
      credentials: "same-origin",
    })
      .then(function (r) {
        return r.text().then(function (text) { return { ok: r.ok, text: text }; });
      })
      .then(function (res) {
        if (res.ok) {
          preview.innerHTML = res.text; // sanitized by the server's one gate
          preview.dispatchEvent(new CustomEvent("preview:updated", { bubbles: true }));
        } else {
          preview.textContent = res.text;
        }
      })
      .catch(function () {});
  }

  textarea.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(renderPreview, 400);
  });
  if (textarea.value && !preview.querySelector(":not(.muted)")) renderPreview();

  document.addEventListener("keydown", function (e) {
    if ((e.ctrlKey || e.metaKey) && (e.key === "s" || e.key === "S")) {
      e.preventDefault();
      var save = form.querySelector("[name=save]");
      if (form.requestSubmit) form.requestSubmit(save); else save.click();
    }
  });
})();
