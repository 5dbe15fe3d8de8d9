"""Learning metadata (level, verified_with, last_verified), the card, and stale pages."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import delete, select

from tests.conftest import save_page
from wiki.structure.freshness import learning_meta, parse_date

TODAY = date(2026, 11, 27)


def meta_page(last_verified: str) -> str:
    meta = f"level: beginner\nverified_with: Django 5.2\nlast_verified: {last_verified}\n"
    return f"---\n{meta}---\nText."


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-01-02", date(2026, 1, 2)),
        (date(2025, 5, 1), date(2025, 5, 1)),
        ("2026-01-02T10:00:00", date(2026, 1, 2)),
        ("yesterday", None),
        ("2026-13-01", None),
        (20260102, None),
        (None, None),
    ],
)
def test_parse_date(value, expected):
    assert parse_date(value) == expected


def test_learning_meta_reads_the_card_fields():
    info = learning_meta(
        {"level": "Advanced", "verified_with": "DRF  3.16", "last_verified": "2026-11-01"},
        today=TODAY,
        stale_after_days=365,
    )
    assert (info.level, info.verified_with, info.last_verified) == (
        "advanced",
        "DRF 3.16",
        date(2026, 11, 1),
    )
    assert info.age_days == 26 and not info.stale and info.present


def test_learning_meta_stale_only_past_the_limit():
    edge = (TODAY - timedelta(days=365)).isoformat()
    past = (TODAY - timedelta(days=366)).isoformat()
    assert not learning_meta({"last_verified": edge}, today=TODAY, stale_after_days=365).stale
    assert learning_meta({"last_verified": past}, today=TODAY, stale_after_days=365).stale
    assert learning_meta({"last_verified": past}, today=TODAY, stale_after_days=400).stale is False


def test_learning_meta_ignores_junk():
    info = learning_meta(
        {"level": "expert", "verified_with": ["a"], "last_verified": "soon"},
        today=TODAY,
        stale_after_days=1,
    )
    assert info.level is None and info.verified_with is None and info.last_verified is None
    assert not info.present and not info.stale
    assert not learning_meta({}, today=TODAY, stale_after_days=1).present


def test_page_shows_card_and_stale_banner(client, editor):
    save_page(client, "Old", meta_page("2001-02-03"))
    page = client.get("/wiki/Old").get_data(as_text=True)
    assert "may be out of date" in page and "2001-02-03" in page
    assert "learning-card" in page and "Beginner" in page and "Django 5.2" in page
    assert "verified_with:" not in page  # front matter is never shown as text


def test_fresh_page_has_card_without_banner(client, editor):
    save_page(client, "Fresh", meta_page(date.today().isoformat()))
    page = client.get("/wiki/Fresh").get_data(as_text=True)
    assert "learning-card" in page and "may be out of date" not in page


def test_page_without_metadata_has_no_card(client, editor):
    save_page(client, "Plain", "No front matter.")
    page = client.get("/wiki/Plain").get_data(as_text=True)
    assert "learning-card" not in page and "may be out of date" not in page


def test_stale_after_days_setting_is_honoured(app, client, editor):
    ten_days_ago = (date.today() - timedelta(days=10)).isoformat()
    save_page(client, "Recent", meta_page(ten_days_ago))
    assert "may be out of date" not in client.get("/wiki/Recent").get_data(as_text=True)
    app.config["WIKI_STALE_AFTER_DAYS"] = 5
    assert "may be out of date" in client.get("/wiki/Recent").get_data(as_text=True)


def test_stale_pages_lists_live_stale_pages_oldest_first(app, client, editor):
    from wiki.extensions import db
    from wiki.models import Page, RenderCache, Revision
    from wiki.structure.freshness import stale_pages

    save_page(client, "B newer", meta_page("2020-06-01"))
    save_page(client, "A older", meta_page("2019-01-01"))
    save_page(client, "Also 2019", meta_page("2019-01-01"))
    save_page(client, "Fresh", meta_page(date.today().isoformat()))
    save_page(client, "Deleted", meta_page("2010-01-01"))
    save_page(client, "Mentions it", "Write `last_verified: 2000-01-01` in front matter.")
    with app.app_context():
        db.session.query(Page).filter_by(title="Deleted").update({"deleted": True})
        # Without a cached render, the front matter is read from the body.
        newer = select(Revision.id).join(Page).where(Page.title == "B newer")
        gone = db.session.execute(delete(RenderCache).where(RenderCache.revision_id.in_(newer)))
        assert gone.rowcount == 1
        db.session.commit()
        found = stale_pages()
        assert [p.title for p in found] == ["A older", "Also 2019", "B newer"]
        assert found[0].last_verified == date(2019, 1, 1) and found[0].age_days > 365
        assert found[0].verified_with == "Django 5.2" and found[0].level == "beginner"
        assert [p.title for p in stale_pages(365 * 100)] == []
