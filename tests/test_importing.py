"""``flask import`` and :mod:`wiki.content.importing`: titles, idempotence, bad files, batches."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from wiki.content.importing import (
    MANIFEST_NAME,
    ImportRejected,
    plan_import,
    read_markdown,
    run_import,
    title_for,
)


def write(root: Path, rel: str, text: str | bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def folder(tmp_path) -> Path:
    root = tmp_path / "notes"
    write(root, "Django.md", "Django links to [[Django/ORM]] and [[Celery]].\n")
    write(root, "Django/ORM.md", "---\ntags: [django, orm]\n---\nQuerySets are lazy.\n")
    write(root, "Celery.md", "Background jobs.\n")
    write(root, "readme.txt", "not Markdown, not imported")
    return root


def pages(app) -> dict[str, str]:
    """title -> current body of every page."""
    from wiki.extensions import db
    from wiki.models import Page, Revision

    with app.app_context():
        rows = db.session.execute(
            select(Page.title, Revision.body).join(
                Revision, (Revision.page_id == Page.id) & (Revision.number == Page.current_rev)
            )
        )
        return dict(rows.all())


def revision_count(app) -> int:
    from wiki.extensions import db
    from wiki.models import Revision

    with app.app_context():
        return db.session.scalar(select(func.count(Revision.id)))


# --- titles and reading (no database) ---------------------------------------------------


def test_title_comes_from_manifest_then_front_matter_then_path():
    body = "---\ntitle: From front matter\n---\ntext"
    assert title_for("a/b_c.md", "text", {}) == "a/b c"
    assert title_for("a/b.md", body, {}) == "From front matter"
    assert title_for("a/b.md", body, {"a/b.md": "From manifest"}) == "From manifest"
    assert title_for("2024.md", "---\ntitle: 2025\n---\n", {}) == "2025"


@pytest.mark.parametrize(
    ("rel", "body"),
    [("bad#name.md", "x"), ("a.md", "---\ntitle: x|y\n---\n"), ("a.md", "---\ntitle: [1]\n---\n")],
)
def test_invalid_titles_are_rejected(rel, body):
    with pytest.raises(ImportRejected):
        title_for(rel, body, {})


def test_read_markdown_normalizes_and_rejects(tmp_path):
    assert read_markdown(write(tmp_path, "a.md", b"\xef\xbb\xbfone\r\ntwo\rthree")) == (
        "one\ntwo\nthree"
    )
    with pytest.raises(ImportRejected, match="not UTF-8"):
        read_markdown(write(tmp_path, "b.md", b"caf\xe9"))
    with pytest.raises(ImportRejected, match="1 MiB"):
        read_markdown(write(tmp_path, "c.md", "x" * (1024 * 1024 + 1)))


def test_plan_sorts_files_and_rejects_duplicate_titles(tmp_path):
    write(tmp_path, "b.md", "")
    write(tmp_path, "a_b.md", "first")
    write(tmp_path, "a b.md", "second")
    write(tmp_path, "sub/c.MD", "")
    plan = plan_import(tmp_path)
    assert [f.title for f in plan.files] == ["a b", "b", "sub/c"]
    assert [(r.path, "same title" in r.reason) for r in plan.rejected] == [("a_b.md", True)]


# --- importing into a database -------------------------------------------------------------


def test_import_creates_nested_pages_with_tags(app, runner, folder):
    from wiki.extensions import db
    from wiki.models import PageTag, RenderCache, Revision

    result = runner.invoke(args=["import", str(folder)])
    assert result.exit_code == 0, result.output
    assert "3 created, 0 updated, 0 unchanged, 0 rejected" in result.output
    assert pages(app) == {
        "Celery": "Background jobs.\n",
        "Django": "Django links to [[Django/ORM]] and [[Celery]].\n",
        "Django/ORM": "---\ntags: [django, orm]\n---\nQuerySets are lazy.\n",
    }
    with app.app_context():
        assert sorted(db.session.scalars(select(PageTag.tag))) == ["django", "orm"]
        # Pages of the same import count as existing: no red links although Django comes first.
        assert set(db.session.scalars(select(RenderCache.missing_json))) == {"[]"}
        kinds = set(db.session.execute(select(Revision.kind, Revision.summary)).all())
        assert ("import", "Imported from Django/ORM.md") in kinds


def test_import_is_idempotent_and_a_change_adds_one_revision(app, runner, folder):
    runner.invoke(args=["import", str(folder)])
    again = runner.invoke(args=["import", str(folder)])
    assert "0 created, 0 updated, 3 unchanged" in again.output
    assert revision_count(app) == 3
    write(folder, "Celery.md", "Background jobs with retries.\n")
    changed = runner.invoke(args=["import", str(folder)])
    assert "0 created, 1 updated, 2 unchanged" in changed.output
    assert revision_count(app) == 4
    assert pages(app)["Celery"] == "Background jobs with retries.\n"
    assert "2 unchanged" not in runner.invoke(args=["import", str(folder)]).output


def test_bad_files_are_reported_and_skipped(app, runner, folder):
    write(folder, "bad#title.md", "hash in the name")
    write(folder, "latin1.md", b"caf\xe9 cr\xe8me")
    write(folder, "deep.md", "> " * 100 + "too deep")
    result = runner.invoke(args=["import", str(folder)])
    assert result.exit_code == 0, result.output
    assert "3 created, 0 updated, 0 unchanged, 3 rejected" in result.output
    assert "bad#title.md: invalid title" in result.output
    assert "latin1.md: not UTF-8 text (byte 0xe9 at offset 3)" in result.output
    assert "deep.md: This page is too complex to render" in result.output
    assert set(pages(app)) == {"Celery", "Django", "Django/ORM"}


def test_deleted_page_is_not_overwritten(app, runner, folder):
    from wiki.extensions import db
    from wiki.models import Page

    runner.invoke(args=["import", str(folder)])
    with app.app_context():
        db.session.scalar(select(Page).where(Page.title == "Celery")).deleted = True
        db.session.commit()
    write(folder, "Celery.md", "changed")
    result = runner.invoke(args=["import", str(folder)])
    assert "1 rejected" in result.output and "was deleted" in result.output
    assert revision_count(app) == 3


def test_user_option_sets_the_author(app, runner, folder, editor):
    from wiki.extensions import db
    from wiki.models import Revision, User

    assert runner.invoke(args=["import", str(folder), "--user", "Bob"]).exit_code == 0
    with app.app_context():
        authors = set(db.session.scalars(select(User.username).join(Revision.author)))
    assert authors == {"bob"}
    unknown = runner.invoke(args=["import", str(folder), "--user", "nobody"])
    assert unknown.exit_code != 0 and "No active user called 'nobody'" in unknown.output


def test_import_of_a_missing_folder_fails_cleanly(runner, tmp_path):
    result = runner.invoke(args=["import", str(tmp_path / "nope")])
    assert result.exit_code == 2 and "does not exist" in result.output


def test_batches_commit_separately_and_report_progress(app, tmp_path):
    from wiki.auth.accounts import system_user
    from wiki.extensions import db

    for i in range(7):
        write(tmp_path, f"page {i}.md", f"Page {i} links to [[page {(i + 1) % 7}]].")
    steps = []
    with app.app_context():
        user = system_user()
        db.session.commit()
        report = run_import(plan_import(tmp_path), user, progress=steps.append, batch_size=3)
    assert steps == [3, 3, 1]
    assert len(report.created) == 7 and not report.rejected
    assert set(pages(app)) == {f"page {i}" for i in range(7)}


def test_manifest_titles_win(app, runner, tmp_path):
    write(tmp_path, "x.md", "---\ntitle: From front matter\n---\nbody")
    write(tmp_path, MANIFEST_NAME, json.dumps({"format": 1, "titles": {"x.md": "Real/Title"}}))
    assert "1 created" in runner.invoke(args=["import", str(tmp_path)]).output
    assert list(pages(app)) == ["Real/Title"]


def test_edited_page_gets_a_new_revision_on_top(app, runner, client, editor, folder):
    from tests.conftest import save_page

    runner.invoke(args=["import", str(folder)])
    save_page(client, "Celery", "Edited in the wiki.")
    result = runner.invoke(args=["import", str(folder)])
    assert "1 updated" in result.output
    assert client.get("/raw/Celery?rev=2").get_data(as_text=True) == "Edited in the wiki."
    assert client.get("/raw/Celery").get_data(as_text=True) == "Background jobs.\n"


def test_import_help_is_documented(runner):
    result = runner.invoke(args=["import", "--help"])
    assert result.exit_code == 0 and "Sub-folders become nested titles" in result.output


def test_huge_files_are_rejected_without_reading_them(tmp_path, monkeypatch):
    path = write(tmp_path, "huge.md", b"")
    with path.open("wb") as fh:
        fh.truncate(3 * 1024 * 1024)  # sparse: no need to write 3 MiB

    def no_reading(self):
        raise AssertionError("read a file that is too large anyway")

    monkeypatch.setattr(Path, "read_bytes", no_reading)
    with pytest.raises(ImportRejected, match="1 MiB"):
        read_markdown(path)
