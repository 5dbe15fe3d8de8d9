// Every page: the phone menu, the "More" menu, "/" to search, local times, folded sidebars.
(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.add("js");
  var narrow = window.matchMedia("(max-width: 800px)");

  // Phone header: one row, the rest behind "Menu".
  var toggle = document.getElementById("menu-toggle");
  var menu = document.getElementById("site-menu");
  var more = document.querySelector(".more-menu");
  function setMenu(open) {
    menu.classList.toggle("open", open);
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    if (more && window.matchMedia("(max-width: 760px)").matches) more.open = open;
  }
  if (toggle && menu) {
    toggle.hidden = false;
    toggle.addEventListener("click", function () { setMenu(!menu.classList.contains("open")); });
  }
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape") return;
    if (menu && menu.classList.contains("open")) { setMenu(false); toggle.focus(); }
    if (more && more.open && !menu.classList.contains("open")) {
      more.open = false;
      more.querySelector("summary").focus();
    }
  });
  document.addEventListener("click", function (e) {
    if (menu && menu.classList.contains("open") && !menu.contains(e.target) && e.target !== toggle) setMenu(false);
    if (more && more.open && !more.contains(e.target) && !(menu && menu.classList.contains("open"))) more.open = false;
  });

  // "/" outside a text field focuses the search box.
  document.addEventListener("keydown", function (e) {
    if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
    var t = e.target;
    if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
    var box = document.getElementById("search-q");
    if (!box) return;
    e.preventDefault();
    box.focus();
    box.select();
  });

  // Times: the server writes UTC in <time datetime>; show them in the reader's time zone.
  var zone = "";
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { zone = ""; }
  var full = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
  var clock = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", hour12: false });
  function parse(value) {
    if (!/T\d\d:\d\d/.test(value)) return null; // a date alone has no time zone to convert
    if (!/(Z|[+-]\d\d:?\d\d)$/.test(value)) value += "Z"; // naive values are UTC
    var d = new Date(value);
    return isNaN(d.getTime()) ? null : d;
  }
  function localTimes(scope) {
    Array.prototype.forEach.call(scope.querySelectorAll("time[datetime]"), function (el) {
      if (el.dataset.local) return;
      var d = parse(el.getAttribute("datetime"));
      if (!d) return;
      el.dataset.local = "1";
      var text = full.format(d) + (zone ? " (" + zone + ")" : "");
      if (/UTC\s*$/.test(el.textContent)) el.textContent = full.format(d);
      else if (/^\d\d:\d\d$/.test(el.textContent.trim())) el.textContent = clock.format(d);
      el.title = text;
    });
  }
  // Recent changes and contributions are grouped by UTC day on the server: regroup them by
  // the reader's own day, so a row's local time always sits under its local date.
  function dayKey(d) {
    return d.getFullYear() + "-" + String(d.getMonth() + 1).padStart(2, "0") + "-" +
      String(d.getDate()).padStart(2, "0");
  }
  var dayFormat = new Intl.DateTimeFormat(undefined, { weekday: "long", day: "numeric", month: "long", year: "numeric" });
  function dayLabel(d) {
    var today = new Date();
    var yesterday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1);
    if (dayKey(d) === dayKey(today)) return "Today";
    if (dayKey(d) === dayKey(yesterday)) return "Yesterday";
    return dayFormat.format(d);
  }
  function localDays() {
    var sections = document.querySelectorAll("section.rc-day");
    if (!sections.length) return;
    var parent = sections[0].parentNode;
    var rows = [];
    Array.prototype.forEach.call(sections, function (section) {
      Array.prototype.forEach.call(section.querySelectorAll("li.rc-row"), function (row) {
        var t = row.querySelector("time[datetime]");
        var d = t && parse(t.getAttribute("datetime"));
        if (d) rows.push({ row: row, day: d });
      });
    });
    if (!rows.length) return;
    var anchor = sections[0];
    var current = null;
    rows.forEach(function (item) {
      var key = dayKey(item.day);
      if (!current || current.dataset.day !== key) {
        current = document.createElement("section");
        current.className = "rc-day";
        current.dataset.day = key;
        var h = document.createElement("h2");
        h.textContent = dayLabel(item.day);
        var ul = document.createElement("ul");
        ul.className = "rc-list";
        current.appendChild(h);
        current.appendChild(ul);
        parent.insertBefore(current, anchor);
      }
      current.lastChild.appendChild(item.row);
    });
    Array.prototype.forEach.call(sections, function (section) { section.remove(); });
  }
  localDays();
  localTimes(document);
  document.addEventListener("preview:updated", function (e) { localTimes(e.target); });

  // Contents and page tree come folded (so on phones the article starts near the top, with
  // or without JavaScript); wide screens have room for them beside the article: open them.
  if (!narrow.matches) {
    Array.prototype.forEach.call(document.querySelectorAll(".sidebar-fold"), function (d) {
      d.open = true;
    });
  }
})();
