"""Writing comfort in Chromium: Tab indents (Esc, Tab leaves), lists continue, the toolbar
and shortcuts, the leave prompt, the preview's card and scrolling, section editing merged
with a concurrent edit, "New page" and "New sub-page"."""

import re

from tests.browser.conftest import screenshot
from tests.browser.content import client_for, login, register_user, save

VALUE = "() => document.querySelector('#body').value"


def _editor(page, title="Scratch"):
    page.goto(f"/edit/{title}")
    page.wait_for_load_state("load")
    page.locator("#body").click()


def test_tab_indents_shift_tab_outdents_and_esc_tab_leaves(page, live_app):
    register_user(client_for(live_app), "alice")
    login(page)
    _editor(page)
    page.keyboard.press("Tab")
    page.keyboard.type("return 1")
    assert page.evaluate(VALUE) == "    return 1"
    assert page.evaluate("document.activeElement.id") == "body"  # Tab stayed in the editor
    page.keyboard.press("Shift+Tab")
    assert page.evaluate(VALUE) == "return 1"
    # A selection of several lines indents and outdents as a block.
    page.keyboard.press("Control+a")
    page.keyboard.type("a\nb")
    page.keyboard.press("Control+a")
    page.keyboard.press("Tab")
    assert page.evaluate(VALUE) == "    a\n    b"
    page.keyboard.press("Shift+Tab")
    assert page.evaluate(VALUE) == "a\nb"
    # Esc, then Tab: focus leaves the editor (no keyboard trap).
    page.keyboard.press("Escape")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") != "body"
    assert page.evaluate(VALUE) == "a\nb"


def test_lists_continue_and_toolbar_and_shortcuts_format(page, live_app):
    register_user(client_for(live_app), "alice")
    login(page)
    _editor(page)
    page.keyboard.type("- one\ntwo\n\nafter")  # Enter continues a list; on an empty item, ends it
    assert page.evaluate(VALUE) == "- one\n- two\nafter"
    page.keyboard.type("\n  - [x] task\nnext")  # indentation and task boxes carry on
    assert page.evaluate(VALUE).endswith("after\n  - [x] task\n  - [ ] next")
    page.keyboard.type("\n\n1. first\nsecond\n")
    assert page.evaluate(VALUE).endswith("1. first\n2. second\n3. ")
    page.keyboard.press("Control+a")
    page.keyboard.type("word")
    page.keyboard.press("Control+a")
    page.keyboard.press("Control+b")
    assert page.evaluate(VALUE) == "**word**"
    page.keyboard.press("Control+a")
    page.get_by_role("button", name="Italic (Ctrl+I)").click()
    assert page.evaluate(VALUE) == "_**word**_"
    toolbar = page.get_by_role("toolbar", name="Formatting")
    for name in ("Bold", "Italic", "Code", "Link", "Wiki link", "Heading", "Bulleted list"):
        assert toolbar.get_by_role("button", name=re.compile(f"^{name}")).count() == 1, name
    assert toolbar.get_by_role("button", name="Table").count() == 1
    assert toolbar.get_by_role("button", name="Image").count() == 1
    page.keyboard.press("Control+a")
    page.keyboard.type("Celery")
    page.keyboard.press("Control+a")
    page.keyboard.press("Control+k")
    assert page.evaluate(VALUE) == "[Celery](https://)"
    page.keyboard.type("https://docs.celeryq.dev")  # the URL part was selected
    assert page.evaluate(VALUE) == "[Celery](https://docs.celeryq.dev)"
    screenshot(page, "editor-toolbar")


def test_leaving_with_unsaved_changes_asks_first(context, live_app):
    register_user(client_for(live_app), "alice")
    page = context.new_page()  # without conftest's handler, which accepts leaving
    login(page)
    _editor(page)
    page.keyboard.type("unsaved words")
    asked = []

    def on_dialog(dialog):
        asked.append(dialog.type)
        dialog.dismiss()  # stay

    page.on("dialog", on_dialog)
    page.get_by_role("link", name="Cancel").click()
    page.wait_for_timeout(500)
    assert asked == ["beforeunload"]
    assert "/edit/Scratch" in page.url and page.evaluate(VALUE) == "unsaved words"
    # Saving does not ask.
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/wiki/Scratch")
    assert asked == ["beforeunload"]


def test_preview_shows_the_front_matter_card_and_follows_the_text(page, live_app):
    register_user(client_for(live_app), "alice")
    login(page)
    _editor(page)
    sections = "".join(f"## Part {i}\n\n" + "Some text.\n\n" * 12 for i in range(1, 12))
    page.locator("#body").fill(
        "---\nlevel: beginner\nverified_with: Python 3.12\n---\n# Guide\n\n" + sections
    )
    page.wait_for_selector("#live-preview .learning-card")
    assert "Python 3.12" in page.inner_text("#live-preview .learning-card")
    page.wait_for_selector("#live-preview h2")
    page.locator("#body").evaluate("el => { el.scrollTop = el.scrollHeight / 2; }")
    page.wait_for_function("() => document.querySelector('.preview-pane').scrollTop > 100")
    page.locator("#body").evaluate("el => { el.scrollTop = 0; }")
    page.wait_for_function("() => document.querySelector('.preview-pane').scrollTop === 0")


BODY = "Intro.\n\n## Install\n\npip install x\n\n## Use\n\nimport x\n\n## Last\n\nend\n"


def test_section_edit_saves_only_its_section_and_merges(page, live_app):
    alice = client_for(live_app)
    register_user(alice, "alice")
    save(alice, "Guide", BODY)
    login(page)
    page.goto("/wiki/Guide")
    page.get_by_role("link", name="Edit section: Use").click()
    page.wait_for_url("**/edit/Guide?section=2")
    assert page.evaluate(VALUE).startswith("## Use") and "Install" not in page.evaluate(VALUE)
    screenshot(page, "section-editor")
    # Meanwhile someone changes another section of the page.
    save(alice, "Guide", BODY.replace("end\n", "the very end\n"))
    page.locator("#body").fill("## Use\n\nimport x as y\n")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/wiki/Guide")
    assert "merged" in page.inner_text(".flashes")
    raw = alice.get("/raw/Guide").get_data(as_text=True)
    assert raw == BODY.replace("import x\n", "import x as y\n").replace("end\n", "the very end\n")


def test_new_page_and_new_sub_page(page, live_app):
    alice = client_for(live_app)
    register_user(alice, "alice")
    save(alice, "Python", "The language.")
    save(alice, "Templates/How-to", "## Steps\n\n1. first\n")
    login(page)
    page.goto("/wiki/Python")
    page.get_by_role("link", name="New sub-page").click()
    assert page.get_by_label("Title").input_value() == "Python/"
    page.get_by_label("Title").fill("Python/Testing")
    page.get_by_label("How-to").check()
    page.get_by_role("button", name="Continue to the editor").click()
    page.wait_for_url("**/edit/Python/Testing?template=Templates/How-to")
    assert "## Steps" in page.evaluate(VALUE)
    page.get_by_role("link", name="New page").click()
    page.wait_for_url("**/new")
    assert page.get_by_label("Title").input_value() == ""
