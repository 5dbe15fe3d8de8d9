// Conflict chooser: apply each "keep theirs / yours / both" choice to the merged text live.
// The text area holds numbered conflict markers (see wiki/conflict_markers.py); a choice
// replaces its marked block. Choices can be changed freely until the text is edited by
// hand; after that, only blocks still marked in the text can be chosen.
(function () {
  "use strict";
  var form = document.getElementById("conflict-form");
  if (!form) return;
  var textarea = form.querySelector("textarea[name=body]");
  document.documentElement.classList.add("js");

  var START = /^<<<<<<< conflict (\d{1,4})(?:: (.*))?$/;
  var SEP = /^======= conflict (\d{1,4})$/;
  var END = /^>>>>>>> conflict (\d{1,4})(?:: (.*))?$/;

  function splitLines(text) { return text.match(/[^\n]*\n|[^\n]+$/g) || []; }
  function strip(line) { return line.replace(/\r?\n$/, ""); }

  function spanFrom(lines, first, number) {
    var sep = -1;
    for (var j = first + 1; j < lines.length; j++) {
      var line = strip(lines[j]);
      if (START.test(line)) return null; // another block starts before this one ended
      var m;
      if (sep < 0) {
        m = SEP.exec(line);
        if (m && m[1] === number) sep = j;
      } else {
        m = END.exec(line);
        if (m && m[1] === number) {
          return {
            last: j,
            block: {
              number: Number(number),
              marked: lines.slice(first, j + 1).join(""),
              theirs: lines.slice(first + 1, sep).join(""),
              mine: lines.slice(sep + 1, j).join(""),
              choice: null,
            },
          };
        }
      }
    }
    return null;
  }

  // The text as plain strings and conflict blocks, in order.
  function parse(text) {
    var lines = splitLines(text);
    var segments = [];
    var plain = "";
    var i = 0;
    while (i < lines.length) {
      var m = START.exec(strip(lines[i]));
      var span = m ? spanFrom(lines, i, m[1]) : null;
      if (!span) {
        plain += lines[i];
        i += 1;
        continue;
      }
      if (plain) segments.push(plain);
      plain = "";
      segments.push(span.block);
      i = span.last + 1;
    }
    if (plain) segments.push(plain);
    return segments;
  }

  function chosen(block) {
    if (block.choice === "theirs") return block.theirs;
    if (block.choice === "mine") return block.mine;
    if (block.choice === "both") return block.theirs + block.mine;
    return block.marked;
  }

  var segments = parse(textarea.value);
  var rendered = textarea.value;

  function render() {
    rendered = segments.map(function (s) { return typeof s === "string" ? s : chosen(s); }).join("");
    var top = textarea.scrollTop;
    textarea.value = rendered;
    textarea.scrollTop = top;
  }

  function findBlock(number) {
    for (var i = 0; i < segments.length; i++) {
      if (typeof segments[i] !== "string" && segments[i].number === number) return segments[i];
    }
    return null;
  }

  function note(fieldset, text) {
    var el = fieldset.querySelector(".choice-note");
    if (el) el.textContent = text;
  }

  // After a hand edit, blocks no longer marked in the text can't be chosen any more.
  function syncWithText() {
    if (textarea.value === rendered) return;
    segments = parse(textarea.value);
    rendered = textarea.value;
    form.querySelectorAll(".conflict-block").forEach(function (fieldset) {
      var block = findBlock(Number(fieldset.dataset.number));
      var radios = fieldset.querySelectorAll("input[type=radio]");
      radios.forEach(function (r) { r.disabled = !block; if (!block) r.checked = false; });
      fieldset.classList.toggle("resolved-by-hand", !block);
      if (!block) note(fieldset, "Resolved by editing the text below.");
    });
  }

  var LABELS = { theirs: "Keeping their version.", mine: "Keeping your version.", both: "Keeping both: theirs, then yours." };

  form.addEventListener("change", function (e) {
    var radio = e.target;
    if (!radio.name || radio.name.indexOf("choice-") !== 0) return;
    syncWithText();
    var fieldset = radio.closest(".conflict-block");
    var block = findBlock(Number(fieldset.dataset.number));
    if (!block) return;
    block.choice = radio.value;
    render();
    fieldset.classList.add("chosen");
    note(fieldset, LABELS[radio.value] || "");
  });

  // Choices already checked (e.g. the browser restored the form) apply to the text too.
  form.querySelectorAll("input[type=radio]:checked").forEach(function (radio) {
    var block = findBlock(Number(radio.closest(".conflict-block").dataset.number));
    if (block) block.choice = radio.value;
  });
  if (segments.some(function (s) { return typeof s !== "string" && s.choice; })) render();
})();
