// Editor keyboard and toolbar: Tab / Shift+Tab indent and outdent (Esc, then Tab, leaves the
// editor, so keyboard users are never trapped), Enter continues lists and keeps indentation,
// a formatting toolbar with Ctrl+B / Ctrl+I / Ctrl+K, and a prompt before leaving with
// unsaved changes (drafts.js keeps the draft either way).
(function () {
  "use strict";
  var form = document.getElementById("editor-form");
  var area = form && form.querySelector("textarea[name=body]");
  if (!area) return;
  var INDENT = "    ";
  var LIST = /^(\s*)([-*+]|(\d+)([.)]))(\s+)(\[[ xX]\]\s+)?/;
  var escaped = false; // Esc was pressed: the next Tab moves focus as usual

  // Replace [start, end) with text through the browser's editing command, so Ctrl+Z undoes it;
  // setRangeText is the fallback where insertText is not supported.
  function replace(start, end, text, selStart, selEnd) {
    area.focus();
    area.setSelectionRange(start, end);
    var done = false;
    try {
      done = text ? document.execCommand("insertText", false, text)
                  : (start === end || document.execCommand("delete"));
    } catch (e) { done = false; }
    if (!done) {
      area.setRangeText(text, start, end, "end");
      area.dispatchEvent(new Event("input", { bubbles: true }));
    }
    area.setSelectionRange(selStart, selEnd === undefined ? selStart : selEnd);
  }

  function lineStart(pos) { return area.value.lastIndexOf("\n", pos - 1) + 1; }
  function lineEnd(pos) {
    var i = area.value.indexOf("\n", pos);
    return i === -1 ? area.value.length : i;
  }

  // The whole lines the selection touches (a selection ending at a line's start leaves it out).
  function selectedLines() {
    var s = area.selectionStart, e = area.selectionEnd;
    if (e > s && area.value[e - 1] === "\n") e -= 1;
    return { start: lineStart(s), end: lineEnd(e) };
  }

  function mapLines(fn) {
    var r = selectedLines();
    var s = area.selectionStart, e = area.selectionEnd;
    var lines = area.value.slice(r.start, r.end).split("\n");
    var firstDelta = 0, total = 0;
    var out = lines.map(function (line, i) {
      var next = fn(line);
      if (i === 0) firstDelta = next.length - line.length;
      total += next.length - line.length;
      return next;
    });
    replace(r.start, r.end, out.join("\n"),
      Math.max(r.start, s + firstDelta), Math.max(r.start, e + total));
  }

  function outdent(line) {
    if (line[0] === "\t") return line.slice(1);
    var n = 0;
    while (n < INDENT.length && line[n] === " ") n += 1;
    return line.slice(n);
  }

  function onTab(e) {
    var s = area.selectionStart, end = area.selectionEnd;
    var multi = area.value.slice(s, end).indexOf("\n") !== -1;
    if (e.shiftKey) mapLines(outdent);
    else if (multi) mapLines(function (line) { return line ? INDENT + line : line; });
    else replace(s, end, INDENT, s + INDENT.length);
  }

  // Enter in a list item starts the next item; Enter on an empty item ends the list.
  function onEnter(e) {
    var s = area.selectionStart;
    if (s !== area.selectionEnd) return;
    var start = lineStart(s);
    var before = area.value.slice(start, s);
    var m = LIST.exec(before);
    var indent = /^[ \t]*/.exec(before)[0];
    if (m) {
      e.preventDefault();
      if (m[0].length === before.length && lineEnd(s) === s) {
        replace(start, s, "", start); // empty item: leave the list
        return;
      }
      var marker = m[3] ? String(parseInt(m[3], 10) + 1) + m[4] : m[2];
      var insert = "\n" + m[1] + marker + m[5] + (m[6] ? "[ ] " : "");
      replace(s, s, insert, s + insert.length);
    } else if (indent) {
      e.preventDefault();
      replace(s, s, "\n" + indent, s + 1 + indent.length);
    }
  }

  // Wrap the selection in before/after; with nothing selected, insert a placeholder and select it.
  function wrap(before, after, placeholder) {
    var s = area.selectionStart, e = area.selectionEnd;
    var inner = area.value.slice(s, e) || placeholder;
    replace(s, e, before + inner + after, s + before.length, s + before.length + inner.length);
  }

  function prefixLines(prefix) {
    mapLines(function (line) {
      return line.indexOf(prefix) === 0 ? line.slice(prefix.length) : prefix + line;
    });
  }

  // Insert a block on lines of its own, after a blank line, and select part of it.
  function insertBlock(text, selectFrom, selectLength) {
    var s = area.selectionStart;
    var before = area.value.slice(0, s);
    var lead = "";
    if (before && !/\n\n$/.test(before)) lead = /\n$/.test(before) ? "\n" : "\n\n";
    var at = s + lead.length + selectFrom;
    replace(s, area.selectionEnd, lead + text, at, at + selectLength);
  }

  var ACTIONS = {
    bold: function () { wrap("**", "**", "bold text"); },
    italic: function () { wrap("_", "_", "italic text"); },
    code: function () {
      var sel = area.value.slice(area.selectionStart, area.selectionEnd);
      if (sel.indexOf("\n") !== -1) wrap("```\n", "\n```", "");
      else wrap("`", "`", "code");
    },
    link: function () {
      var s = area.selectionStart, e = area.selectionEnd;
      var text = area.value.slice(s, e) || "link text";
      var md = "[" + text + "](https://)";
      var urlAt = s + text.length + 3;
      replace(s, e, md, urlAt, urlAt + 8);
    },
    wikilink: function () { wrap("[[", "]]", "Page title"); },
    heading: function () { prefixLines("## "); },
    list: function () { prefixLines("- "); },
    table: function () {
      insertBlock("| Column | Column |\n| --- | --- |\n| Cell | Cell |\n", 2, 6);
    },
    image: function () {
      var s = area.selectionStart, e = area.selectionEnd;
      var alt = area.value.slice(s, e) || "description";
      var md = "![" + alt + "](image.png \"Caption\")";
      replace(s, e, md, s + alt.length + 4, s + alt.length + 13);
    },
  };
  var BUTTONS = [
    ["bold", "B", "Bold (Ctrl+B)"], ["italic", "I", "Italic (Ctrl+I)"],
    ["code", "</>", "Code"], ["link", "Link", "Link (Ctrl+K)"],
    ["wikilink", "[[ ]]", "Wiki link"], ["heading", "H", "Heading"],
    ["list", "List", "Bulleted list"], ["table", "Table", "Table"], ["image", "Image", "Image"],
  ];

  // A toolbar (one tab stop; arrow keys move between its buttons, as ARIA toolbars do).
  function buildToolbar() {
    var bar = document.createElement("div");
    bar.className = "editor-toolbar";
    bar.setAttribute("role", "toolbar");
    bar.setAttribute("aria-label", "Formatting");
    bar.setAttribute("aria-controls", area.id);
    BUTTONS.forEach(function (b, i) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "tool tool-" + b[0];
      button.textContent = b[1];
      button.title = b[2];
      button.setAttribute("aria-label", b[2]);
      button.dataset.action = b[0];
      button.tabIndex = i === 0 ? 0 : -1;
      bar.appendChild(button);
    });
    bar.addEventListener("click", function (e) {
      var button = e.target.closest("button[data-action]");
      if (button) ACTIONS[button.dataset.action]();
    });
    bar.addEventListener("keydown", function (e) {
      if (["ArrowLeft", "ArrowRight", "Home", "End"].indexOf(e.key) === -1) return;
      var buttons = Array.prototype.slice.call(bar.querySelectorAll("button"));
      var i = buttons.indexOf(document.activeElement);
      var next = e.key === "Home" ? 0 : e.key === "End" ? buttons.length - 1
        : (i + (e.key === "ArrowRight" ? 1 : -1) + buttons.length) % buttons.length;
      e.preventDefault();
      buttons.forEach(function (b, j) { b.tabIndex = j === next ? 0 : -1; });
      buttons[next].focus();
    });
    area.parentNode.insertBefore(bar, area);
  }

  area.addEventListener("keydown", function (e) {
    if (e.isComposing) return;
    if (e.key === "Escape") { escaped = true; return; }
    if (e.key === "Tab") {
      if (escaped || e.ctrlKey || e.altKey || e.metaKey) { escaped = false; return; }
      e.preventDefault();
      onTab(e);
      return;
    }
    escaped = false;
    var mod = (e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey;
    var key = e.key.toLowerCase();
    if (mod && key === "b") { e.preventDefault(); ACTIONS.bold(); }
    else if (mod && key === "i") { e.preventDefault(); ACTIONS.italic(); }
    else if (mod && key === "k") { e.preventDefault(); ACTIONS.link(); }
    else if (e.key === "Enter" && !e.shiftKey && !e.ctrlKey && !e.metaKey && !e.altKey) onEnter(e);
  });
  area.addEventListener("blur", function () { escaped = false; });

  var help = document.getElementById("editor-help");
  if (help) {
    help.appendChild(document.createTextNode(
      " Tab indents, Shift+Tab outdents; press Esc then Tab to leave the editor."));
  }
  buildToolbar();

  // Leaving with unsaved changes asks first; saving, previewing or cancelling on purpose does not.
  var initial = area.value;
  var leaving = false;
  form.addEventListener("submit", function () { leaving = true; });
  window.addEventListener("beforeunload", function (e) {
    if (leaving || area.value === initial) return;
    e.preventDefault();
    e.returnValue = "";
  });
})();
