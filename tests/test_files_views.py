"""Files of pages over HTTP: upload, list, serve, versions, safety headers, limits, access."""

from __future__ import annotations

import hashlib
import io
import re
import threading

import pytest
from PIL import Image
from sqlalchemy import select

from tests.conftest import save_page
from wiki.extensions import db
from wiki.models import Page

EVIL_HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"
EVIL_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'
)


def png(width: int = 12, height: int = 8, color=(10, 120, 200), fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, fmt)
    return out.getvalue()


def upload(client, title_path: str, data: bytes, filename: str, *, json=False, **fields):
    headers = {"Accept": "application/json"} if json else {}
    return client.post(
        f"/files/{title_path}",
        data={"file": (io.BytesIO(data), filename), **fields},
        content_type="multipart/form-data",
        headers=headers,
    )


@pytest.fixture
def django(client, editor):
    save_page(client, "Django", "The web framework.")
    return client


def set_flag(app, title: str, **flags):
    with app.app_context():
        page = db.session.scalar(select(Page).where(Page.title == title))
        for name, value in flags.items():
            setattr(page, name, value)
        db.session.commit()


def test_upload_list_and_serve(django):
    data = png()
    response = upload(django, "Django", data, "logo.png")
    assert response.status_code == 302 and response.headers["Location"].endswith("/files/Django")
    listing = django.get("/files/Django")
    text = listing.get_data(as_text=True)
    assert listing.status_code == 200
    assert "logo.png" in text and "PNG image" in text and "12 × 8 px" in text
    assert "bob" in text and f"{len(data)} bytes" in text and "![](logo.png)" in text
    served = django.get("/files/Django/logo.png")
    assert served.status_code == 200 and served.data == data
    assert served.headers["Content-Type"] == "image/png"
    assert served.headers["Content-Disposition"].startswith("inline")
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served.headers["Content-Security-Policy"]
    assert served.headers["ETag"] == f'"{hashlib.sha256(data).hexdigest()}"'
    again = django.get("/files/Django/logo.png", headers={"If-None-Match": served.headers["ETag"]})
    assert again.status_code == 304


def test_reupload_versions_and_restore(django, auth):
    upload(django, "Django", b"first notes", "notes.txt")
    upload(django, "Django", b"second notes", "notes.txt")
    assert django.get("/files/Django/notes.txt").data == b"second notes"
    assert django.get("/files/Django/notes.txt?version=1").data == b"first notes"
    assert django.get("/files/Django/notes.txt?version=3").status_code == 404
    assert django.get("/files/Django/notes.txt?version=x").status_code == 400
    listing = django.get("/files/Django").get_data(as_text=True)
    assert "2 versions" in listing and "Restore" in listing
    response = django.post("/restore-file/Django", data={"name": "notes.txt", "version": "1"})
    assert response.status_code == 302
    assert django.get("/files/Django/notes.txt").data == b"first notes"
    assert django.get("/files/Django/notes.txt?version=3").data == b"first notes"
    assert "3 versions" in django.get("/files/Django").get_data(as_text=True)
    assert (
        django.post("/restore-file/Django", data={"name": "nope", "version": "1"}).status_code
        == 404
    )
    assert django.post("/restore-file/Django", data={"name": "notes.txt"}).status_code == 400
    auth.logout()
    assert (
        "/login"
        in django.post("/restore-file/Django", data={"name": "notes.txt", "version": "2"}).headers[
            "Location"
        ]
    )


def test_versioned_urls_cache_long_and_current_ones_revalidate(django, auth):
    upload(django, "Django", png(), "a.png")
    for _logged_in in (True, False):
        versioned = django.get("/files/Django/a.png?version=1")
        assert "max-age=31536000" in versioned.headers["Cache-Control"]
        assert "immutable" in versioned.headers["Cache-Control"]
        current = django.get("/files/Django/a.png")
        assert "no-cache" in current.headers["Cache-Control"]
        auth.logout()


@pytest.mark.parametrize(
    ("data", "filename", "served_type"),
    [
        (EVIL_HTML, "image.png", "text/plain; charset=utf-8"),
        (EVIL_SVG, "drawing.svg", "text/plain; charset=utf-8"),
        (EVIL_HTML, "page.html", "text/plain; charset=utf-8"),
        (b"\x00\x01binary\xff", "photo.jpg", "application/octet-stream"),
    ],
)
def test_type_comes_from_content_and_scripts_are_only_downloads(
    django, data, filename, served_type
):
    upload(django, "Django", data, filename)
    served = django.get(f"/files/Django/{filename}")
    assert served.status_code == 200 and served.data == data
    assert served.headers["Content-Type"] == served_type
    assert served.headers["Content-Disposition"].startswith("attachment")
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served.headers["Content-Security-Policy"]
    assert "default-src 'none'" in served.headers["Content-Security-Policy"]


def test_pdf_is_shown_inline(django):
    pdf = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
    upload(django, "Django", pdf, "paper.bin")
    served = django.get("/files/Django/paper.bin")
    assert served.headers["Content-Type"] == "application/pdf"
    assert served.headers["Content-Disposition"].startswith("inline")
    assert "default-src 'none'" in served.headers["Content-Security-Policy"]


def test_traversal_names_are_sanitized(django):
    response = upload(django, "Django", b"root:x:0:0", "../../etc/passwd")
    assert response.status_code == 302
    assert django.get("/files/Django/passwd").data == b"root:x:0:0"
    upload(django, "Django", b"renamed", "x.txt", name="..\\..\\boot.ini")
    assert django.get("/files/Django/boot.ini").data == b"renamed"
    assert django.get("/files/Django/..%2F..%2Fetc%2Fpasswd").status_code in (400, 404)


def test_empty_file_and_missing_file_are_400(django):
    response = upload(django, "Django", b"", "empty.txt")
    assert response.status_code == 400 and "The file is empty." in response.get_data(as_text=True)
    no_file = django.post("/files/Django", data={}, content_type="multipart/form-data")
    assert no_file.status_code == 400
    bad_name = upload(django, "Django", b"x", "..")
    assert bad_name.status_code == 400


@pytest.fixture
def small_limit(app_config):
    app_config["WIKI_MAX_UPLOAD_MB"] = 1


def test_upload_limit_is_413(small_limit, django):
    over = upload(django, "Django", b"x" * (1024 * 1024 + 10), "big.txt")
    assert over.status_code == 413 and "1 MB limit" in over.get_data(as_text=True)
    way_over = upload(django, "Django", b"x" * (4 * 1024 * 1024), "huge.txt", json=True)
    assert way_over.status_code == 413 and way_over.is_json
    assert upload(django, "Django", b"x" * (1024 * 1024), "exact.txt").status_code == 302


def test_json_upload_for_the_paste_script(django):
    response = django.post(
        "/files/Django",
        data={"file": (io.BytesIO(png()), "image.png"), "unique": "y"},
        content_type="multipart/form-data",
        headers={"Accept": "application/json", "X-CSRFToken": django.csrf_token()},
        csrf=False,
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["markdown"] == "![](image.png)" and body["url"] == "/files/Django/image.png"
    assert (body["width"], body["height"], body["version"]) == (12, 8, 1)
    again = upload(django, "Django", png(3, 3), "image.png", json=True, unique="y")
    assert again.get_json()["name"] == "image-2.png"
    text = upload(django, "Django", b"hello", "notes.txt", json=True).get_json()
    assert text["markdown"] == "[notes.txt](notes.txt)"
    refused = upload(django, "Django", b"", "e.txt", json=True)
    assert refused.status_code == 400 and refused.get_json()["message"] == "The file is empty."


def test_upload_needs_a_csrf_token(django):
    response = django.post(
        "/files/Django",
        data={"file": (io.BytesIO(b"x"), "x.txt")},
        content_type="multipart/form-data",
        csrf=False,
    )
    assert response.status_code == 400
    assert django.get("/files/Django/x.txt").status_code == 404


def test_anonymous_upload_goes_to_login_and_reading_is_open(django, auth):
    upload(django, "Django", b"notes", "n.txt")
    auth.logout()
    response = upload(django, "Django", b"x", "x.txt")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    listing = django.get("/files/Django").get_data(as_text=True)
    assert "n.txt" in listing and "Log in</a> to upload" in listing and 'type="file"' not in listing
    assert django.get("/files/Django/n.txt").data == b"notes"


def test_registered_only_wiki_hides_files_from_anonymous(app_config, django, auth):
    upload(django, "Django", b"secret", "s.txt")
    django.application.config["WIKI_READ_ACCESS"] = "registered"
    assert "private" in django.get("/files/Django/s.txt?version=1").headers["Cache-Control"]
    auth.logout()
    assert django.get("/files/Django/s.txt").status_code == 302
    assert django.get("/files/Django").status_code == 302


def test_protected_page_editor_403_admin_ok(app, django, auth):
    set_flag(app, "Django", protected=True)
    response = upload(django, "Django", b"x", "x.txt")
    assert response.status_code == 403
    assert "only administrators can add files" in django.get("/files/Django").get_data(as_text=True)
    auth.logout()
    auth.login("alice")
    assert upload(django, "Django", b"x", "x.txt").status_code == 302


def test_upload_to_a_missing_page_says_save_first(django):
    response = upload(django, "Not_yet", b"x", "x.txt", json=True)
    assert response.status_code == 404 and "save it first" in response.get_json()["message"]
    assert django.get("/files/Not_yet").status_code == 404
    assert django.get("/files/Not_yet/x.txt").status_code == 404
    assert django.get("/files/Django/none.png").status_code == 404


def test_nested_titles_route_to_the_right_page(django):
    save_page(django, "Django/ORM", "Models.")
    save_page(django, "Django REST Framework", "Serializers.")
    assert upload(django, "Django/ORM", b"orm notes", "orm.txt").status_code == 302
    upload(django, "Django", b"parent notes", "orm.txt")
    upload(django, "Django_REST_Framework", b"drf", "drf.txt")
    assert django.get("/files/Django/ORM/orm.txt").data == b"orm notes"
    assert django.get("/files/Django/orm.txt").data == b"parent notes"
    assert django.get("/files/Django_REST_Framework/drf.txt").data == b"drf"
    sub_list = django.get("/files/Django/ORM")  # the sub-page's files, not a file "ORM"
    assert sub_list.status_code == 200
    assert '<h1 class="page-title">ORM</h1>' in sub_list.get_data(as_text=True)
    assert "orm.txt" in sub_list.get_data(as_text=True)
    shadow = upload(django, "Django", b"x", "ORM")
    assert shadow.status_code == 400 and "sub-page" in shadow.get_data(as_text=True)


def test_large_images_serve_a_display_copy_and_the_original_on_request(django):
    original = png(2400, 600, fmt="JPEG")
    upload(django, "Django", original, "wide.jpg")
    shown = django.get("/files/Django/wide.jpg")
    with Image.open(io.BytesIO(shown.data)) as img:
        assert img.size == (1600, 400)
    assert shown.headers["Content-Type"] == "image/jpeg"
    assert django.get("/files/Django/wide.jpg?original=1").data == original
    assert django.get("/files/Django/wide.jpg?display=1").data == shown.data
    assert "2400 × 600 px" in django.get("/files/Django").get_data(as_text=True)


def test_files_follow_a_rename(django):
    upload(django, "Django", b"notes", "n.txt")
    response = django.post("/rename/Django", data={"new_title": "Django Framework"})
    assert response.status_code == 302
    assert django.get("/files/Django_Framework/n.txt").data == b"notes"
    moved = django.get("/files/Django/n.txt?version=1")
    assert moved.status_code == 301
    assert moved.headers["Location"].endswith("/files/Django_Framework/n.txt?version=1")
    assert django.get("/files/Django").headers["Location"].endswith("/files/Django_Framework")


def test_files_are_hidden_with_a_deleted_page(django, auth):
    upload(django, "Django", png(), "a.png")
    auth.logout()
    auth.login("alice")
    assert django.post("/delete/Django").status_code == 302
    assert django.get("/files/Django/a.png").status_code == 404
    assert django.get("/files/Django/a.png?version=1").status_code == 404
    assert django.get("/files/Django").status_code == 404
    assert upload(django, "Django", b"x", "x.txt").status_code == 404


def test_page_view_loads_libraries_only_when_used(django):
    save_page(django, "Plain", "Just *text* and `code`.")
    save_page(django, "Diagram", "```mermaid\ngraph TD; A-->B\n```\n")
    save_page(django, "Formula", "Energy: $E = mc^2$")
    upload(django, "Django", png(), "logo.png")
    save_page(django, "Django", "![logo](logo.png)")

    def scripts(path):
        html = django.get(path).get_data(as_text=True)
        return re.findall(r'<script src="([^"]+)"', html), html

    plain, _ = scripts("/wiki/Plain")
    assert not [s for s in plain if "mermaid" in s or "katex" in s or "page_images" in s]
    diagram, _ = scripts("/wiki/Diagram")
    assert any("vendor/mermaid/mermaid.min.js" in s for s in diagram)
    assert any("js/mermaid_init.js" in s for s in diagram)
    assert not any("katex" in s for s in diagram)
    formula, html = scripts("/wiki/Formula")
    assert any("vendor/katex/katex.min.js" in s for s in formula) and "katex.min.css" in html
    assert not any("mermaid" in s for s in formula)
    image, html = scripts("/wiki/Django")
    assert any("page_images.js" in s for s in image)
    assert 'src="/files/Django/logo.png"' in html


def test_editor_gets_the_paste_script(django):
    html = django.get("/edit/Django").get_data(as_text=True)
    assert 'data-upload-url="/files/Django"' in html and 'data-page-exists="true"' in html
    assert "js/preview_media.js" in html and "mermaid.min.js" in html
    new = django.get("/edit/Brand_new").get_data(as_text=True)
    assert 'data-page-exists="false"' in new
    assert not re.search(r'<script src="[^"]*mermaid.min.js', html)  # loaded lazily


def test_static_vendor_files_exist(client):
    for path in (
        "/static/vendor/mermaid/mermaid.min.js",
        "/static/vendor/katex/katex.min.js",
        "/static/vendor/katex/katex.min.css",
        "/static/vendor/katex/fonts/KaTeX_Main-Regular.woff2",
        "/static/js/paste_upload.js",
        "/static/css/files.css",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        response.close()


def test_racing_uploads_of_one_name_get_distinct_versions(app, django):
    """Real threads, each with its own client (own session and connection), all at once."""
    django.get("/")
    cookie = django.get_cookie("session")
    clients = []
    for _ in range(6):
        clone = app.test_client()
        clone.set_cookie("session", cookie.value)
        clients.append(clone)
    token = django.csrf_token()
    barrier = threading.Barrier(len(clients))
    statuses: list = [None] * len(clients)

    def run(i, c):
        barrier.wait()
        response = c.post(
            "/files/Django",
            data={"file": (io.BytesIO(f"upload {i}".encode()), "race.txt"), "csrf_token": token},
            content_type="multipart/form-data",
            headers={"Accept": "application/json"},
        )
        statuses[i] = (response.status_code, (response.get_json() or {}).get("version"))

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(statuses) == [(201, n) for n in range(1, 7)]
    listing = django.get("/files/Django").get_data(as_text=True)
    assert "6 versions" in listing


def test_page_images_carry_the_attachment_dimensions(django):
    assert upload(django, "Django", png(40, 30), "arch.png").status_code in (201, 302)
    save_page(django, "Django", "The web framework.\n\n![architecture](arch.png)")
    html = django.get("/wiki/Django").get_data(as_text=True)
    assert re.search(r'<img[^>]*src="/files/Django/arch\.png"', html)
    assert 'width="40"' in html and 'height="30"' in html and 'loading="lazy"' in html
