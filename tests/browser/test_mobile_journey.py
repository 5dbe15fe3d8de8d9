"""Phones (375 × 812) in Chromium: the logged-in header is one row with a menu, a long page's
first paragraph is above the fold (contents folded), wide tables and code scroll in their own
box with a hint, and on every main page, logged in and out, nothing is wider than the screen
and no control is cut off; search suggestions span the screen. axe-core stays clean on the
pages this issue added."""

from pathlib import Path

import pytest

from tests.browser.conftest import PageProblems, screenshot, watch
from tests.browser.content import RICH, login, save, seed_rich_wiki
from tests.browser.test_a11y import AXE, AXE_RUN, MORE_PAGES, PAGES

PHONE = {"width": 375, "height": 812}
STARTER = Path(__file__).parents[2] / "wiki" / "content" / "starter"
LONG = "Core concepts/Authentication and authorization"
LONG_PATH = LONG.replace(" ", "_")
MINE = [
    ("/new", True),
    ("/new?parent=Rich_page", True),
    ("/delete/Rich_page/Sub_page", True),
    ("/edit/Rich_page?section=2", True),
    (f"/wiki/{LONG_PATH}", False),
]
# Elements too wide for the screen or controls cut off, outside boxes that scroll sideways.
CUT_OFF = """() => {
  const vw = document.documentElement.clientWidth;
  const scrolls = el => { for (let a = el.parentElement; a; a = a.parentElement) {
      const s = getComputedStyle(a);
      if (/(auto|scroll)/.test(s.overflowX) && a.scrollWidth > a.clientWidth) return true; }
    return false; };
  const clippedAway = el => { for (let a = el; a; a = a.parentElement) {
      if (getComputedStyle(a).clip === "rect(0px, 0px, 0px, 0px)") return true; }
    return false; };
  const shown = el => { const r = el.getBoundingClientRect(), s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== "hidden" &&
      !el.closest(".skip-link, [aria-hidden=true]") && !clippedAway(el); };
  const out = [];
  for (const el of document.body.querySelectorAll("*")) {
    if (!shown(el) || scrolls(el)) continue;
    const r = el.getBoundingClientRect();
    if (r.right > vw + 1 || r.left < -1) out.push("too wide: " + el.outerHTML.slice(0, 90));
  }
  for (const el of document.querySelectorAll("a, button, input, select, textarea, summary")) {
    if (!shown(el) || scrolls(el)) continue;
    const r = el.getBoundingClientRect();
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      if (getComputedStyle(a).overflow === "visible") continue;
      const b = a.getBoundingClientRect();
      if (r.right > b.right + 1 || r.left < b.left - 1) {
        out.push("clipped: " + el.outerHTML.slice(0, 90));
        break;
      }
    }
  }
  return out;
}"""


@pytest.fixture
def phone(browser, live_server, live_app):
    alice = seed_rich_wiki(live_app)
    text = (STARTER / "Core concepts" / "Authentication and authorization.md").read_text()
    save(alice, "Core concepts", "The ideas.")
    save(alice, LONG, text)
    save(
        alice,
        "Wide",
        "| "
        + " | ".join(f"column {i}" for i in range(14))
        + " |\n|"
        + "---|" * 14
        + "\n| "
        + " | ".join("value" for _ in range(14))
        + " |\n\n"
        + "```python\nx = '"
        + "long " * 40
        + "'\n```\n",
    )
    ctx = browser.new_context(base_url=live_server.url, viewport=PHONE, bypass_csp=True)
    problems = PageProblems()
    page = watch(ctx.new_page(), problems)
    yield page
    ctx.close()
    assert not [p for p in problems if p.startswith("pageerror")], problems


def _check(page, url):
    page.goto(url)
    page.wait_for_load_state("load")
    return [f"{url}: {problem}" for problem in page.evaluate(CUT_OFF)]


def test_nothing_is_cut_off_on_a_phone_logged_in_or_out(phone):
    pages = PAGES + MORE_PAGES + MINE
    found = []
    for url, editor_only in pages:
        if not editor_only:
            found += _check(phone, url)
    login(phone)
    for url, _ in pages:
        found += _check(phone, url)
    phone.goto(f"/wiki/{RICH.replace(' ', '_')}")
    phone.get_by_role("button", name="Menu").click()  # the open menu fits too
    found += [f"menu open: {p}" for p in phone.evaluate(CUT_OFF)]
    screenshot(phone, "phone-menu-open")
    assert found == [], "\n".join(found)


def test_phone_header_is_one_row_and_the_article_starts_above_the_fold(phone):
    login(phone)
    phone.goto(f"/wiki/{LONG_PATH}")
    phone.wait_for_load_state("load")
    header = phone.locator(".site-header").bounding_box()
    assert header["height"] < 64, header
    menu = phone.get_by_role("button", name="Menu")
    assert menu.is_visible() and not phone.get_by_role("link", name="All pages").is_visible()
    assert not phone.locator(".toc details").evaluate("d => d.open")  # contents folded
    first = phone.locator(".markdown-body > p").first.bounding_box()
    assert first["y"] + 20 < PHONE["height"], first
    screenshot(phone, "phone-long-page")
    menu.click()
    assert phone.get_by_role("link", name="All pages").is_visible()
    assert phone.get_by_role("link", name="Wanted pages").is_visible()
    phone.keyboard.press("Escape")
    assert not phone.get_by_role("link", name="All pages").is_visible()


def test_wide_tables_and_code_scroll_in_their_box_with_a_hint(phone):
    phone.goto("/wiki/Wide")
    phone.wait_for_load_state("load")
    for selector in (".markdown-body table", ".markdown-body pre"):
        box = phone.locator(selector)
        assert box.evaluate("el => el.scrollWidth > el.clientWidth"), selector
        assert box.get_attribute("tabindex") == "0"  # scrollable from the keyboard
        assert box.evaluate("el => el.nextElementSibling.textContent").startswith("Scroll sideways")
    assert phone.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )
    screenshot(phone, "phone-wide")


def test_new_pages_pass_axe(phone):
    login(phone)
    found = []
    for width in (375, 1280):
        phone.set_viewport_size({"width": width, "height": 900})
        for url, _ in MINE + [("/wiki/Wide", False)]:
            phone.goto(url)
            phone.wait_for_load_state("load")
            phone.add_script_tag(path=str(AXE))
            found += [f"{url} at {width}: {v}" for v in phone.evaluate(AXE_RUN)]
    assert found == [], "\n".join(found)


def test_search_suggestions_span_the_phone_screen(phone):
    titles = ["Guides/Deployment with Docker and GitHub Actions", "Guides/Deploying Django"]
    login(phone)
    for title in titles:
        phone.goto(f"/edit/{title.replace(' ', '_')}")
        phone.locator("textarea[name=body]").fill("How we deploy.")
        phone.get_by_role("button", name="Save").first.click()
        phone.wait_for_url(f"**/wiki/{title.replace(' ', '_')}")
    phone.locator("#search-q").click()
    phone.keyboard.type("deplo")
    listbox = phone.get_by_role("listbox", name="Page suggestions")
    listbox.get_by_role("option", name="Deploying Django").wait_for()
    box = listbox.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    assert box["width"] > PHONE["width"] * 0.9, box  # not the width of the narrow search box
    assert listbox.evaluate("el => el.scrollHeight <= el.clientHeight")  # every row shown
    option = listbox.get_by_role("option", name="Deploying Django")
    name, path = option.locator(".suggestion-name"), option.locator(".suggestion-path")
    assert path.inner_text() == "Guides"
    assert path.bounding_box()["y"] >= name.bounding_box()["y"] + name.bounding_box()["height"] - 1
    assert phone.evaluate(CUT_OFF) == []
    screenshot(phone, "phone-search-suggestions")
