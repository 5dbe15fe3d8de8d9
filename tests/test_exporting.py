"""``flask export``: the folder layout, history.jsonl, and the lossless round trip."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import delete, func, select

from tests.conftest import save_page
from tests.test_importing import pages, write
from wiki.content.exporting import LONG_TITLES_DIR, page_path

ROUND_TRIP_PAGES = {
    "Home": "Welcome. See [[Django]].",
    "Django": "# Django\r\n\r\nA page with a body *and* sub-pages.",
    "Django/ORM": "---\ntags: [django, orm]\nlevel: beginner\n---\nQuerySets are lazy.\n",
    "Django/ORM/Migrations": "Nested three levels.",
    "Café & Crème: 'quotes' (1)": 'Unicode, punctuation and "quotes" in a title.',
    "Renamed later": "---\ntitle: The old name\n---\nFront matter disagrees with the title.",
    "日" * 100: "A title too long for a file name in UTF-8.",
    "Trailing space   ": "  \n\n\tWhitespace\t \n\n",
    "Empty": "",
}


def make_pages(client, bodies: dict[str, str]) -> None:
    for title, body in bodies.items():
        assert save_page(client, title, body).status_code == 302, title


def wipe(app) -> None:
    """Empty the wiki in place (the same database, so this runs on every backend)."""
    from wiki.extensions import db
    from wiki.models import Page

    with app.app_context():
        db.session.execute(delete(Page))
        db.session.commit()


def test_page_path_mirrors_titles():
    assert page_path("Django") == "Django.md"
    assert page_path("Django/ORM") == "Django/ORM.md"
    assert page_path("README.md") == "README.md.md"
    long = page_path("x/" + "é" * 150)
    assert long.startswith(f"{LONG_TITLES_DIR}/") and long.endswith(".md")


def test_export_writes_the_layout_import_reads(app, runner, client, editor, tmp_path):
    make_pages(client, {"Django": "parent", "Django/ORM": "child", "Gone": "deleted soon"})
    from wiki.extensions import db
    from wiki.models import Page

    with app.app_context():
        db.session.scalar(select(Page).where(Page.title == "Gone")).deleted = True
        db.session.commit()
    out = tmp_path / "export"
    result = runner.invoke(args=["export", str(out)])
    assert result.exit_code == 0, result.output
    assert "Exported 2 pages" in result.output
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert files == ["Django.md", "Django/ORM.md"]
    assert (out / "Django.md").read_text(encoding="utf-8") == "parent"


def test_round_trip_into_an_empty_wiki_is_lossless(app, runner, client, editor, tmp_path):
    make_pages(client, ROUND_TRIP_PAGES)
    before = pages(app)
    assert before["Django"] == "# Django\n\nA page with a body *and* sub-pages."  # stored as LF
    out = tmp_path / "export"
    assert runner.invoke(args=["export", str(out)]).exit_code == 0
    assert json.loads((out / "nexus-export.json").read_text(encoding="utf-8"))["titles"] == {
        "Renamed later.md": "Renamed later",
        f"{LONG_TITLES_DIR}/{page_path('日' * 100).split('/')[-1]}": "日" * 100,
    }
    wipe(app)
    assert pages(app) == {}
    result = runner.invoke(args=["import", str(out)])
    assert result.exit_code == 0, result.output
    assert f"{len(before)} created, 0 updated, 0 unchanged, 0 rejected" in result.output
    assert pages(app) == before
    # ...and importing the export over the same wiki changes nothing.
    assert f"{len(before)} unchanged" in runner.invoke(args=["import", str(out)]).output


def test_history_writes_every_revision(app, runner, client, editor, tmp_path):
    make_pages(client, {"Celery": "v1"})
    save_page(client, "Celery", "v2", summary="Second try")
    make_pages(client, {"Alpha": "a"})
    out = tmp_path / "export"
    result = runner.invoke(args=["export", str(out), "--history"])
    assert result.exit_code == 0 and "3 revisions" in result.output
    rows = [json.loads(line) for line in (out / "history.jsonl").read_text("utf-8").splitlines()]
    assert [(r["title"], r["number"], r["body"]) for r in rows] == [
        ("Alpha", 1, "a"),
        ("Celery", 1, "v1"),
        ("Celery", 2, "v2"),
    ]
    second = rows[2]
    assert second["author"] == "bob" and second["summary"] == "Second try"
    assert second["kind"] and second["created_at"].startswith("20")
    assert set(second) >= {"title", "number", "author", "created_at", "summary", "kind", "body"}


def test_export_refuses_a_non_empty_folder_without_force(app, runner, client, editor, tmp_path):
    make_pages(client, {"Celery": "tasks"})
    out = tmp_path / "export"
    write(out, "keep.txt", "someone's file")
    refused = runner.invoke(args=["export", str(out)])
    assert refused.exit_code == 1 and "not empty" in refused.output
    assert not (out / "Celery.md").exists()
    assert runner.invoke(args=["export", str(out), "--force"]).exit_code == 0
    assert (out / "Celery.md").read_text("utf-8") == "tasks" and (out / "keep.txt").exists()


def test_starter_content_round_trips(app, runner, tmp_path):
    from wiki.extensions import db
    from wiki.models import Revision

    runner.invoke(args=["content", "init"])
    before = pages(app)
    out = tmp_path / "export"
    runner.invoke(args=["export", str(out)])
    assert not (out / "nexus-export.json").exists()
    wipe(app)
    runner.invoke(args=["import", str(out)])
    assert pages(app) == before
    with app.app_context():
        assert db.session.scalar(select(func.count(Revision.id))) == len(before)


def test_export_help_is_documented(runner):
    result = runner.invoke(args=["export", "--help"])
    assert result.exit_code == 0 and "--history" in result.output


def test_export_of_an_empty_wiki_writes_nothing(runner, tmp_path):
    out = tmp_path / "export"
    result = runner.invoke(args=["export", str(out)])
    assert result.exit_code == 0 and "Exported 0 pages" in result.output
    assert Path(out).is_dir() and not any(Path(out).iterdir())
