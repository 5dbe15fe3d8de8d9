"""Uploaded images: no EXIF/XMP when served, a pixel budget checked from the header, one
image decode at a time per worker (#20 points 5 and 9); HSTS under WIKI_HTTPS."""

from __future__ import annotations

import hashlib
import io

import pytest
from PIL import Image, PngImagePlugin
from sqlalchemy import select

from tests.conftest import CSRFClient, save_page
from wiki import create_app
from wiki.extensions import db
from wiki.files import service as attachments
from wiki.files.stored_metadata import strip_stored_images
from wiki.models import Attachment, Blob, Page
from wiki.text.image_metadata import MetadataError, strip_metadata

XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description GPSLatitude="51,30.0N"/></x:xmpmeta>'
GPS_TAG = 0x8825


def _exif(orientation: int = 1):
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "SecretCam"  # camera make
    exif.get_ifd(GPS_TAG)[2] = (51.0, 30.0, 0.0)  # GPSLatitude
    exif.get_ifd(GPS_TAG)[1] = "N"
    return exif


def photo(fmt: str, size=(2400, 1200), orientation: int = 1) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", size, (120, 80, 40))
    if fmt == "PNG":
        info = PngImagePlugin.PngInfo()
        info.add_text("Comment", "taken at home")
        info.add_itxt("XML:com.adobe.xmp", XMP.decode())
        image.save(out, "PNG", pnginfo=info, exif=_exif(orientation))
    else:
        image.save(out, fmt, exif=_exif(orientation), xmp=XMP)
    return out.getvalue()


def _has_metadata(data: bytes) -> bool:
    return any(marker in data for marker in (b"SecretCam", b"xmpmeta", b"taken at home", b"GPS"))


def upload(client, title: str, data: bytes, name: str):
    return client.post(
        f"/files/{title}",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
        headers={"Accept": "application/json"},
    )


@pytest.fixture
def page_client(client, editor):
    save_page(client, "Trip", "Photos.")
    return client


@pytest.mark.parametrize(("fmt", "name"), [("JPEG", "a.jpg"), ("PNG", "a.png"), ("WEBP", "a.webp")])
def test_served_images_carry_no_location(page_client, fmt, name):
    data = photo(fmt)
    assert _has_metadata(data)
    assert upload(page_client, "Trip", data, name).status_code == 201
    for query in ("", "?original=1"):
        served = page_client.get(f"/files/Trip/{name}{query}")
        assert served.status_code == 200
        assert not _has_metadata(served.data), query
        with Image.open(io.BytesIO(served.data)) as image:
            image.load()  # still a valid image
            assert GPS_TAG not in image.getexif()


def test_jpeg_keeps_only_its_orientation():
    stripped = strip_metadata(photo("JPEG", (40, 20), orientation=6), "image/jpeg")
    assert not _has_metadata(stripped)
    with Image.open(io.BytesIO(stripped)) as image:
        assert dict(image.getexif()) == {0x0112: 6}
        assert image.size == (40, 20)


def test_stripping_is_lossless_and_damaged_files_are_refused():
    data = photo("PNG", (30, 20))
    with (
        Image.open(io.BytesIO(data)) as before,
        Image.open(io.BytesIO(strip_metadata(data, "image/png"))) as after,
    ):
        assert before.tobytes() == after.tobytes()
    with pytest.raises(MetadataError):  # damaged, with EXIF inside: refused
        strip_metadata(b"\xff\xd8\xff\xe1\xff\xffExif\x00\x00 truncated", "image/jpeg")
    damaged = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR truncated"  # no metadata: kept
    assert strip_metadata(damaged, "image/png") == damaged
    assert strip_metadata(b"%PDF-1.4 text", "application/pdf") == b"%PDF-1.4 text"


def test_images_over_the_pixel_budget_are_refused(app_config):
    app = create_app(**{**app_config, "WIKI_MAX_IMAGE_PIXELS": 2_000_000})
    app.test_client_class = CSRFClient
    client = app.test_client()
    client.post(
        "/register", data={"username": "ann", "password": "password123", "confirm": "password123"}
    )
    save_page(client, "Trip", "Photos.")
    response = upload(client, "Trip", photo("PNG", (2000, 1500)), "big.png")
    assert response.status_code == 413
    assert "2000 × 1500 pixels" in response.get_json()["message"]
    assert client.get("/files/Trip/big.png").status_code == 404
    assert upload(client, "Trip", photo("PNG", (1600, 1200)), "ok.png").status_code == 201


def test_default_budget_refuses_a_49_megapixel_bomb(page_client):
    out = io.BytesIO()
    Image.new("1", (7000, 7000)).save(out, "PNG")  # compresses to a few KB
    response = upload(page_client, "Trip", out.getvalue(), "bomb.png")
    assert response.status_code == 413


def test_image_processing_waits_for_a_free_slot(page_client, monkeypatch):
    monkeypatch.setattr(attachments, "IMAGE_WAIT_SECONDS", 0.1)
    assert attachments._image_slots.acquire(timeout=5)  # another upload is being processed
    try:
        response = upload(page_client, "Trip", photo("PNG", (20, 10)), "wait.png")
    finally:
        attachments._image_slots.release()
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert upload(page_client, "Trip", photo("PNG", (20, 10)), "wait.png").status_code == 201


def test_hsts_only_under_https(app_config):
    plain = create_app(**app_config).test_client().get("/")
    assert "Strict-Transport-Security" not in plain.headers
    secure = create_app(**{**app_config, "WIKI_HTTPS": True}).test_client().get("/")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def _store_the_old_way(app, title: str, name: str, data: bytes, content_type: str) -> str:
    """An attachment as uploads stored it before they were stripped: bytes as sent."""
    sha = hashlib.sha256(data).hexdigest()
    with app.app_context():
        page = db.session.scalar(select(Page).where(Page.title == title))
        db.session.add(Blob(sha256=sha, data=data, size=len(data)))
        db.session.flush()  # no relationship orders the two inserts
        db.session.add(
            Attachment(
                page_id=page.id,
                name=name,
                version=1,
                blob_sha=sha,
                content_type=content_type,
                size=len(data),
                width=2400,
                height=1200,
            )
        )
        db.session.commit()
    return sha


def test_images_stored_before_stripping_are_served_and_rewritten_without_gps(app, page_client):
    data = photo("JPEG")
    old_sha = _store_the_old_way(app, "Trip", "old.jpg", data, "image/jpeg")
    served = page_client.get("/files/Trip/old.jpg")  # stripped while served, before the fix
    assert served.status_code == 200 and not _has_metadata(served.data)
    with Image.open(io.BytesIO(served.data)) as image:
        assert GPS_TAG not in image.getexif() and image.size == (2400, 1200)

    with app.app_context():
        report = strip_stored_images(db.session.connection())
        db.session.commit()
        assert (report.checked, report.rewritten, report.damaged) == (1, 1, 0)
        assert db.session.get(Blob, old_sha) is None  # nothing refers to it any more
        stored = db.session.scalar(select(Attachment).where(Attachment.name == "old.jpg"))
        assert not _has_metadata(db.session.get(Blob, stored.blob_sha).data)
        assert stored.size == len(db.session.get(Blob, stored.blob_sha).data)
        again = strip_stored_images(db.session.connection())  # idempotent
        assert (again.checked, again.rewritten) == (1, 0)

    upload(page_client, "Trip", photo("PNG", (30, 20)), "old.jpg")  # version 2
    restored = page_client.post("/restore-file/Trip", data={"name": "old.jpg", "version": "1"})
    assert restored.status_code in (200, 302, 303)
    served = page_client.get("/files/Trip/old.jpg")
    assert served.headers["Content-Type"] == "image/jpeg" and not _has_metadata(served.data)
    assert page_client.get("/files/Trip/old.jpg?version=1").status_code == 200


def test_a_damaged_old_image_with_metadata_is_never_served(app, page_client):
    damaged = b"\xff\xd8\xff\xe1\xff\xffExif\x00\x00GPS truncated"
    _store_the_old_way(app, "Trip", "broken.jpg", damaged, "image/jpeg")
    result = app.test_cli_runner().invoke(args=["files", "strip-metadata"])
    assert result.exit_code == 0, result.output
    assert "1 images checked, 0 stripped, 1 damaged" in result.output
    response = page_client.get("/files/Trip/broken.jpg?original=1")
    assert response.status_code == 403 and b"GPS" not in response.data
