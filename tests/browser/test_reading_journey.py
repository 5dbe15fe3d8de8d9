"""Reading comfort in Chromium: code blocks with a language label and a keyboard Copy button
that fills the clipboard, the page tree with siblings, image captions and the enlarged view,
local times, "/" to search, the "Search all pages" suggestion row, and the print style."""

from tests.browser.conftest import screenshot
from tests.browser.content import client_for, register_user, save

CODE = 'def greet(name: str) -> str:\n    return f"Hello {name}"'


def test_copy_button_puts_the_code_on_the_clipboard(browser, live_server, live_app):
    alice = client_for(live_app)
    register_user(alice, "alice")
    save(alice, "Snippets", f"# Snippets\n\n```python\n{CODE}\n```\n\n```\nplain text\n```\n")
    ctx = browser.new_context(base_url=live_server.url)
    ctx.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = ctx.new_page()
    errors = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto("/wiki/Snippets")
    blocks = page.locator(".code-block")
    assert blocks.count() == 2
    assert blocks.nth(0).locator(".code-lang").inner_text() == "python"
    assert blocks.nth(1).locator(".code-lang").inner_text() == ""  # no language: no label
    copy = page.get_by_role("button", name="Copy python code")
    copy.focus()
    page.keyboard.press("Enter")  # works from the keyboard
    page.wait_for_function("() => document.querySelector('.code-copy').textContent === 'Copied'")
    assert page.evaluate("navigator.clipboard.readText()") == CODE
    page.get_by_role("button", name="Copy code").click()
    page.wait_for_function("async () => (await navigator.clipboard.readText()) === 'plain text'")
    assert errors == []
    ctx.close()


def test_tree_shows_ancestors_siblings_and_children(page, live_app):
    alice = client_for(live_app)
    register_user(alice, "alice")
    for title in (
        "Python",
        "Python/Testing",
        "Python/Packaging",
        "Python/Typing",
        "Python/Testing/Fixtures",
        "Python/Packaging/Wheels",
        "Rust",
    ):
        save(alice, title, f"About {title}.")
    page.goto("/wiki/Python/Testing")
    tree = page.get_by_role("navigation", name="Pages nearby")
    assert tree.get_by_role("link", name="Python", exact=True).count() == 1  # the parent
    for sibling in ("Packaging", "Typing"):
        assert tree.get_by_role("link", name=sibling, exact=True).count() == 1
    current = tree.locator("a[aria-current=page]")
    assert current.inner_text() == "Testing"
    assert tree.get_by_role("link", name="Fixtures").is_visible()  # own children: open
    assert tree.get_by_role("link", name="Rust").count() == 0  # not in this branch
    assert not tree.get_by_role("link", name="Wheels").is_visible()  # a sibling's: folded
    tree.get_by_label("1 sub-pages of Packaging").click()
    assert tree.get_by_role("link", name="Wheels").is_visible()
    screenshot(page, "page-tree")


def test_image_captions_and_click_to_enlarge(page, live_app):
    from tests.browser.content import PNG

    alice = client_for(live_app)
    register_user(alice, "alice")
    save(alice, "Pictures", "Text.")
    import io

    alice.post(
        "/files/Pictures",
        data={"file": (io.BytesIO(PNG), "dot.png"), "name": "dot.png"},
        content_type="multipart/form-data",
    )
    save(alice, "Pictures", 'Text.\n\n![A dot](/files/Pictures/dot.png "The smallest picture")\n')
    page.goto("/wiki/Pictures")
    assert page.inner_text("figure figcaption") == "The smallest picture"
    page.get_by_role("button", name="Enlarge image: A dot").click()
    dialog = page.locator("dialog.lightbox")
    assert dialog.evaluate("d => d.open")
    assert "original=1" in dialog.locator("img").get_attribute("src")
    page.keyboard.press("Escape")
    assert not dialog.evaluate("d => d.open")
    assert "/wiki/Pictures" in page.url  # enlarging did not navigate away


def test_times_are_shown_in_the_readers_time_zone(browser, live_server, live_app):
    alice = client_for(live_app)
    register_user(alice, "alice")
    save(alice, "Clock", "one")
    save(alice, "Clock", "two")
    ctx = browser.new_context(base_url=live_server.url, timezone_id="Asia/Tokyo")
    page = ctx.new_page()
    page.goto("/wiki/Clock?rev=1")
    time = page.locator(".notice-old time")
    assert time.get_attribute("datetime").endswith("Z")
    assert "UTC" not in time.inner_text() and "Asia/Tokyo" in time.get_attribute("title")
    ctx.close()
    # Without JavaScript the server's UTC text stays.
    ctx = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = ctx.new_page()
    page.goto("/wiki/Clock?rev=1")
    assert page.locator(".notice-old time").inner_text().endswith("UTC")
    ctx.close()


def test_slash_focuses_search_and_suggestions_end_with_search_all(page, live_app):
    alice = client_for(live_app)
    register_user(alice, "alice")
    save(alice, "Celery", "Task queue.")
    page.goto("/wiki/Celery")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "search-q"
    page.keyboard.type("cel")
    listbox = page.get_by_role("listbox", name="Page suggestions")
    listbox.get_by_role("option", name="Celery").wait_for()
    options = listbox.get_by_role("option")
    # The list shown for an earlier "c" may still be there: the last row follows the text.
    assert options.last.inner_text() == "Search all pages for “cel”"
    page.keyboard.press("ArrowUp")  # up from the box wraps to the last row
    page.keyboard.press("Enter")
    page.wait_for_url("**/search?q=cel")


def test_a_late_reply_for_earlier_text_does_not_replace_the_suggestions(page, live_app):
    alice = client_for(live_app)
    register_user(alice, "alice")
    save(alice, "Celery", "Task queue.")
    save(alice, "Caching", "Keep it close.")
    held = []
    page.route(lambda url: url.endswith("/search/suggest?q=c"), lambda route: held.append(route))
    page.clock.install()
    page.goto("/wiki/Celery")
    # Stop the page's clock: the wait before asking the server ends only when the test says.
    page.clock.pause_at(page.evaluate("Date.now()") + 1000)
    page.keyboard.press("/")
    with page.expect_request(lambda request: request.url.endswith("/search/suggest?q=c")):
        page.keyboard.type("c")
        page.clock.run_for(500)
    # Typed while the reply for "c" is on its way, and before the wait to ask for "cel" ends.
    page.keyboard.type("el")
    with page.expect_response(lambda response: response.url.endswith("/search/suggest?q=c")):
        held[0].continue_()
    page.wait_for_timeout(300)  # time for the page to read the late reply, and ignore it
    listbox = page.get_by_role("listbox", name="Page suggestions", include_hidden=True)
    assert listbox.get_by_role("option", include_hidden=True).count() == 0  # no "Caching"
    page.clock.run_for(500)
    listbox.get_by_role("option", name="Celery").wait_for()
    names = listbox.get_by_role("option").all_inner_texts()
    assert names == ["Celery", "Search all pages for “cel”"]


def test_print_hides_the_site_and_shows_link_urls(page, live_app):
    alice = client_for(live_app)
    register_user(alice, "alice")
    save(alice, "Printable", "## Part\n\nSee [the docs](https://docs.example.test/x).\n")
    save(alice, "Printable/Child", "c")
    page.goto("/wiki/Printable")
    page.emulate_media(media="print")
    for selector in (".site-header", ".page-sidebar", ".page-tabs", ".page-tools"):
        assert not page.locator(selector).is_visible(), selector
    link = page.locator(".markdown-body a[href^=http]")
    after = link.evaluate("a => getComputedStyle(a, '::after').content")
    assert "https://docs.example.test/x" in after


def test_source_tab_is_in_the_layout_with_copy_and_raw_link(browser, live_server, live_app):
    alice = client_for(live_app)
    register_user(alice, "alice")
    save(alice, "Notes", "# Notes\n\nSome **text**.")
    ctx = browser.new_context(base_url=live_server.url)
    ctx.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = ctx.new_page()
    page.goto("/wiki/Notes")
    page.get_by_role("link", name="Source").click()
    page.wait_for_url("**/source/Notes")
    assert page.locator(".site-header").is_visible()  # still inside the site
    page.get_by_role("button", name="Copy markdown code").click()
    page.wait_for_function(
        "async () => (await navigator.clipboard.readText()) === '# Notes\\n\\nSome **text**.'"
    )
    page.get_by_role("link", name="Raw file").click()
    page.wait_for_url("**/raw/Notes?rev=1")
    page.go_back()
    page.get_by_role("link", name="Back to the page").click()
    page.wait_for_url("**/wiki/Notes")
    ctx.close()


def test_recent_changes_are_grouped_by_the_readers_day(browser, live_server, live_app):
    alice = client_for(live_app)
    register_user(alice, "alice")
    save(alice, "Clock", "one")
    save(alice, "Other", "two")
    for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):  # UTC+14 and UTC-11
        ctx = browser.new_context(base_url=live_server.url, timezone_id=zone)
        page = ctx.new_page()
        page.goto("/recent")
        rows = page.evaluate(
            """() => [...document.querySelectorAll('li.rc-row')].map(li => {
                 const d = new Date(li.querySelector('time').getAttribute('datetime'));
                 const key = d.getFullYear() + '-' + String(d.getMonth() + 1).padStart(2, '0')
                   + '-' + String(d.getDate()).padStart(2, '0');
                 return [key, li.closest('section.rc-day').dataset.day,
                         li.querySelector('time').textContent];
               })"""
        )
        assert len(rows) == 2
        for local_day, section_day, text in rows:
            assert local_day == section_day and ":" in text
        ctx.close()
