// Autosaved drafts for the editor: while someone types, save their text as a server-side
// draft, at most one request every 3 s (the server skips faster ones and says when to retry).
// Also: restore / discard an offered draft without a reload, and keep working across an
// expired session (the draft token still stores the text; log in again in another tab).
(function () {
  "use strict";
  var token = document.getElementById("draft-token");
  var form = token && token.form;
  if (!form) return;
  var body = form.querySelector("textarea[name=body]");
  var summary = form.querySelector("[name=summary]");
  var baseRev = form.querySelector("[name=base_rev]");
  var status = document.getElementById("draft-status");
  var offer = document.getElementById("draft-offer");
  var INTERVAL = 3000; // the server accepts one autosave per 3 s per editor
  var SETTLE = 1200; // wait for a short pause in typing before the first save

  var paused = token.dataset.paused === "1";
  var dirty = false;
  var timer = null;
  var inflight = null; // the Promise of the request on its way
  var lastSent = 0;
  var initial = body.value; // the text the editor opened with: nothing to keep yet
  var lastSaved = initial;
  var submitting = false;
  var expired = false;

  // Text typed while logged out never goes to the server: it waits in this tab's
  // sessionStorage (gone when the tab closes) and comes back in the editor after log-in.
  var KEEP = "nexus-kept-text:" + (token.dataset.keepKey || "");
  function stash() {
    try {
      sessionStorage.setItem(KEEP, JSON.stringify({
        body: body.value, summary: summary ? summary.value : "",
        base_rev: baseRev ? baseRev.value : "", at: Date.now(),
      }));
    } catch (e) { /* storage full or disabled: the text is still on screen */ }
  }
  function takeKept() {
    try {
      var kept = JSON.parse(sessionStorage.getItem(KEEP) || "null");
      sessionStorage.removeItem(KEEP);
      return kept && kept.body && Date.now() - kept.at < 86400000 ? kept : null;
    } catch (e) { return null; }
  }

  function csrf() {
    var meta = document.querySelector("meta[name=csrf-token]");
    return meta ? meta.getAttribute("content") : "";
  }

  function say(text, cls) {
    if (!status) return;
    status.textContent = text;
    status.className = "draft-status " + (cls || "muted");
  }

  function schedule(delay) {
    if (timer || paused || submitting) return;
    timer = setTimeout(function () {
      timer = null;
      save(false);
    }, Math.max(delay, 0));
  }

  function nextDelay() {
    return Math.max(SETTLE, lastSent + INTERVAL - Date.now());
  }

  function payload() {
    var data = new URLSearchParams();
    data.set("body", body.value);
    data.set("summary", summary ? summary.value : "");
    data.set("base_rev", baseRev ? baseRev.value : "");
    data.set("draft_token", token.value);
    // A section editor's draft is stored as the whole page (the server splices it in).
    if (form.dataset.section) data.set("section", form.dataset.section);
    return data;
  }

  function save(final) {
    if (paused || submitting || !dirty) return;
    if (inflight) { schedule(INTERVAL); return; }
    var sent = body.value;
    lastSent = Date.now();
    dirty = false;
    inflight = fetch(token.dataset.saveUrl, {
      method: "POST",
      headers: { "X-CSRFToken": csrf(), "Accept": "application/json" },
      body: payload(),
      credentials: "same-origin",
      keepalive: final && sent.length < 60000, // browsers cap keepalive bodies at 64 KiB
    })
      .then(function (r) {
        return r.json().then(function (json) { return { code: r.status, json: json }; });
      })
      .then(function (res) { handle(res.code, res.json, sent); })
      .catch(function () {
        dirty = true;
        say("Couldn't reach the server to save a draft; your text is still here. Retrying…", "draft-warning");
        schedule(INTERVAL * 2);
      })
      .then(function () { inflight = null; });
  }

  function handle(code, json, sent) {
    var st = json.status;
    if (st === "saved" || st === "unchanged") {
      lastSaved = sent;
      if (body.value !== sent) dirty = true;
      if (json.session === "expired") loggedOut(true);
      else if (!expired) say(st === "saved" ? "Draft saved " + json.saved_at + "." : "");
    } else if (st === "skipped") {
      dirty = true;
      lastSent = Date.now();
      schedule(Math.ceil((json.retry_after || 1) * 1000) + 50);
      return;
    } else if (st === "logged_out" || st === "expired") {
      dirty = true;
      loggedOut(false);
      return;
    } else {
      say(json.message || "The draft could not be saved.", "draft-warning");
      return; // 403 / 413 / 400: retrying the same text would fail the same way
    }
    if (dirty) schedule(nextDelay());
  }

  // The session ended: say so, keep the text, and pick up fresh tokens once the user
  // has logged in again (in another tab).
  function loggedOut(kept) {
    expired = true;
    stash();
    if (!status) return;
    status.textContent = "";
    status.className = "draft-status draft-warning";
    status.appendChild(document.createTextNode(
      "You are logged out. " + (kept ? "Your text is still kept as a draft. " : "Your text is still here. ")));
    var a = document.createElement("a");
    a.href = token.dataset.loginUrl;
    a.target = "_blank";
    a.rel = "noopener";
    a.textContent = "Log in again in a new tab";
    status.appendChild(a);
    status.appendChild(document.createTextNode(", then come back here to save."));
  }

  function refreshTokens() {
    if (!expired) return;
    fetch(token.dataset.tokenUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (json) {
        if (!json || json.status !== "ok") return;
        expired = false;
        token.value = json.draft_token;
        var meta = document.querySelector("meta[name=csrf-token]");
        if (meta) meta.setAttribute("content", json.csrf_token);
        var field = form.querySelector("input[name=csrf_token]");
        if (field) field.value = json.csrf_token;
        say("You are logged in again. You can save now.");
        if (dirty) schedule(0);
      })
      .catch(function () {});
  }
  window.addEventListener("focus", refreshTokens);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") refreshTokens();
    else if (dirty && !submitting) save(true);
  });
  setInterval(refreshTokens, 20000);

  if (token.dataset.loggedOut === "1") {
    stash();
    body.addEventListener("input", stash);
  } else {
    var kept = takeKept();
    if (kept && kept.body !== body.value) {
      body.value = kept.body;
      if (summary) summary.value = kept.summary || "";
      if (baseRev && kept.base_rev) baseRev.value = kept.base_rev;
      dirty = true;
      say("The text you typed before logging in is back. Save to keep it.", "draft-warning");
      body.dispatchEvent(new Event("input", { bubbles: true })); // refresh the preview
      schedule(nextDelay());
    }
  }

  body.addEventListener("input", function () {
    dirty = body.value !== lastSaved;
    if (paused) {
      if (offer) offer.classList.add("draft-attention");
      say("Autosave is paused: restore or discard your earlier draft first.", "draft-warning");
      return;
    }
    if (dirty) schedule(nextDelay());
  });
  if (summary) summary.addEventListener("input", function () { dirty = true; schedule(nextDelay()); });
  window.addEventListener("pagehide", function () { if (dirty && !submitting) save(true); });

  // Saving the page deletes the draft on the server: no autosave may land after it.
  form.addEventListener("submit", function (e) {
    submitting = true;
    clearTimeout(timer);
    timer = null;
    if (!inflight) return;
    e.preventDefault();
    var submitter = e.submitter;
    inflight.then(function () {
      if (form.requestSubmit) form.requestSubmit(submitter || undefined); else form.submit();
    });
    inflight = null;
  });

  function resume(text, saved) {
    paused = false;
    lastSaved = saved;
    dirty = body.value !== saved;
    if (offer) offer.remove();
    say(text);
    if (dirty) schedule(nextDelay());
  }

  var restore = document.getElementById("draft-restore");
  if (restore && !form.dataset.section) { // a section editor restores into the whole-page one
    restore.addEventListener("click", function (e) {
      e.preventDefault();
      fetch(token.dataset.loadUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (json) {
          if (json.status !== "ok") { window.location = restore.href; return; }
          body.value = json.body;
          if (summary) summary.value = json.summary || "";
          if (baseRev) baseRev.value = json.base_rev ? String(json.base_rev) : "";
          resume("Restored your draft from " + json.updated_at +
            (json.base_rev ? " (based on revision " + json.base_rev + ")." : "."), json.body);
          body.dispatchEvent(new Event("input", { bubbles: true })); // refresh the preview
          body.focus();
        })
        .catch(function () { window.location = restore.href; });
    });
  }

  var discard = document.getElementById("draft-discard-form");
  if (discard && paused) {
    discard.addEventListener("submit", function (e) {
      e.preventDefault();
      fetch(discard.action, {
        method: "POST",
        headers: { "X-CSRFToken": csrf(), "Accept": "application/json" },
        body: new URLSearchParams(new FormData(discard)),
        credentials: "same-origin",
      })
        .then(function (r) {
          if (!r.ok) throw new Error(String(r.status));
          resume("Draft discarded.", initial);
        })
        .catch(function () { discard.submit(); });
    });
  }
})();
