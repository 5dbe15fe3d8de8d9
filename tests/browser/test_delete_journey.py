"""An admin deletes a page and restores it, with its history, in Chromium."""

from tests.browser.conftest import assert_no_horizontal_overflow, register, screenshot


def _create(page, title, body):
    page.goto(f"/edit/{title}")
    page.get_by_label("Content").fill(body)
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"**/wiki/{title}")


def test_delete_then_restore_brings_the_page_back(page):
    register(page, "admin")  # the first account is the administrator
    _create(page, "Scratch", "first version")
    _create(page, "Scratch", "second version")

    page.get_by_role("link", name="Delete page").click()  # asks first
    page.wait_for_url("**/delete/Scratch")
    assert "Delete “Scratch”?" in page.inner_text("h1")
    page.get_by_role("link", name="Cancel").click()
    page.wait_for_url("**/wiki/Scratch")
    assert "second version" in page.inner_text(".markdown-body")
    page.get_by_role("link", name="Delete page").click()
    page.get_by_role("button", name="Delete page").click()
    page.wait_for_url("**/wiki/Scratch")
    assert "This page was deleted by admin" in page.inner_text("main")
    for width in (375, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        assert_no_horizontal_overflow(page)
    screenshot(page, "deleted-page")
    page.goto("/pages")
    assert page.locator("a", has_text="Scratch").count() == 0

    page.goto("/wiki/Scratch")
    page.get_by_role("button", name="Restore this page").click()
    page.wait_for_url("**/wiki/Scratch")
    assert "second version" in page.inner_text(".markdown-body")
    page.goto("/history/Scratch")
    history = page.inner_text("main")
    assert "Restored" in history or "restore" in history.lower()
    for width in (375, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        assert_no_horizontal_overflow(page)
