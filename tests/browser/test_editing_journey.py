"""Register, create a page with live preview, edit it, see revision 2 — in Chromium."""

from tests.browser.conftest import assert_no_horizontal_overflow, register, screenshot


def test_register_create_edit_see_revision_two(page):
    register(page)
    page.goto("/edit/Celery")
    page.get_by_label("Content").fill("# Celery\n\nA **task queue** for [[Python]].")
    page.wait_for_selector("#live-preview strong")
    assert page.inner_text("#live-preview strong") == "task queue"
    page.get_by_label("Summary").fill("first version")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/wiki/Celery")
    assert page.inner_text(".markdown-body h1").startswith("Celery")
    assert page.locator("a.wikilink.missing", has_text="Python").count() == 1
    screenshot(page, "view-page")

    page.get_by_role("link", name="Edit").first.click()
    page.wait_for_url("**/edit/Celery")
    page.wait_for_load_state("load")  # editor.js (deferred) handles Ctrl+S once loaded
    page.get_by_label("Content").fill("# Celery\n\nA distributed task queue.")
    page.keyboard.press("Control+s")  # Ctrl+S saves
    page.wait_for_url("**/wiki/Celery")
    assert "distributed task queue" in page.inner_text(".markdown-body")
    assert "Revision 2" in page.inner_text(".page-meta")
    page.goto("/wiki/Celery?rev=1")
    assert "old revision" in page.inner_text("main")
    for width in (375, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        assert_no_horizontal_overflow(page)
