// Editor: debounced live preview through POST /preview, the preview scrolling with the text,
// and Ctrl+S / Cmd+S to save.
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
    data.set("card", "1"); // the front-matter card as the saved page shows it
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
          var staticCard = document.getElementById("preview-card"); // the no-JS preview's card
          if (staticCard) staticCard.remove();
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

  // Keep the preview at the same relative place as the text: the heading the textarea shows
  // at its top is lined up with the same heading in the preview, proportionally between two.
  var pane = preview.closest(".preview-pane") || preview;
  var syncing = false;
  function headingLines() {
    var lines = textarea.value.split("\n");
    var found = [];
    var fence = null;
    for (var i = 0; i < lines.length; i++) {
      var f = /^ {0,3}(`{3,}|~{3,})/.exec(lines[i]);
      if (fence) { if (f && f[1][0] === fence[0]) fence = null; continue; }
      if (f) { fence = f[1]; continue; }
      if (/^#{1,6}(?!#)/.test(lines[i])) found.push(i);
    }
    return { marks: found, total: Math.max(lines.length, 1) };
  }
  function syncScroll() {
    if (syncing) return;
    syncing = true;
    requestAnimationFrame(function () {
      syncing = false;
      var maxText = textarea.scrollHeight - textarea.clientHeight;
      var maxPane = pane.scrollHeight - pane.clientHeight;
      if (maxText <= 0 || maxPane <= 0) return;
      var ratio = textarea.scrollTop / maxText;
      var info = headingLines();
      var topLine = ratio * info.total;
      var heads = preview.querySelectorAll("h1, h2, h3, h4, h5, h6");
      var target = ratio * maxPane;
      if (heads.length === info.marks.length && heads.length) {
        // Between heading k (at line a, offset A) and k+1 (line b, offset B): interpolate.
        var base = pane.getBoundingClientRect().top - pane.scrollTop;
        var points = [[0, 0]];
        for (var k = 0; k < heads.length; k++) {
          points.push([info.marks[k], heads[k].getBoundingClientRect().top - base]);
        }
        points.push([info.total, pane.scrollHeight]);
        for (var j = 0; j < points.length - 1; j++) {
          if (topLine >= points[j][0] && topLine <= points[j + 1][0]) {
            var span = points[j + 1][0] - points[j][0] || 1;
            target = points[j][1] + (points[j + 1][1] - points[j][1]) * (topLine - points[j][0]) / span;
            break;
          }
        }
      }
      if (ratio >= 0.999) target = maxPane;
      pane.scrollTop = Math.max(0, Math.min(maxPane, target));
    });
  }
  textarea.addEventListener("scroll", syncScroll);
  preview.addEventListener("preview:updated", syncScroll);

  document.addEventListener("keydown", function (e) {
    if ((e.ctrlKey || e.metaKey) && (e.key === "s" || e.key === "S")) {
      e.preventDefault();
      var save = form.querySelector("[name=save]");
      if (form.requestSubmit) form.requestSubmit(save); else save.click();
    }
  });
})();
