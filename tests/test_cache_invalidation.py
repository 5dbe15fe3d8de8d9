"""Caches that are never wrong (#21): every change that can alter a page view reaches every
cache — the render cache table, each worker's HTML cache and the anonymous whole-page cache.

Two apps on one database play two workers: both have viewed the page (logged in and out)
before the change, so a stale entry anywhere would show.
"""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from sqlalchemy import select

from tests.conftest import CSRFClient, save_page
from wiki import create_app
from wiki.discuss.models import Thread
from wiki.extensions import db
from wiki.models import Page, RenderCache, Revision

PASSWORD = "password123"


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (10, 200, 30)).save(out, "PNG")
    return out.getvalue()


class Worker:
    """One app (a worker process) with an anonymous reader and a logged-in admin."""

    def __init__(self, app):
        self.app = app
        app.test_client_class = CSRFClient
        self.reader = app.test_client()
        self.admin = app.test_client()
        response = self.admin.post("/login", data={"username": "alice", "password": PASSWORD})
        assert response.status_code == 302

    def views(self, title: str) -> list[str]:
        path = "/wiki/" + title.replace(" ", "_")
        pages = [self.reader.get(path), self.admin.get(path)]
        assert [p.status_code for p in pages] == [200, 200], path
        return [p.get_data(as_text=True) for p in pages]


@pytest.fixture
def workers(request, app_config, client, editor):
    """Two workers, alice (admin) logged in on both; ``client`` is bob (editor).
    Parametrized indirectly with False: the whole-page cache is off, so the views are built
    from the kept parts (the page tree and footer, wiki/pages/fragments.py)."""
    app_config = {**app_config, "WIKI_PAGE_CACHE": getattr(request, "param", True)}
    first = Worker(create_app(**app_config))
    second = Worker(create_app(**app_config))
    yield first, second, client
    for worker in (first, second):
        with worker.app.app_context():
            db.session.remove()
            db.engine.dispose()


def _everywhere(workers, title: str) -> list[str]:
    first, second, _ = workers
    return first.views(title) + second.views(title)


def _warm(workers, title: str) -> None:
    for _ in range(2):  # the second time from the caches
        _everywhere(workers, title)


def _assert_all(workers, title: str, predicate, what: str) -> None:
    views = _everywhere(workers, title)
    wrong = [i for i, html in enumerate(views) if not predicate(html)]
    names = ["worker 1 anonymous", "worker 1 logged in", "worker 2 anonymous", "worker 2 logged in"]
    assert not wrong, f"{what}: stale in " + ", ".join(names[i] for i in wrong)
    first = workers[0]
    with first.app.app_context():  # the table's row for the current revision is current too
        page = db.session.scalar(select(Page).where(Page.title == title))
        current = db.session.scalar(
            select(Revision.id).where(
                Revision.page_id == page.id, Revision.number == page.current_rev
            )
        )
        row = db.session.get(RenderCache, current)
        assert row is not None and row.generation == page.generation, what
        # The article alone: the badge, sub-page list and tab count are around it.
        chrome = (
            "protect",
            "sub-page moved away",
            "thread opened",
            "thread resolved",
            "thread reopened",
        )
        assert predicate(row.html) or what in chrome, what


def _sized(html: str, width: int, height: int) -> bool:
    img = re.search(r"<img [^>]*>", html)
    return bool(img) and f'width="{width}"' in img[0] and f'height="{height}"' in img[0]


def test_edit(workers):
    save_page(workers[2], "Topic", "first text")
    _warm(workers, "Topic")
    save_page(workers[2], "Topic", "second text")
    _assert_all(workers, "Topic", lambda h: "second text" in h, "edit")


def test_linked_page_created_and_deleted(workers):
    first, _, bob = workers
    save_page(bob, "Linker", "see [[Target]]")
    _warm(workers, "Linker")
    save_page(bob, "Target", "here")
    _assert_all(workers, "Linker", lambda h: "wikilink missing" not in h, "linked page created")
    assert first.admin.post("/delete/Target").status_code == 302
    _assert_all(workers, "Linker", lambda h: "wikilink missing" in h, "linked page deleted")
    assert first.admin.post("/restore/Target").status_code == 302
    _assert_all(workers, "Linker", lambda h: "wikilink missing" not in h, "restore")


def test_rename_turns_links_blue_and_moves_sub_pages(workers):
    first, _, bob = workers
    save_page(bob, "Parent", "the parent")
    save_page(bob, "Parent/Child", "a child")
    save_page(bob, "Linker", "see [[Elsewhere/Child]]")
    _warm(workers, "Parent")
    _warm(workers, "Linker")
    form = {"new_title": "Elsewhere/Child", "submit": "Rename", "rewrite_links": ""}
    assert first.admin.post("/rename/Parent/Child", data=form).status_code == 302
    _assert_all(workers, "Parent", lambda h: "/wiki/Parent/Child" not in h, "sub-page moved away")
    _assert_all(workers, "Linker", lambda h: "wikilink missing" not in h, "rename")


def _tree(html: str) -> str:
    """The page tree beside the page (its neighbours), not the article."""
    return html[
        html.index('class="page-tree"') : html.index("</nav>", html.index('class="page-tree"'))
    ]


def _in_every(part, workers, title: str, predicate, what: str) -> None:
    """``predicate`` holds for ``part`` (the tree or the footer) of every view of ``title``."""
    views = _everywhere(workers, title)
    names = ["worker 1 anonymous", "worker 1 logged in", "worker 2 anonymous", "worker 2 logged in"]
    wrong = [names[i] for i, html in enumerate(views) if not predicate(part(html))]
    assert not wrong, f"{what}: stale {part.__name__.strip('_')} in " + ", ".join(wrong)


def _in_every_tree(workers, title: str, predicate, what: str) -> None:
    _in_every(_tree, workers, title, predicate, what)


WHOLE_PAGES_OR_PARTS = pytest.mark.parametrize(
    "workers", [True, False], indirect=True, ids=["whole-page cache", "parts only"]
)


@WHOLE_PAGES_OR_PARTS
def test_the_page_tree_follows_its_neighbours(workers):
    """A page's neighbours change without any change to the page itself."""
    first, _, bob = workers
    save_page(bob, "Course/One", "the first lesson")
    _warm(workers, "Course/One")
    save_page(bob, "Course/Two", "the second lesson")
    _in_every_tree(workers, "Course/One", lambda t: "/wiki/Course/Two" in t, "sibling created")
    save_page(bob, "Course/Two/Exercises", "practice")
    _in_every_tree(
        workers, "Course/One", lambda t: "sub-pages of Two" in t, "a sibling's sub-page created"
    )
    assert first.admin.post("/delete/Course/Two").status_code == 302
    _in_every_tree(workers, "Course/One", lambda t: '/wiki/Course/Two"' not in t, "deleted")
    assert first.admin.post("/restore/Course/Two").status_code == 302
    _in_every_tree(workers, "Course/One", lambda t: '/wiki/Course/Two"' in t, "restored")
    form = {"new_title": "Course/Lesson Two", "submit": "Rename", "rewrite_links": ""}
    assert first.admin.post("/rename/Course/Two", data=form).status_code == 302
    _in_every_tree(
        workers, "Course/One", lambda t: "/wiki/Course/Lesson_Two" in t, "sibling renamed"
    )


def _footer(html: str) -> str:
    """The tags and sub-pages under the page."""
    start = html.index('class="page-structure"')
    return html[start : html.index("</section>", start)]


@WHOLE_PAGES_OR_PARTS
def test_the_footer_follows_tags_and_sub_pages(workers):
    first, _, bob = workers
    save_page(bob, "Course", "---\ntags: [python]\n---\nThe course.")
    _warm(workers, "Course")
    save_page(bob, "Course", "---\ntags: [django, celery]\n---\nThe course.")
    _in_every(
        _footer,
        workers,
        "Course",
        lambda f: "/tags/django" in f and "/tags/python" not in f,
        "tags edited",
    )
    save_page(bob, "Course/Week 1", "the first week")
    _in_every(_footer, workers, "Course", lambda f: "/wiki/Course/Week_1" in f, "sub-page")
    assert first.admin.post("/delete/Course/Week_1").status_code == 302
    _in_every(_footer, workers, "Course", lambda f: "Week_1" not in f, "sub-page deleted")


def test_protect(workers):
    first, _, bob = workers
    save_page(bob, "Guarded", "text")
    _warm(workers, "Guarded")
    response = first.admin.post("/protect/Guarded", data={"protected": "1"})
    assert response.status_code == 302
    _assert_all(workers, "Guarded", lambda h: ">protected</span>" in h, "protect")


def test_discussion_opened_and_resolved_change_the_tab_count(workers):
    first, _, bob = workers
    save_page(bob, "Talked", "text")
    _warm(workers, "Talked")
    made = bob.post("/discuss/Talked", data={"subject": "Why?", "body": "Tell me."})
    assert made.status_code == 302
    _assert_all(workers, "Talked", lambda h: "(1 open)" in h, "thread opened")
    with first.app.app_context():
        thread = db.session.scalar(select(Thread.id))
        assert db.session.scalar(select(Page.open_threads).where(Page.title == "Talked")) == 1
    assert bob.post(f"/discuss/Talked/{thread}/resolve").status_code == 302
    _assert_all(workers, "Talked", lambda h: "open)" not in h, "thread resolved")
    assert bob.post(f"/discuss/Talked/{thread}/reopen").status_code == 302
    _assert_all(workers, "Talked", lambda h: "(1 open)" in h, "thread reopened")


def test_upload_and_attachment_restore_change_image_sizes(workers):
    first, _, bob = workers
    save_page(bob, "Gallery", "![diagram](d.png)")
    upload = {"file": (io.BytesIO(_png(40, 20)), "d.png")}
    assert first.admin.post("/files/Gallery", data=upload).status_code in (201, 302)
    _assert_all(workers, "Gallery", lambda h: _sized(h, 40, 20), "upload")
    _warm(workers, "Gallery")
    upload = {"file": (io.BytesIO(_png(64, 48)), "d.png")}
    assert first.admin.post("/files/Gallery", data=upload).status_code in (201, 302)
    _assert_all(workers, "Gallery", lambda h: _sized(h, 64, 48), "re-upload")
    _warm(workers, "Gallery")
    restore = {"name": "d.png", "version": "1"}
    assert first.admin.post("/restore-file/Gallery", data=restore).status_code == 302
    _assert_all(workers, "Gallery", lambda h: _sized(h, 40, 20), "file restore")


def test_query_strings_the_view_ignores_share_one_entry(app, client, editor):
    from wiki.pages import page_cache

    save_page(client, "Big", "word " * 2000)
    app.test_client_class = CSRFClient
    reader = app.test_client()
    for n in range(50):
        assert reader.get(f"/wiki/Big?x={n}").status_code == 200
    store = page_cache.store_of(app)
    assert len(store.entries) == 1
    assert reader.get("/wiki/Big?rev=1").status_code == 200
    assert len(store.entries) == 2  # ``rev`` is read by the view: its own entry


def test_caches_stay_within_their_byte_budgets(app_config, client, editor):
    from wiki.pages import page_cache

    app_config.update(
        WIKI_PAGE_CACHE_BYTES=400_000,
        WIKI_HTML_CACHE_BYTES=400_000,
        WIKI_FRAGMENT_CACHE_BYTES=40_000,
    )
    app = create_app(**app_config)
    for n in range(12):
        save_page(client, f"Huge {n}", f"page {n} " + "lorem ipsum dolor " * 2000)
    app.test_client_class = CSRFClient
    reader = app.test_client()
    for n in range(12):
        for rev in ("", "?rev=1"):
            assert reader.get(f"/wiki/Huge_{n}{rev}").status_code == 200
    store = page_cache.store_of(app)
    assert 0 < store.entries.currsize <= 400_000
    assert len(store.entries) < 24  # the oldest went
    html_cache = app.extensions["nexus_html_cache"]
    assert 0 < html_cache.currsize <= 400_000
    parts = app.extensions["nexus_fragment_cache"].entries  # the page tree and footer
    assert 0 < parts.currsize <= 40_000
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
