// Editor: paste or drop files into the Content box. Each file is uploaded to the page's files
// (POST /files/<title>, X-CSRFToken header, JSON answer) and a Markdown link is inserted where
// the cursor was: ![](name) for images, [name](name) for other files.
//
// A page that has never been saved has nowhere to keep files, and creating it just to hold an
// upload would publish an empty page, so for a new page the script only says "save first".
(function () {
  "use strict";
  var script = document.currentScript;
  var form = document.getElementById("editor-form");
  if (!form || !script) return;
  var textarea = form.querySelector("textarea[name=body]");
  var uploadUrl = script.dataset.uploadUrl;
  var pageExists = script.dataset.pageExists === "true";
  var maxBytes = parseInt(script.dataset.maxBytes, 10) || 0;
  // Absent when logged out (the editor shown again after the session ended).
  var csrf = (document.querySelector("meta[name=csrf-token]") || { content: "" }).content;

  var status = document.createElement("p");
  status.className = "upload-status";
  status.id = "upload-status";
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");
  textarea.insertAdjacentElement("afterend", status);

  function say(text, isError) {
    status.textContent = text;
    status.classList.toggle("is-error", !!isError);
  }

  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  // Browsers name every pasted screenshot "image.png": give each a dated name instead.
  function uploadName(file) {
    var name = file.name || "";
    if (name && !/^image\.(png|jpe?g|gif|webp)$/i.test(name)) return name;
    var ext = ((file.type || "").split("/")[1] || "png").replace("jpeg", "jpg");
    var d = new Date();
    return "pasted-" + d.getFullYear() + pad(d.getMonth() + 1) + pad(d.getDate()) + "-" +
      pad(d.getHours()) + pad(d.getMinutes()) + pad(d.getSeconds()) + "." + ext;
  }

  function changed() {
    textarea.dispatchEvent(new Event("input", { bubbles: true })); // refreshes the preview
  }

  function insertAtCursor(text) {
    textarea.focus();
    textarea.setRangeText(text, textarea.selectionStart, textarea.selectionEnd, "end");
    changed();
  }

  function replacePlaceholder(placeholder, text) {
    var at = textarea.value.indexOf(placeholder);
    if (at < 0) {
      if (text) insertAtCursor(text); // the placeholder was edited away: keep the link anyway
      return;
    }
    // Keep the user's cursor where it was (typing may have continued during the upload).
    var stop = at + placeholder.length;
    var delta = text.length - placeholder.length;
    var adjust = function (pos) {
      return pos >= stop ? pos + delta : pos > at ? at + text.length : pos;
    };
    var start = adjust(textarea.selectionStart);
    var end = adjust(textarea.selectionEnd);
    textarea.setRangeText(text, at, stop);
    textarea.setSelectionRange(start, end);
    changed();
  }

  function upload(file, last) {
    if (maxBytes && file.size > maxBytes) {
      say("“" + file.name + "” is larger than the " + Math.round(maxBytes / 1048576) +
        " MB upload limit.", true);
      return;
    }
    var name = uploadName(file);
    var placeholder = "[Uploading " + name + "…]";
    insertAtCursor(placeholder + (last ? "" : "\n"));
    say("Uploading " + name + "…");
    var data = new FormData();
    data.append("file", file, name);
    data.append("unique", "y"); // a new name rather than a new version of another file
    fetch(uploadUrl, {
      method: "POST",
      headers: { "X-CSRFToken": csrf, Accept: "application/json" },
      body: data,
      credentials: "same-origin",
    })
      .then(function (r) {
        return r.json()
          .catch(function () { return { message: "The upload failed (" + r.status + ")." }; })
          .then(function (body) { return { ok: r.ok, body: body }; });
      })
      .then(function (res) {
        if (!res.ok) {
          replacePlaceholder(placeholder, "");
          say(res.body.message || "The upload failed.", true);
          return;
        }
        replacePlaceholder(placeholder, res.body.markdown);
        say("Uploaded " + res.body.name + ".");
      })
      .catch(function () {
        replacePlaceholder(placeholder, "");
        say("The upload failed: the server could not be reached.", true);
      });
  }

  function handle(files) {
    if (!pageExists) {
      say("Save the page first, then paste or drop files: they are stored with the page.", true);
      return;
    }
    files.forEach(function (file, i) { upload(file, i === files.length - 1); });
  }

  function filesOf(transfer) {
    return transfer && transfer.files ? Array.prototype.slice.call(transfer.files) : [];
  }

  function hasFiles(transfer) {
    return !!transfer && Array.prototype.indexOf.call(transfer.types || [], "Files") >= 0;
  }

  textarea.addEventListener("paste", function (event) {
    var clip = event.clipboardData;
    var files = filesOf(clip);
    // Office apps put a picture of the copied cells next to the text: the text wins then.
    if (!files.length || (clip.getData("text/plain") || "").trim()) return;
    event.preventDefault();
    handle(files);
  });
  textarea.addEventListener("dragover", function (event) {
    if (!hasFiles(event.dataTransfer)) return;
    event.preventDefault();
    textarea.classList.add("drop-target");
  });
  textarea.addEventListener("dragleave", function () {
    textarea.classList.remove("drop-target");
  });
  textarea.addEventListener("drop", function (event) {
    textarea.classList.remove("drop-target");
    var files = filesOf(event.dataTransfer);
    if (!files.length) return;
    event.preventDefault();
    handle(files);
  });
})();
