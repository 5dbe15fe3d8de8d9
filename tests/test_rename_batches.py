"""A rename rewrites its linking pages in short batches (#21): many small write transactions,
the redirect serving old links in between, every linking page rewritten in the end."""

from __future__ import annotations

from sqlalchemy import event, select

from wiki.extensions import db
from wiki.models import Page, Redirect, Revision, User
from wiki.pages.editing import save_edit
from wiki.structure import service as structure_service

LINKERS = 23


def _body(title: str) -> str:
    page = db.session.scalar(select(Page).where(Page.title == title))
    return db.session.scalar(
        select(Revision.body).where(
            Revision.page_id == page.id, Revision.number == page.current_rev
        )
    )


def test_linking_pages_are_rewritten_in_batches(app, client, editor, monkeypatch):
    monkeypatch.setattr(structure_service, "REWRITE_BATCH", 5)
    with app.app_context():
        bob = db.session.scalar(select(User).where(User.username == "bob"))
        save_edit("Target", "the page", "", None, bob)
        for n in range(LINKERS):
            save_edit(f"Linker {n}", f"see [[Target]] ({n})", "", None, bob)
        seen: list[tuple[int, bool]] = []  # per commit: rewritten so far, redirect present
        engine = db.engine

        def on_commit(_conn):
            seen.append(1)

        event.listen(engine, "commit", on_commit)
        try:
            result = structure_service.rename_page("Target", "Destination", bob)
        finally:
            event.remove(engine, "commit", on_commit)
        assert len(result.rewritten) == LINKERS
        # The move, then ceil(23 / 5) = 5 batches of links, then the index catching up.
        assert len(seen) >= 1 + 5
        db.session.rollback()
        assert db.session.get(Redirect, "Target") is not None
        for n in range(LINKERS):
            assert _body(f"Linker {n}") == f"see [[Destination]] ({n})"


def test_a_batch_commits_early_when_it_runs_long(app, client, editor, monkeypatch):
    monkeypatch.setattr(structure_service, "REWRITE_BATCH_SECONDS", 0.0)
    with app.app_context():
        bob = db.session.scalar(select(User).where(User.username == "bob"))
        save_edit("Target", "the page", "", None, bob)
        for n in range(4):
            save_edit(f"Linker {n}", "see [[Target]]", "", None, bob)
        commits: list[int] = []
        event.listen(db.engine, "commit", lambda _c: commits.append(1))
        result = structure_service.rename_page("Target", "Destination", bob)
        assert sorted(result.rewritten) == [f"Linker {n}" for n in range(4)]
        assert len(commits) >= 1 + 4  # one linking page per transaction
