"""Accessibility in Chromium: axe-core finds no serious or critical violation on the main
pages, no page overflows sideways at 375 px or 1280 px, every form control has a label,
the header and the editor work from the keyboard alone, and focus is visible.

axe-core is vendored for the tests only (tests/browser/vendor/, see its README) and injected
as an inline script, which the site's policy rightly blocks: the axe context bypasses CSP.
The keyboard and focus tests run under the real policy.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import PageProblems, assert_no_horizontal_overflow, screenshot, watch
from tests.browser.content import RICH, login, seed_rich_wiki

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
RICH_PATH = RICH.replace(" ", "_")
# (url, needs a logged-in editor)
PAGES = [
    (f"/wiki/{RICH_PATH}", False),
    (f"/edit/{RICH_PATH}", True),
    (f"/history/{RICH_PATH}", False),
    (f"/diff/{RICH_PATH}?from=1&to=2&view=inline", False),
    (f"/diff/{RICH_PATH}?from=1&to=2&view=split", False),
    (f"/diff/{RICH_PATH}?from=1&to=2&mode=rendered", False),
    ("/search?q=task+queue", False),
    ("/login", False),
    ("/register", False),
    ("/recent", False),
    ("/pages", False),
    (f"/files/{RICH_PATH}", True),
    (f"/blame/{RICH_PATH}", False),
    ("/tags", False),
    ("/", True),
    (f"/discuss/{RICH_PATH}", True),
    ("/notifications", True),
    ("/settings", True),
]
# Checked for overflow and labels only (axe runs on the pages above).
MORE_PAGES = [
    ("/special/wanted", False),
    ("/special/orphaned", False),
    ("/special/stale", False),
    ("/tags/python", False),
    ("/user/alice", False),
    (f"/backlinks/{RICH_PATH}", False),
    (f"/wiki/{RICH_PATH}/Sub_page", False),
    ("/wiki/No_such_page", False),
    ("/special/deleted", True),
    (f"/rename/{RICH_PATH}", True),
    ("/profile", True),
    ("/admin/users", True),
    ("/admin/webhooks", True),
    ("/review", True),
]
WIDTHS = (375, 1280)
# Form controls with no accessible name.
UNLABELLED = """() => [...document.querySelectorAll("input, select, textarea")]
  .filter(el => !["hidden", "submit", "button", "reset", "image"].includes(el.type))
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute("aria-label")
                && !el.getAttribute("aria-labelledby") && !el.title)
  .map(el => el.outerHTML.slice(0, 120))"""
AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations
    .filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
}"""


@pytest.fixture
def axe_page(browser, live_server, live_app):
    """A page whose context lets the injected axe-core run; logged in lazily."""
    seed_rich_wiki(live_app)
    ctx = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}, bypass_csp=True
    )
    problems = PageProblems()
    page = watch(ctx.new_page(), problems)
    yield page
    ctx.close()
    assert not [p for p in problems if p.startswith(("pageerror", "dialog"))], problems


def _check_page(page, url: str, *, axe: bool) -> list[str]:
    """axe, labels and overflow at both widths for one page; returns what is wrong."""
    found = []
    page.goto(url)
    page.wait_for_load_state("load")
    if axe:
        page.add_script_tag(path=str(AXE))
        found += [f"{url}: axe {violation}" for violation in page.evaluate(AXE_RUN)]
    found += [f"{url}: unlabelled {c}" for c in page.evaluate(UNLABELLED)]
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        try:
            assert_no_horizontal_overflow(page)
        except AssertionError as error:
            found.append(f"{url} at {width}px: {error}")
    page.set_viewport_size({"width": 1280, "height": 900})
    return found


def test_main_pages_pass_axe_have_labels_and_fit_the_screen(axe_page):
    page = axe_page
    found = []
    checks = [(url, editor, True) for url, editor in PAGES]
    checks += [(url, editor, False) for url, editor in MORE_PAGES]
    for url, editor_only, axe in checks:
        if not editor_only:
            found += _check_page(page, url, axe=axe)
    login(page)
    for url, editor_only, axe in checks:
        if editor_only:
            found += _check_page(page, url, axe=axe)
    assert found == [], "\n".join(found)
    # People look at these: a page view and the editor, at phone width.
    page.set_viewport_size({"width": 375, "height": 800})
    for url, name in (
        (f"/wiki/{RICH_PATH}", "a11y-view-375"),
        (f"/edit/{RICH_PATH}", "a11y-edit-375"),
    ):
        page.goto(url)
        page.wait_for_load_state("load")
        screenshot(page, name)


def _tab_to(page, selector: str, limit: int = 40) -> int:
    """Press Tab until ``selector`` has focus; returns how many presses it took."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return presses
    raise AssertionError(f"{selector} never got focus in {limit} Tab presses")


FOCUS_STYLE = """() => {
  const el = document.activeElement, s = getComputedStyle(el);
  const outline = s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 1;
  return {tag: el.tagName, focusVisible: el.matches(":focus-visible"),
          shown: outline || (s.boxShadow && s.boxShadow !== "none")};
}"""


def test_focus_is_visible_on_everything_tab_reaches(page, live_app):
    seed_rich_wiki(live_app)
    login(page)
    for url in (f"/wiki/{RICH_PATH}", f"/edit/{RICH_PATH}", f"/history/{RICH_PATH}"):
        page.goto(url)
        page.wait_for_load_state("load")
        seen = set()
        for _ in range(25):
            page.keyboard.press("Tab")
            style = page.evaluate(FOCUS_STYLE)
            assert style["focusVisible"] and style["shown"], (url, style)
            seen.add(style["tag"])
        assert {"A", "INPUT", "BUTTON"} <= seen, (url, seen)


def test_search_and_header_work_from_the_keyboard(page, live_app):
    seed_rich_wiki(live_app)
    page.goto("/")
    assert _tab_to(page, "a.skip-link") == 1  # the first stop skips the header
    _tab_to(page, "#search-q")
    page.keyboard.type("task queue")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search?q=task+queue")
    assert page.locator(".search-hit").count() >= 1
    _tab_to(page, "a[href='/recent']")
    page.keyboard.press("Enter")
    page.wait_for_url("**/recent")
    _tab_to(page, "a[href^='/login']")
    page.keyboard.press("Enter")
    page.wait_for_url("**/login**")


def test_the_editor_works_from_the_keyboard(page, live_app):
    seed_rich_wiki(live_app)
    login(page)
    page.goto(f"/wiki/{RICH_PATH}")
    _tab_to(page, ".page-tabs a[href^='/edit/']")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/edit/{RICH_PATH}")
    _tab_to(page, "textarea#body")
    page.keyboard.press("Control+End")
    page.keyboard.type("\n\nTyped from the keyboard.")
    page.wait_for_function(
        "() => document.querySelector('#live-preview').textContent.includes('from the keyboard')"
    )
    page.keyboard.press("Escape")  # Tab indents inside the editor; Esc, then Tab, leaves it
    _tab_to(page, "#summary")
    page.keyboard.type("keyboard edit")
    page.keyboard.press("Control+s")
    page.wait_for_url(f"**/wiki/{RICH_PATH}")
    assert "Typed from the keyboard." in page.inner_text(".markdown-body")
    # The rename box is a disclosure that opens from the keyboard too.
    _tab_to(page, "details.rename-box > summary", limit=120)  # past section links and the tree
    page.keyboard.press("Enter")
    assert page.locator("details.rename-box").evaluate("el => el.open")
