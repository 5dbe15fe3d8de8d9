"""Log in with "remember me", log out, reload: logged out; the old cookies replayed in a
fresh browser: refused (#20 point 1). Also the profile's list of sessions."""

from tests.browser.conftest import assert_no_horizontal_overflow, register, screenshot, watch


def _log_in(page, remember: bool = True):
    page.goto("/login")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("password123")
    if remember:
        page.get_by_label("Keep me logged in").check()
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")


def test_remembered_log_in_ends_at_log_out(browser, live_server, context, page, problems):
    register(page)
    page.get_by_role("button", name="Log out").click()
    _log_in(page)
    cookies = context.cookies()
    assert {c["name"] for c in cookies} >= {"session", "remember_token"}

    other = browser.new_context(base_url=live_server.url)
    try:
        second = watch(other.new_page(), problems)
        other.add_cookies([c for c in cookies if c["name"] == "remember_token"])
        second.goto("/profile")
        assert second.url.endswith("/profile")  # the remember cookie alone logs in
        screenshot(second, "profile-sessions")
        assert "this browser" in second.inner_text("main")
        second.set_viewport_size({"width": 375, "height": 800})
        assert_no_horizontal_overflow(second)
    finally:
        other.close()

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/")
    assert "remember_token" not in {c["name"] for c in context.cookies()}
    page.reload()
    page.goto("/profile")
    assert "/login" in page.url

    replay = browser.new_context(base_url=live_server.url)
    try:
        replay.add_cookies(cookies)
        stale = watch(replay.new_page(), problems)
        stale.goto("/profile")
        assert "/login" in stale.url
        assert stale.get_by_role("button", name="Log in").is_visible()
    finally:
        replay.close()
