"""Blame through the app: who last changed each line, cached per revision."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests.conftest import save_page
from wiki.extensions import db
from wiki.history import service as history_service
from wiki.models import BlameCache, Page, Revision
from wiki.text import blame as blame_mod


def _blamed(html: str) -> list[tuple[int, str]]:
    """(revision, text) of each blame row; rows without a revision link repeat the last one."""
    rows, rev = [], None
    for cell, text in re.findall(
        r'<td class="blame-rev">(.*?)</td>\s*<td class="ln"[^>]*>\d+</td>\s*'
        r'<td class="code">(.*?)</td>',
        html,
        re.S,
    ):
        found = re.search(r">r(\d+)</a>", cell)
        rev = int(found.group(1)) if found else rev
        rows.append((rev, text))
    return rows


def _cached_numbers(app, title: str) -> list[int]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(Revision.number)
                .join(BlameCache, BlameCache.revision_id == Revision.id)
                .join(Page, Page.id == Revision.page_id)
                .where(Page.title == title)
                .order_by(Revision.number)
            )
        )


@pytest.fixture
def flask_page(client, editor, auth):
    save_page(client, "Flask", "intro\nroutes\nviews\n")
    auth.logout()
    auth.login("alice")
    save_page(client, "Flask", "intro\nroutes and blueprints\nviews\n")
    save_page(client, "Flask", "intro\nroutes and blueprints\nviews\ntemplates\n")
    return "Flask"


def test_blame_shows_the_revision_and_author_of_each_line(client, flask_page):
    response = client.get("/blame/Flask")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert _blamed(html) == [
        (1, "intro"),
        (2, "routes and blueprints"),
        (1, "views"),
        (3, "templates"),
    ]
    assert 'href="/diff/Flask?to=2"' in html and 'href="/user/alice"' in html
    assert 'href="/user/bob"' in html and 'id="L4"' in html


def test_blame_is_cached_and_served_from_the_cache(client, app, flask_page):
    client.get("/blame/Flask")
    assert _cached_numbers(app, "Flask") == [3]
    with app.app_context():
        row = db.session.scalar(select(BlameCache))
        row.data = blame_mod.to_json([blame_mod.BlameLine(1, "from the cache", 2)])
        db.session.commit()
    assert _blamed(client.get("/blame/Flask").get_data(as_text=True)) == [(2, "from the cache")]


def test_blame_builds_on_the_nearest_cached_revision(client, app, flask_page):
    client.get("/blame/Flask")
    save_page(client, "Flask", "intro\nroutes and blueprints\nviews\ntemplates\ntests\n")
    html = client.get("/blame/Flask").get_data(as_text=True)
    assert _blamed(html)[-2:] == [(3, "templates"), (4, "tests")]
    assert _cached_numbers(app, "Flask") == [3, 4]


def test_blame_caches_checkpoints_on_the_way(client, app, editor, monkeypatch):
    monkeypatch.setattr(history_service, "CHECKPOINT", 2)
    for k in range(5):
        save_page(client, "Steps", "\n".join(f"line {j}" for j in range(k + 1)) + "\n")
    html = client.get("/blame/Steps").get_data(as_text=True)
    assert [rev for rev, _ in _blamed(html)] == [1, 2, 3, 4, 5]
    assert _cached_numbers(app, "Steps") == [2, 4, 5]


def test_stale_cache_entries_are_rebuilt_not_500(client, app, flask_page):
    client.get("/blame/Flask")
    with app.app_context():
        db.session.scalar(select(BlameCache)).data = '{"v": 0}'
        db.session.commit()
    response = client.get("/blame/Flask")
    assert response.status_code == 200 and len(_blamed(response.get_data(as_text=True))) == 4
    with app.app_context():
        assert blame_mod.from_json(db.session.scalar(select(BlameCache)).data)[3].rev == 3


def test_blame_of_an_old_revision(client, flask_page):
    html = client.get("/blame/Flask?rev=2").get_data(as_text=True)
    assert _blamed(html) == [(1, "intro"), (2, "routes and blueprints"), (1, "views")]
    assert "revision 2 (of 3)" in html


def test_blame_escapes_source_text(client, editor):
    save_page(client, "Html", "<script>alert(1)</script>\n")
    html = client.get("/blame/Html").get_data(as_text=True)
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/blame/Flask?rev=9", 404),
        ("/blame/Flask?rev=x", 400),
        ("/blame/Flask?rev=0", 400),
        ("/blame/Nope", 404),
        ("/blame/a//b", 400),
    ],
)
def test_blame_bad_input(client, flask_page, path, status):
    assert client.get(path).status_code == status


def test_blame_of_deleted_page_is_404_for_editors(client, app, flask_page, auth):
    with app.app_context():
        db.session.scalar(select(Page)).deleted = True
        db.session.commit()
    assert client.get("/blame/Flask").status_code == 200  # alice is an admin
    auth.logout()
    assert client.get("/blame/Flask").status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(BlameCache)) == 1
