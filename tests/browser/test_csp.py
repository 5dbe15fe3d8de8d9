"""Every main page works under the Content-Security-Policy: Chromium logs no CSP violation
and no page error, logged in and out (the ``page`` fixture fails the test on either).

The pages include the ones whose scripts do the most: a page with code, a Mermaid diagram
and maths, the editor's live preview, history and diff scripts, and search suggestions.
"""

from __future__ import annotations

from tests.browser.content import RICH, login, seed_rich_wiki

RICH_PATH = RICH.replace(" ", "_")
# Pages anyone may read.
PUBLIC = [
    "/",
    f"/wiki/{RICH_PATH}",
    f"/wiki/{RICH_PATH}?rev=1",
    f"/wiki/{RICH_PATH}/Sub_page",
    f"/history/{RICH_PATH}",
    f"/diff/{RICH_PATH}?from=1&to=2&view=inline",
    f"/diff/{RICH_PATH}?from=1&to=2&view=split",
    f"/diff/{RICH_PATH}?from=1&to=2&mode=rendered",
    f"/blame/{RICH_PATH}",
    f"/backlinks/{RICH_PATH}",
    f"/files/{RICH_PATH}",
    "/search?q=task+queue",
    "/search?q=nothing+matches+this",
    "/recent",
    "/pages",
    "/tags",
    "/tags/python",
    "/special/wanted",
    "/special/orphaned",
    "/special/stale",
    "/user/alice",
    "/wiki/No_such_page",
]
ANONYMOUS_ONLY = ["/login", "/register"]
EDITORS_ONLY = [f"/rename/{RICH_PATH}", "/special/deleted", "/profile", "/admin/users"]


def _settle(page) -> None:
    """Let the page's own scripts finish: diagrams drawn and maths typeset."""
    page.wait_for_load_state("load")
    page.wait_for_function(
        """() => [...document.querySelectorAll("pre.mermaid")]
                   .every(el => el.getAttribute("data-processed"))
              && [...document.querySelectorAll(".arithmatex")]
                   .every(el => el.getAttribute("data-katex"))""",
        timeout=10_000,
    )


def _visit(page, urls: list[str]) -> None:
    for url in urls:
        page.goto(url)
        _settle(page)


def _search_with_suggestions(page) -> None:
    page.goto("/")
    page.get_by_role("combobox", name="Search").fill("Ric")
    page.wait_for_selector("#search-suggestions [role=option]")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/wiki/{RICH_PATH}")
    _settle(page)


def test_every_page_runs_under_the_policy_logged_out(page, live_app):
    seed_rich_wiki(live_app)
    _visit(page, PUBLIC + ANONYMOUS_ONLY)
    page.goto(f"/wiki/{RICH_PATH}")
    _settle(page)
    assert page.locator("pre.mermaid svg").count() == 1  # the diagram really was drawn
    assert page.locator(".arithmatex .katex").count() >= 2  # and the maths typeset
    _search_with_suggestions(page)


def test_every_page_runs_under_the_policy_logged_in(page, live_app):
    seed_rich_wiki(live_app)
    login(page, "alice")
    _visit(page, PUBLIC + EDITORS_ONLY)
    _search_with_suggestions(page)
    # The editor: live preview of Markdown with code, a diagram and maths.
    page.goto(f"/edit/{RICH_PATH}")
    page.wait_for_selector("#live-preview h1")
    page.get_by_label("Content").fill("# Preview\n\n```mermaid\ngraph LR; A-->B\n```\n\n$x^2$\n")
    page.wait_for_selector("#live-preview pre.mermaid svg")
    page.wait_for_selector("#live-preview .katex")
    page.get_by_role("button", name="Preview").click()
    page.wait_for_selector("#live-preview h1")
    _settle(page)
    page.goto("/edit/Brand_new_page")
    page.get_by_label("Content").fill("**new**")
    page.wait_for_selector("#live-preview strong")
