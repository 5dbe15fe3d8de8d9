"""Pictures in pages, in Chromium: paste an image into the editor, diagrams, math, files view."""

from __future__ import annotations

import io

from PIL import Image

from tests.browser.conftest import assert_no_horizontal_overflow, register, screenshot

PASTE_IMAGE = """
async ([selector, filename]) => {
  const canvas = document.createElement("canvas");
  canvas.width = 64;
  canvas.height = 40;
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#c33";
  ctx.fillRect(0, 0, 64, 40);
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
  const data = new DataTransfer();
  data.items.add(new File([blob], filename, { type: "image/png" }));
  const textarea = document.querySelector(selector);
  textarea.focus();
  textarea.setSelectionRange(textarea.value.length, textarea.value.length);
  textarea.dispatchEvent(
    new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true })
  );
}
"""

DIAGRAM_PAGE = """# Architecture

```mermaid
graph LR
  Browser -->|HTTPS| App[Flask app]
  App --> DB[(PostgreSQL)]
  click App callback "<script>alert('x')</script>"
  click DB "javascript:alert('y')"
```

The energy is $E = mc^2$, and the sum:

$$
\\sum_{i=1}^{n} i = \\frac{n(n+1)}{2}
$$
"""


def save(page, title: str, body: str):
    page.goto(f"/edit/{title}")
    page.get_by_label("Content").fill(body)
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"**/wiki/{title}")


def natural_width(page, selector: str) -> int:
    page.wait_for_function(
        "s => { const i = document.querySelector(s); return i && i.complete && i.naturalWidth }",
        arg=selector,
    )
    return page.eval_on_selector(selector, "img => img.naturalWidth")


def test_paste_an_image_into_the_editor(page):
    register(page)
    save(page, "Gallery", "# Gallery\n\nScreenshots below.\n\n")
    page.goto("/edit/Gallery")
    page.evaluate(PASTE_IMAGE, ["#body", "image.png"])
    preview_img = '#live-preview img[src^="/files/Gallery/pasted-"]'
    page.wait_for_selector(preview_img)
    assert natural_width(page, preview_img) == 64
    body = page.input_value("#body")
    assert body.startswith("# Gallery") and "![](pasted-" in body and "Uploading" not in body
    assert "Uploaded pasted-" in page.inner_text("#upload-status")
    # the cursor sits after the inserted link, nothing selected: typing goes on from there
    cursor = page.eval_on_selector("#body", "t => [t.selectionStart, t.selectionEnd]")
    assert cursor == [len(body)] * 2
    screenshot(page, "media-paste-editor")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/wiki/Gallery")
    assert natural_width(page, '.markdown-body img[src^="/files/Gallery/pasted-"]') == 64

    page.goto("/files/Gallery")
    assert page.locator(".files-table tbody tr").count() == 1
    assert "PNG image" in page.inner_text(".files-table")

    page.goto("/edit/Brand_new_page")
    page.evaluate(PASTE_IMAGE, ["#body", "image.png"])
    page.wait_for_selector("#upload-status.is-error")
    assert "Save the page first" in page.inner_text("#upload-status")
    assert page.input_value("#body") == ""


def test_diagram_and_formula_render_without_csp_violations(page, problems):
    register(page)
    save(page, "Architecture", DIAGRAM_PAGE)
    page.wait_for_selector(".markdown-body pre.mermaid svg")
    page.wait_for_selector(".markdown-body .katex")
    assert page.locator(".markdown-body span.arithmatex .katex").count() == 1
    assert page.locator(".markdown-body div.arithmatex .katex-display").count() == 1
    assert "Flask app" in page.text_content(".markdown-body pre.mermaid svg")
    # securityLevel 'strict': the click directives bind nothing, and nothing ran.
    page.click(".markdown-body pre.mermaid svg .node >> nth=1")
    assert page.url.endswith("/wiki/Architecture")
    assert not [p for p in problems if p.startswith("dialog")], problems
    assert page.locator('script[src*="mermaid"]').count() == 2
    assert_no_horizontal_overflow(page)
    screenshot(page, "media-diagram-formula")

    page.goto("/edit/Scratch")
    assert page.locator('script[src*="mermaid.min.js"]').count() == 0  # not until needed
    page.get_by_label("Content").fill(
        "```mermaid\nsequenceDiagram\n  Alice->>Bob: Hi\n```\n\n$a^2$"
    )
    page.wait_for_selector("#live-preview pre.mermaid svg")
    page.wait_for_selector("#live-preview .katex")
    page.get_by_label("Content").fill("```mermaid\ngraph TD\n  Start --> Stop\n```\n")
    page.wait_for_function(
        "() => (document.querySelector('#live-preview pre.mermaid svg') || {}).textContent"
        "?.includes('Stop')"
    )

    page.goto("/wiki/Architecture")
    save(page, "Plain", "No pictures here.")
    assert page.locator('script[src*="mermaid"], script[src*="katex"]').count() == 0


def test_files_view_upload_and_versions(page, tmp_path):
    register(page)
    save(page, "Django/ORM", "# ORM\n\n![Schema](schema.png)\n")
    wide = tmp_path / "schema.png"
    out = io.BytesIO()
    Image.new("RGB", (2400, 900), (40, 110, 190)).save(out, "PNG")
    wide.write_bytes(out.getvalue())
    notes = tmp_path / "notes.txt"
    notes.write_text("first")

    page.get_by_role("link", name="Files").click()
    page.wait_for_url("**/files/Django/ORM")
    for path in (wide, notes):
        page.set_input_files("input[type=file]", str(path))
        page.get_by_role("button", name="Upload").click()
        page.wait_for_selector(".flash-success")
    notes.write_text("second")
    page.set_input_files("input[type=file]", str(notes))
    page.get_by_role("button", name="Upload").click()
    page.wait_for_selector("text=2 versions")
    page.click("text=2 versions")
    assert "2400 × 900 px" in page.inner_text(".files-table")
    for width in (375, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        assert_no_horizontal_overflow(page)
    screenshot(page, "media-files-page")

    page.goto("/wiki/Django/ORM")
    shown = '.markdown-body img[src="/files/Django/ORM/schema.png"]'
    assert natural_width(page, shown) == 1600  # the display copy
    page.click(shown)  # enlarges in place, showing the original (issue 14)
    big = page.locator("dialog.lightbox[open] img")
    big.wait_for()
    assert big.get_attribute("src").endswith("/files/Django/ORM/schema.png?original=1")
    page.wait_for_function("() => document.querySelector('dialog.lightbox img').naturalWidth > 0")
    assert natural_width(page, "dialog.lightbox img") > 1600  # the original, not the copy
