"""The attachments service: versions, content-addressed blobs, restore, limits (on both DBs)."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from tests.conftest import save_page
from wiki.extensions import db
from wiki.files import service as attachments
from wiki.files.service import AttachmentError, FileTooLarge, NotFound
from wiki.models import Attachment, Blob, Page, User
from wiki.text.filetypes import DISPLAY_WIDTH

MB = 1024 * 1024


def image_bytes(width: int, height: int, fmt: str = "PNG", color=(200, 40, 40), **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, fmt, **save)
    return out.getvalue()


@pytest.fixture
def page_and_user(app, client, editor):
    save_page(client, "Django/ORM", "Models and queries.")
    with app.app_context():
        page = db.session.scalar(select(Page).where(Page.title == "Django/ORM"))
        user = db.session.scalar(select(User).where(User.username == "bob"))
        yield page, user.id


def test_store_versions_and_dedupes_blobs(page_and_user):
    page, user_id = page_and_user
    png = image_bytes(20, 10)
    first = attachments.store_upload(page, "shot.png", png, user_id, max_bytes=MB)
    second = attachments.store_upload(page, "shot.png", b"plain text", user_id, max_bytes=MB)
    copy = attachments.store_upload(page, "again.png", png, user_id, max_bytes=MB)
    assert (first.version, second.version, copy.version) == (1, 2, 1)
    assert (first.content_type, second.content_type) == ("image/png", "text/plain")
    assert (first.width, first.height, first.size) == (20, 10, len(png))
    assert copy.blob_sha == first.blob_sha
    assert db.session.scalar(select(func.count()).select_from(Blob)) == 2
    assert attachments.blob_data(first.blob_sha) == png
    assert attachments.find_version(page, "shot.png").version == 2
    assert attachments.find_version(page, "shot.png", 1).blob_sha == first.blob_sha
    assert attachments.find_version(page, "shot.png", 3) is None
    files = attachments.list_files(page)
    assert [(f.name, [v.version for v in f.versions]) for f in files] == [
        ("again.png", [1]),
        ("shot.png", [2, 1]),
    ]
    assert files[1].latest.uploader.username == "bob"


def test_store_refuses_empty_large_and_traversal_is_sanitized(page_and_user):
    page, user_id = page_and_user
    with pytest.raises(AttachmentError) as empty:
        attachments.store_upload(page, "empty.txt", b"", user_id, max_bytes=MB)
    assert empty.value.status == 400
    with pytest.raises(FileTooLarge) as large:
        attachments.store_upload(page, "big.bin", b"x" * (MB + 1), user_id, max_bytes=MB)
    assert large.value.status == 413
    stored = attachments.store_upload(page, "../../etc/passwd", b"root:x:0", user_id, max_bytes=MB)
    assert stored.name == "passwd"
    assert db.session.scalar(select(func.count()).select_from(Attachment)) == 1


def test_unique_picks_a_free_name(page_and_user):
    page, user_id = page_and_user
    names = [
        attachments.store_upload(page, "image.png", image_bytes(2, 2), user_id, max_bytes=MB).name
        for _ in range(2)
    ]
    names.append(
        attachments.store_upload(
            page, "image.png", image_bytes(3, 3), user_id, max_bytes=MB, unique=True
        ).name
    )
    names.append(
        attachments.store_upload(
            page, "README", b"read me", user_id, max_bytes=MB, unique=True
        ).name
    )
    assert names == ["image.png", "image.png", "image-2.png", "README"]


def test_large_image_gets_a_display_copy(page_and_user):
    page, user_id = page_and_user
    stored = attachments.store_upload(
        page, "wide.jpg", image_bytes(4000, 1000, "JPEG"), user_id, max_bytes=5 * MB
    )
    assert stored.display_sha and stored.display_sha != stored.blob_sha
    with Image.open(io.BytesIO(attachments.blob_data(stored.display_sha))) as copy:
        assert copy.size == (DISPLAY_WIDTH, 400)


def test_restore_adds_a_version_with_the_old_bytes(page_and_user):
    page, user_id = page_and_user
    v1 = attachments.store_upload(page, "notes.txt", b"first", user_id, max_bytes=MB)
    attachments.store_upload(page, "notes.txt", b"second", user_id, max_bytes=MB)
    v1_sha = v1.blob_sha
    restored = attachments.restore_version(page, "notes.txt", 1, user_id)
    assert restored.version == 3 and restored.blob_sha == v1_sha
    assert attachments.blob_data(attachments.find_version(page, "notes.txt").blob_sha) == b"first"
    with pytest.raises(NotFound):
        attachments.restore_version(page, "notes.txt", 9, user_id)


def test_refuses_a_name_that_shadows_a_sub_page(app, client, editor):
    save_page(client, "Django", "Web framework.")
    save_page(client, "Django/ORM", "Models.")
    with app.app_context():
        page = db.session.scalar(select(Page).where(Page.title == "Django"))
        user_id = db.session.scalar(select(User.id).where(User.username == "bob"))
        with pytest.raises(AttachmentError, match="sub-page"):
            attachments.store_upload(page, "ORM", b"text", user_id, max_bytes=MB)
        assert attachments.store_upload(page, "ORM.txt", b"text", user_id, max_bytes=MB).version


def test_deleted_page_takes_no_uploads(page_and_user):
    page, user_id = page_and_user
    page.deleted = True
    db.session.commit()
    with pytest.raises(NotFound):
        attachments.store_upload(page, "late.txt", b"too late", user_id, max_bytes=MB)


def test_blob_cache_keeps_recent_blobs_within_its_budget():
    cache = attachments.BlobCache(budget=10, largest=6)
    cache.put("a", b"aaaa")
    cache.put("b", b"bbbb")
    assert cache.get("a") == b"aaaa"  # now the most recently used
    cache.put("c", b"cccc")  # over budget: "b", the least recently used, goes
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (b"aaaa", None, b"cccc")
    cache.put("big", b"x" * 7)  # larger than ``largest``: never cached
    assert cache.get("big") is None and cache.get("a") == b"aaaa"


def test_blob_bytes_reads_through_the_cache(page_and_user):
    page, user_id = page_and_user
    stored = attachments.store_upload(page, "c.txt", b"cached bytes", user_id, max_bytes=MB)
    sha = stored.blob_sha
    assert attachments.blob_bytes(sha) == b"cached bytes"
    assert attachments.blob_bytes("0" * 64) is None
