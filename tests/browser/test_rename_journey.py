"""Rename a page in Chromium, then follow an old link to its new title."""

from tests.browser.conftest import assert_no_horizontal_overflow, register, screenshot


def _save(page, title_path: str, body: str):
    page.goto(f"/edit/{title_path}")
    page.get_by_label("Content").fill(body)
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"**/wiki/{title_path}")


def test_rename_and_follow_an_old_link(page):
    register(page)  # the first account is an admin: the footer shows every action
    _save(page, "Celery", "---\ntags: [python, queues]\n---\n# Celery\n\nA task queue.")
    _save(page, "Celery/Beat", "Periodic tasks for [[Celery]].")
    _save(page, "Tasks", "Background work runs on [[Celery]]; see [[Flower]] and [[Kombu]].")
    _save(page, "Workers", "Scale [[Celery]] workers; monitor with [[Flower]].")

    page.goto("/wiki/Celery")
    page.get_by_text("Rename or move").click()
    screenshot(page, "structure-page-footer")
    page.get_by_label("New title").fill("Celery Workers")
    page.get_by_label("Update links to it in other pages").uncheck()
    page.get_by_label("Move its sub-pages too").check()
    page.get_by_role("button", name="Rename").click()
    page.wait_for_url("**/wiki/Celery_Workers")
    assert "Renamed “Celery” to “Celery Workers”" in page.inner_text(".flashes")
    assert "A task queue." in page.inner_text(".markdown-body")

    # Links were not rewritten: the old link goes through the redirect.
    page.goto("/wiki/Tasks")
    page.get_by_role("link", name="Celery", exact=True).click()
    page.wait_for_url("**/wiki/Celery_Workers?redirectedfrom=Celery")
    assert "Redirected from Celery" in page.inner_text("main")
    assert "Periodic tasks" in page.inner_text(".subpages") or "Beat" in page.inner_text(
        ".subpages"
    )
    page.goto("/wiki/Celery/Beat")
    page.wait_for_url("**/wiki/Celery_Workers/Beat?redirectedfrom=Celery/Beat")

    # The standalone form rewrites links when asked (the default).
    _save(page, "Guide", "Start with [[Celery Workers]].")
    page.goto("/rename/Celery_Workers")
    assert page.get_by_label("Update links to it in other pages").is_checked()
    page.get_by_label("New title").fill("Queues/Celery")
    screenshot(page, "structure-rename-form")
    page.get_by_role("button", name="Rename").click()
    page.wait_for_url("**/wiki/Queues/Celery")
    assert "Updated links in 1 page" in page.inner_text(".flashes")
    assert "Queues" in page.inner_text(".breadcrumbs")
    page.goto("/wiki/Guide")
    link = page.get_by_role("link", name="Queues/Celery", exact=True)
    assert link.get_attribute("href") == "/wiki/Queues/Celery"
    page.goto("/wiki/Tasks")  # the oldest title still leads to the page
    page.get_by_role("link", name="Celery", exact=True).click()
    page.wait_for_url("**/wiki/Queues/Celery?redirectedfrom=Celery")

    page.goto("/backlinks/Queues/Celery")
    assert page.get_by_role("link", name="Guide").count() == 1
    assert page.get_by_role("link", name="Tasks").count() == 1
    assert "via redirect “Celery”" in page.inner_text("main")
    page.goto("/tags")
    screenshot(page, "structure-tags")
    page.goto("/special/wanted")
    assert page.locator(".wanted-title", has_text="Flower").count() == 1
    screenshot(page, "structure-wanted")
    for width in (375, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        for path in ("/special/wanted", "/wiki/Celery", "/rename/Celery"):
            page.goto(path)
            assert_no_horizontal_overflow(page)
