"""Search in Chromium: type into the header box, pick a suggestion with the keyboard, land on
the page; the results page and the no-results page."""

from tests.browser.conftest import assert_no_horizontal_overflow, screenshot
from tests.browser.content import client_for, login, register_user, save

PAGES = {
    "Celery": "# Celery\n\nA distributed **task queue** for Python. Workers run tasks "
    "that a broker such as Redis hands out.\n\n```python\n@shared_task\ndef add(x, y):\n"
    "    return x + y\n```\n",
    "Celery/Beat": "Periodic tasks: beat schedules work for the celery workers.",
    "Celery/Flower": "A web dashboard to monitor celery workers and tasks.",
    "Task queues": "Celery and RQ are task queues; pick RQ for small apps.\n" * 2,
    "Django/ORM": "Avoid N+1 queries with `select_related` and `prefetch_related`.",
}


def _seed(app) -> None:
    alice = client_for(app)
    register_user(alice, "alice")
    for title, body in PAGES.items():
        save(alice, title, body)


def test_pick_a_suggestion_with_the_keyboard(page, live_app):
    _seed(live_app)
    login(page)
    page.goto("/wiki/Django/ORM")
    box = page.get_by_role("combobox", name="Search")
    box.click()
    box.press_sequentially("cel", delay=40)
    listbox = page.get_by_role("listbox", name="Page suggestions")
    listbox.wait_for()
    options = listbox.get_by_role("option")
    assert options.count() == 4  # three pages, then "Search all pages for …"
    assert options.nth(3).inner_text() == "Search all pages for “cel”"
    assert options.nth(0).inner_text().startswith("Celery")
    assert box.get_attribute("aria-expanded") == "true"
    box.press("ArrowDown")
    box.press("ArrowDown")
    assert options.nth(1).get_attribute("aria-selected") == "true"
    assert box.get_attribute("aria-activedescendant") == options.nth(1).get_attribute("id")
    screenshot(page, "search-suggestions")
    box.press("ArrowUp")
    box.press("Escape")
    assert listbox.is_hidden() and box.get_attribute("aria-expanded") == "false"
    box.press("ArrowDown")  # reopens the list, first option active
    assert options.nth(0).get_attribute("aria-selected") == "true"
    box.press("Enter")
    page.wait_for_url("**/wiki/Celery")
    assert page.inner_text("h1.page-title").startswith("Celery")


def test_results_page_and_no_results_page(page, live_app):
    _seed(live_app)
    login(page)
    page.goto("/")
    box = page.get_by_role("combobox", name="Search")
    box.fill("celery workers")
    box.press("Enter")  # no option chosen: a full search
    page.wait_for_url("**/search?q=celery+workers")
    results = page.locator(".search-hit")
    assert results.count() >= 3
    assert results.nth(0).locator("mark").count() >= 1
    assert "Last changed by alice" in results.nth(0).inner_text()
    assert box.input_value() == "celery workers"
    for width in (375, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        assert_no_horizontal_overflow(page)
    screenshot(page, "search-results")

    page.goto("/search?q=celary")
    assert "Showing results for celery" in page.inner_text(".search-corrected")
    assert page.get_by_role("link", name="Go to page").is_visible()

    page.goto("/search?q=Flower+dashboards+for+kafka")
    assert "No pages match" in page.inner_text("main")
    create = page.get_by_role("link", name="Create page “Flower dashboards for kafka”")
    screenshot(page, "search-no-results")
    create.click()
    page.wait_for_url("**/edit/Flower_dashboards_for_kafka")
