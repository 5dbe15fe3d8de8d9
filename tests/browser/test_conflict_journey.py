"""Two browsers edit one page at once: B saves, A's overlapping save opens the per-block
chooser, A picks per block (applied live by conflict.js), saves, and both edits are kept."""

from tests.browser.conftest import assert_no_horizontal_overflow, register, screenshot, watch

BASE = "# Shared notes\n\nIntro line.\n\nalpha\nbeta\ngamma\ndelta\nepsilon\nzeta\n"
THEIRS = BASE.replace("alpha", "alpha, as bob put it").replace("zeta", "zeta (bob)")
MINE = BASE.replace("alpha", "alpha, as alice put it").replace("zeta", "zeta (alice)")
MINE = MINE.replace("Intro line.", "Intro line, clarified by alice.")


def open_editor(page, title):
    page.goto(f"/edit/{title}")
    page.wait_for_selector("#editor-form")


def test_two_editors_resolve_a_conflict_block_by_block(browser, live_server, problems):
    contexts = [
        browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
        for _ in range(2)
    ]
    a, b = (watch(ctx.new_page(), problems) for ctx in contexts)
    try:
        register(a, "alice")
        register(b, "bob")
        open_editor(a, "Shared_notes")
        a.get_by_label("Content").fill(BASE)
        a.get_by_role("button", name="Save").click()
        a.wait_for_url("**/wiki/Shared_notes")

        open_editor(a, "Shared_notes")  # both start from revision 1
        open_editor(b, "Shared_notes")
        with a.expect_response(lambda r: r.url.endswith("/draft/Shared_notes")):
            a.get_by_label("Content").fill(MINE)  # autosaved: alice shows as editing
        b.goto("/wiki/Shared_notes")
        assert "alice is editing this page (since" in b.inner_text(".notice-presence")
        screenshot(b, "presence-on-view")
        open_editor(b, "Shared_notes")
        assert "alice is editing this page" in b.inner_text(".notice-presence")
        b.get_by_label("Content").fill(THEIRS)
        b.get_by_role("button", name="Save").click()
        b.wait_for_url("**/wiki/Shared_notes")

        with a.expect_response(lambda r: r.request.method == "POST" and "/edit/" in r.url) as info:
            a.get_by_role("button", name="Save").click()
        assert info.value.status == 409
        a.wait_for_selector(".conflict-block")
        assert a.locator(".conflict-block").count() == 2
        assert "bob saved revision 2" in a.inner_text(".conflict-page .flash-error")
        result = a.locator("textarea[name=body]")
        assert "Intro line, clarified by alice." in result.input_value()  # merged already
        screenshot(a, "conflict-chooser")

        a.locator("#conflict-1").get_by_label("Keep yours").check()
        text = result.input_value()
        assert "<<<<<<< conflict 1" not in text and "alpha, as alice put it\n" in text
        assert "<<<<<<< conflict 2" in text
        a.locator("#conflict-1").get_by_label("Keep theirs").check()  # change of mind
        assert "alpha, as bob put it\n" in result.input_value()
        assert "alpha, as alice put it" not in result.input_value()
        a.locator("#conflict-1").get_by_label("Keep yours").check()
        a.locator("#conflict-2").get_by_label("Keep both").check()
        text = result.input_value()
        assert "<<<<<<<" not in text and "zeta (bob)\nzeta (alice)\n" in text
        screenshot(a, "conflict-chooser-resolved")
        for width in (375, 1280):
            a.set_viewport_size({"width": width, "height": 900})
            assert_no_horizontal_overflow(a)

        a.get_by_role("button", name="Save").click()
        a.wait_for_url("**/wiki/Shared_notes")
        raw = contexts[0].request
        assert raw.get("/raw/Shared_notes?rev=2").text() == THEIRS
        expected = MINE.replace("zeta (alice)", "zeta (bob)\nzeta (alice)")
        assert raw.get("/raw/Shared_notes?rev=3").text() == expected
        assert raw.get("/raw/Shared_notes?rev=4").status == 404
        assert "Revision 3" in a.inner_text(".page-meta")
    finally:
        for ctx in contexts:
            ctx.close()
    assert not [p for p in problems if "Content Security Policy" in p or "pageerror" in p], problems
