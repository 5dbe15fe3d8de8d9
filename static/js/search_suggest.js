// Search as you type for the header search box. Without this script the box is a plain
// search form. With it, the box is an ARIA combobox: typing shows up to 8 page titles from
// GET /search/suggest in a listbox; Arrow Down/Up move through them, Enter opens the chosen
// page (or searches, when none is chosen), Escape closes the list. The last row is always
// "Search all pages for …", the full search.
(function () {
  "use strict";

  var DELAY_MS = 120;

  function setUp() {
    var input = document.getElementById("search-q");
    var form = input && input.closest("form");
    if (!input || !form || !window.fetch) {
      return;
    }
    var list = document.createElement("ul");
    list.id = "search-suggestions";
    list.className = "search-suggestions";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Page suggestions");
    list.hidden = true;
    var status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    form.appendChild(list);
    form.appendChild(status);

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("aria-expanded", "false");

    var items = [];
    var active = -1;
    var timer = null;
    var latest = 0;

    function options() {
      return list.querySelectorAll("[role=option]");
    }

    function setActive(index) {
      var nodes = options();
      active = index;
      nodes.forEach(function (node, i) {
        node.setAttribute("aria-selected", i === index ? "true" : "false");
        node.classList.toggle("is-active", i === index);
      });
      if (index >= 0 && nodes[index]) {
        input.setAttribute("aria-activedescendant", nodes[index].id);
        nodes[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      setActive(-1);
    }

    function render(suggestions) {
      var q = input.value.trim();
      var pages = suggestions.length;
      items = q ? suggestions.concat([{ url: "/search?q=" + encodeURIComponent(q), all: q }]) : [];
      list.textContent = "";
      items.forEach(function (item, i) {
        var option = document.createElement("li");
        option.id = "search-suggestion-" + i;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.dataset.url = item.url;
        if (item.all) {
          option.className = "suggestion-all";
          option.textContent = "Search all pages for “" + item.all + "”";
          list.appendChild(option);
          return;
        }
        var slash = item.title.lastIndexOf("/");
        var name = document.createElement("span");
        name.className = "suggestion-name";
        name.textContent = slash >= 0 ? item.title.slice(slash + 1) : item.title;
        option.appendChild(name);
        if (slash >= 0) {
          var path = document.createElement("span");
          path.className = "suggestion-path";
          path.textContent = item.title.slice(0, slash);
          option.appendChild(path);
        }
        list.appendChild(option);
      });
      var open = items.length > 0;
      list.hidden = !open;
      input.setAttribute("aria-expanded", open ? "true" : "false");
      setActive(-1);
      status.textContent = open
        ? pages + (pages === 1 ? " suggestion" : " suggestions") + ", or search all pages"
        : "";
    }

    function fetchSuggestions() {
      var q = input.value.trim();
      var ticket = ++latest;
      if (!q) {
        render([]);
        return;
      }
      fetch("/search/suggest?q=" + encodeURIComponent(q), {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      })
        .then(function (response) {
          return response.ok ? response.json() : { suggestions: [] };
        })
        .then(function (data) {
          if (ticket === latest && document.activeElement === input) {
            render(data.suggestions || []);
          }
        })
        .catch(function () {
          if (ticket === latest) {
            render([]);
          }
        });
    }

    function go(index) {
      var item = items[index];
      if (item) {
        close();
        window.location.assign(item.url);
      }
    }

    input.addEventListener("input", function () {
      // A reply to an earlier query must not replace the list once the text has changed,
      // and the open list's last row follows the text at once, without waiting for the server.
      latest++;
      if (!list.hidden) {
        render(
          items.filter(function (item) {
            return !item.all;
          }),
        );
      }
      window.clearTimeout(timer);
      timer = window.setTimeout(fetchSuggestions, DELAY_MS);
    });

    input.addEventListener("keydown", function (event) {
      var count = items.length;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (list.hidden) {
          if (count) {
            list.hidden = false;
            input.setAttribute("aria-expanded", "true");
          } else {
            return;
          }
        }
        event.preventDefault();
        var step = event.key === "ArrowDown" ? 1 : -1;
        var next = active + step;
        setActive(next < -1 ? count - 1 : next >= count ? -1 : next);
      } else if (event.key === "Enter") {
        if (!list.hidden && active >= 0) {
          event.preventDefault();
          go(active);
        }
      } else if (event.key === "Escape") {
        if (!list.hidden) {
          event.preventDefault();
          close();
        }
      }
    });

    // mousedown, not click: it comes before the input's blur closes the list.
    list.addEventListener("mousedown", function (event) {
      var option = event.target.closest("[role=option]");
      if (option) {
        event.preventDefault();
        go(Array.prototype.indexOf.call(options(), option));
      }
    });

    input.addEventListener("blur", function () {
      window.setTimeout(close, 100);
    });

    input.addEventListener("focus", function () {
      if (items.length && input.value.trim()) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
