"""Edit a page twice, read its history, compare, restore revision 1 — in Chromium.

Also screenshots every history screen at phone and desktop widths (test-artifacts/).
"""

from tests.browser.conftest import assert_no_horizontal_overflow, register, screenshot

WIDTHS = (375, 1280)

FIRST = "# Celery\n\nCelery is a **task queue** for Python.\n\n- brokers\n- workers\n"
SECOND = (
    "# Celery\n\nCelery is a distributed **task queue** for Python.\n\n- brokers: Redis, RabbitMQ\n"
    "- workers\n- beat for periodic tasks\n"
)
THIRD = SECOND + "\n## Retries\n\nUse `autoretry_for` with a backoff.\n"


def _save(page, body: str, summary: str) -> None:
    page.goto("/edit/Celery")
    page.get_by_label("Content").fill(body)
    page.get_by_label("Summary").fill(summary)
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/wiki/Celery")


def _shoot(page, name: str) -> None:
    """Screenshot at each width, checking nothing overflows sideways."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        assert_no_horizontal_overflow(page)
        screenshot(page, f"{name}-{width}")
    page.set_viewport_size({"width": 1280, "height": 900})


def _raw(page, rev: int) -> str:
    response = page.request.get(f"/raw/Celery?rev={rev}")
    assert response.ok
    return response.text()


def test_edit_compare_and_restore_the_first_revision(page):
    register(page)
    _save(page, FIRST, "first version")
    _save(page, SECOND, "more detail")
    _save(page, THIRD, "retries")

    page.get_by_role("link", name="History").first.click()
    page.wait_for_url("**/history/Celery")
    assert page.locator("tr.rev-row").count() == 3
    _shoot(page, "history")

    page.get_by_label("Compare from revision 1").check()
    page.get_by_label("Compare to revision 3").check()
    # The script hides radios that would compare a revision with a newer "from".
    assert (
        page.get_by_label("Compare from revision 3").evaluate(
            "el => getComputedStyle(el).visibility"
        )
        == "hidden"
    )
    page.get_by_role("button", name="Compare selected revisions").first.click()
    page.wait_for_url(lambda url: "/diff/Celery?" in url and "from=1" in url and "to=3" in url)
    assert page.locator(".diff ins", has_text="distributed").count() >= 1
    assert "autoretry_for" in page.inner_text("table.diff")
    _shoot(page, "diff-inline")

    page.get_by_role("link", name="Side by side").click()
    page.wait_for_selector("table.diff-split")
    _shoot(page, "diff-split")

    page.get_by_role("link", name="Rendered").click()
    page.wait_for_selector(".rdiff .rd-insert")
    assert page.locator(".rdiff-split").count() == 1  # the layout choice was remembered
    assert "Retries" in page.inner_text(".rdiff")
    _shoot(page, "diff-rendered-split")
    page.get_by_role("link", name="Inline").click()
    page.wait_for_selector(".rdiff-inline")
    _shoot(page, "diff-rendered-inline")

    page.goto("/history/Celery")
    page.get_by_role("button", name="Restore revision 1").click()
    page.wait_for_url("**/wiki/Celery")
    assert "Restored revision 1 as revision 4" in page.inner_text(".flashes")
    assert _raw(page, 4) == _raw(page, 1) == FIRST

    page.goto("/history/Celery")
    assert page.locator("tr.rev-row").count() == 4
    assert "Restored revision 1" in page.inner_text("tr.rev-row >> nth=0")

    page.goto("/wiki/Celery?rev=2")
    assert "revision 2 of 4" in page.inner_text(".notice-old")
    assert page.get_by_role("button", name="Restore this revision").is_visible()
    _shoot(page, "old-revision")

    page.goto("/blame/Celery")
    assert page.locator("table.blame tr").count() >= 6
    _shoot(page, "blame")

    page.goto("/recent")
    assert page.locator(".rc-row").count() == 4
    _shoot(page, "recent")

    page.goto("/user/alice")
    assert "4 edits" in page.inner_text("main")
    _shoot(page, "contributions")


def test_long_diff_collapses_unchanged_lines(page):
    register(page)
    lines = [f"Line {k} of a long page about message brokers." for k in range(120)]
    page.goto("/edit/Brokers")
    page.get_by_label("Content").fill("\n".join(lines) + "\n")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/wiki/Brokers")
    lines[60] = "Line 60 of a long page about message queues and brokers."
    page.goto("/edit/Brokers")
    page.get_by_label("Content").fill("\n".join(lines) + "\n")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/wiki/Brokers")
    page.goto("/diff/Brokers?from=1&to=2")
    skips = page.locator("tr.diff-skip")
    assert skips.count() == 2 and "57 unchanged lines" in skips.first.inner_text()
    assert page.locator(".diff ins", has_text="queues and").count() == 1
    _shoot(page, "diff-collapsed")
    skips.first.get_by_role("link", name="show all").click()
    page.wait_for_selector("table.diff")
    assert page.locator("tr.diff-skip").count() == 0
    assert page.locator("table.diff tbody tr").count() == 121
