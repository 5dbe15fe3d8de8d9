"""A tab closed mid-edit, after autosave fired: the draft is offered on return and restores
into the editor without a reload; saving it removes the draft."""

from urllib.parse import urlsplit

from tests.browser.conftest import assert_no_horizontal_overflow, register, screenshot, watch


def test_closed_tab_draft_is_offered_and_restored(context, page, problems):
    register(page, "carol")
    page.goto("/edit/Journal")
    page.get_by_label("Content").fill("first line\n")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/wiki/Journal")

    page.goto("/edit/Journal")
    unsaved = "first line\n\nA second thought I never saved.\n"
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith("/draft/Journal")
    ) as autosave:
        page.get_by_label("Content").fill(unsaved)
    assert autosave.value.json()["status"] == "saved"
    page.wait_for_selector("#draft-status:has-text('Draft saved')")
    page.close()  # the tab is gone; nothing was submitted

    back = watch(context.new_page(), problems)
    back.goto("/edit/Journal")
    offer = back.locator("#draft-offer")
    assert "Restore your unsaved draft from" in offer.inner_text()
    assert "(based on revision 1)" in offer.inner_text()
    assert back.get_by_label("Content").input_value() == "first line\n"
    screenshot(back, "draft-offer")
    back.set_viewport_size({"width": 375, "height": 800})
    assert_no_horizontal_overflow(back)
    screenshot(back, "draft-offer-narrow")
    back.set_viewport_size({"width": 1280, "height": 900})

    url = back.url
    back.locator("#draft-restore").click()
    back.wait_for_selector("#draft-offer", state="detached")
    assert back.url == url  # restored in place, no reload
    assert back.get_by_label("Content").input_value() == unsaved
    assert "Restored your draft" in back.inner_text("#draft-status")
    back.wait_for_selector("#live-preview :text('A second thought')")
    back.get_by_role("button", name="Save").click()
    back.wait_for_url("**/wiki/Journal")
    assert "A second thought I never saved." in back.inner_text(".markdown-body")
    assert context.request.get("/draft/Journal").status == 404
    back.goto("/edit/Journal")
    assert back.locator("#draft-offer").count() == 0


def test_discarding_the_offer_resumes_autosave(context, page):
    register(page, "dave")
    page.goto("/edit/Scratch")
    with page.expect_response(lambda r: r.url.endswith("/draft/Scratch")):
        page.get_by_label("Content").fill("an abandoned idea")
    page.goto("/edit/Scratch")
    page.get_by_role("button", name="Discard").click()
    page.wait_for_selector("#draft-offer", state="detached")
    assert page.get_by_label("Content").input_value() == ""
    assert context.request.get("/draft/Scratch").status == 404
    with page.expect_response(lambda r: r.url.endswith("/draft/Scratch")) as again:
        page.get_by_label("Content").fill("a fresh start")
    assert again.value.json()["status"] == "saved"


def test_logged_out_mid_edit_keeps_autosaving_and_saves_after_logging_in(context, page):
    register(page, "erin")
    page.goto("/edit/Diary")
    page.get_by_label("Content").fill("day one\n")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/wiki/Diary")
    page.goto("/edit/Diary")

    other = context.new_page()  # the session ends elsewhere (another tab, or a timeout)
    other.goto("/")
    other.get_by_role("button", name="Log out").click()

    with page.expect_response(lambda r: r.url.endswith("/draft/Diary")) as autosave:
        page.get_by_label("Content").fill("day one\nday two, typed after the session ended\n")
    refused = autosave.value.json()  # logged out: no server-side draft, the tab keeps it
    assert autosave.value.status == 400 and refused["status"] == "expired"
    page.wait_for_selector("#draft-status:has-text('You are logged out')")
    assert context.request.get("/draft/Diary").status == 401
    screenshot(page, "draft-logged-out")

    other.goto("/login")
    other.get_by_label("Username").fill("erin")
    other.get_by_label("Password").fill("password123")
    other.get_by_role("button", name="Log in").click()
    other.wait_for_url("**/")
    # Back to the editor tab: it fetches fresh tokens. Its "logged in again" notice may be
    # replaced at once by the autosave that follows, so wait for the tokens, not the notice.
    with page.expect_response(lambda r: r.url.endswith("/draft/Diary/token")) as refreshed:
        page.evaluate("window.dispatchEvent(new Event('focus'))")
    assert refreshed.value.ok and refreshed.value.json()["status"] == "ok"
    page.wait_for_function(
        "() => !document.querySelector('#draft-status').textContent.includes('logged out')"
    )
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/wiki/Diary")
    assert "day two, typed after the session ended" in page.inner_text(".markdown-body")


_RECORD_DRAFT_STATUS = """
window.__draftStatuses = [];
document.addEventListener("DOMContentLoaded", () => {
  const status = document.getElementById("draft-status");
  if (!status) return;
  const note = () => window.__draftStatuses.push(status.textContent);
  note();
  new MutationObserver(note).observe(status, {childList: true, characterData: true, subtree: true});
});
"""


def test_saving_while_logged_out_keeps_the_text_in_the_tab_until_log_in(context, page):
    register(page, "fay")
    page.goto("/edit/Notes")
    other = context.new_page()
    other.goto("/")
    other.get_by_role("button", name="Log out").click()
    # Closing the tab while the log-out's POST is still navigating once hung Chromium's
    # close for minutes: wait until the logged-out page is shown.
    other.get_by_role("navigation", name="Site").get_by_role("link", name="Log in").wait_for()
    other.close()

    page.get_by_label("Content").fill("typed after my session ended\n")
    page.get_by_role("button", name="Save").click()  # refused: shown again, nothing stored
    page.wait_for_selector("text=stays in this browser")
    assert page.get_by_label("Content").input_value() == "typed after my session ended\n"
    # The notice is in the HTML; drafts.js keeps the text when it runs, a moment later (on
    # a busy machine the log-in page below was once opened first, and nothing was kept).
    page.wait_for_function(
        "() => Object.keys(sessionStorage).some(k => k.startsWith('nexus-kept-text:')"
        " && sessionStorage.getItem(k).includes('typed after my session ended'))"
    )
    # The notice is replaced by the autosave's status a moment later: record every status
    # the editor shows, so a slow machine cannot miss it.
    page.add_init_script(_RECORD_DRAFT_STATUS)
    page.goto("/login?next=/edit/Notes")
    page.get_by_label("Username").fill("fay")
    page.get_by_label("Password").fill("password123")
    page.get_by_role("button", name="Log in").click()
    # Not the glob "**/edit/Notes": the log-in page's own URL (?next=/edit/Notes) matches it.
    page.wait_for_url(lambda url: urlsplit(url).path == "/edit/Notes")
    page.wait_for_function(
        "() => (window.__draftStatuses || []).some(t => t.includes('before logging in is back'))"
    )
    assert page.get_by_label("Content").input_value() == "typed after my session ended\n"
    screenshot(page, "kept-text-restored")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/wiki/Notes")
    assert "typed after my session ended" in page.inner_text(".markdown-body")
