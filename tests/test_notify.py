"""Watching and notifications (issue 16): auto-watch and its preference, folding of
consecutive edits, mentions (unknown, unreadable, flooding), renames and deletes, no
notification of one's own actions, the header count, marking read, sub-page watching."""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, select

from tests.collab_support import drain, save_as, scalar, scalars, statements_of, users
from wiki.discuss.models import Thread
from wiki.extensions import db
from wiki.models import Page, User
from wiki.notify.models import Event, Notification, Watch
from wiki.notify.service import unread_count_of


@pytest.fixture
def wiki(client, auth):
    users(auth, "alice", "bob", "carol", "dave")
    return auth


def _notes(app, name: str) -> list[Notification]:
    uid = scalar(app, select(User.id).where(User.username == name))
    with app.app_context():
        rows = db.session.scalars(
            select(Notification).where(Notification.user_id == uid).order_by(Notification.id)
        ).all()
        db.session.expunge_all()
        db.session.remove()
    return rows


def _watch(auth, client, name, title, **form):
    auth.login(name)
    assert client.post(f"/watch/{title}", data=form).status_code == 302
    auth.logout()


def test_saving_watches_the_page_and_notifies_other_watchers(client, wiki):
    app = client.application
    save_as(wiki, client, "bob", "Topic", "one")
    drain(app)
    _watch(wiki, client, "carol", "Topic")
    save_as(wiki, client, "bob", "Topic", "one\ntwo", summary="more")
    # written in the save's transaction, fanned out by the job afterwards
    assert scalar(app, select(func.count(Event.id)).where(Event.state == "new")) == 1
    drain(app)
    assert _notes(app, "bob") == []  # nobody hears of their own action
    (note,) = _notes(app, "carol")
    assert (note.kind, note.from_rev, note.to_rev, note.text) == ("edit", 2, 2, "more")
    wiki.login("carol")
    header = client.get("/wiki/Topic").get_data(as_text=True)
    assert 'id="unread-count">1<' in header
    listing = client.get("/notifications").get_data(as_text=True)
    assert "bob edited Topic" in listing and "/diff/Topic?from=1&amp;to=2" in listing
    assert client.post("/notifications/read").status_code == 302
    assert 'id="unread-count"' not in client.get("/notifications").get_data(as_text=True)
    profile = client.get("/profile").get_data(as_text=True)
    assert "Watched pages" in profile and "Topic" in profile
    assert client.post("/unwatch/Topic").status_code == 302
    assert "You watch no pages yet." in client.get("/profile").get_data(as_text=True)


def test_consecutive_edits_by_one_person_fold_into_one_entry(client, wiki):
    app = client.application
    save_as(wiki, client, "carol", "Topic", "0")
    for n in range(1, 4):
        save_as(wiki, client, "bob", "Topic", f"bob {n}")
        drain(app)
    save_as(wiki, client, "dave", "Topic", "dave")
    save_as(wiki, client, "bob", "Topic", "bob again")
    drain(app)
    notes = [(n.kind, n.from_rev, n.to_rev, n.edits) for n in _notes(app, "carol")]
    assert notes == [("edit", 2, 4, 3), ("edit", 5, 5, 1), ("edit", 6, 6, 1)]
    wiki.login("carol")
    listing = client.get("/notifications").get_data(as_text=True)
    assert "bob edited Topic (3 edits)" in listing and "/diff/Topic?from=1&amp;to=4" in listing


def test_auto_watch_can_be_turned_off(client, wiki):
    wiki.login("carol")
    off = client.post("/settings", data={"email": "", "email_notifications": "off"})
    assert off.status_code == 302
    wiki.logout()
    save_as(wiki, client, "carol", "Quiet", "text")
    assert scalars(client.application, select(Watch.page_id)) == []
    wiki.login("carol")
    assert client.post("/discuss/Quiet", data={"subject": "s", "body": "b"}).status_code == 302
    assert scalars(client.application, select(Watch.page_id)) == []


def test_mentions_reach_readers_only_and_are_capped(client, wiki):
    app = client.application
    wiki.login("alice")
    assert (
        client.post(
            f"/admin/users/{scalar(app, select(User.id).where(User.username == 'dave'))}/deactivate"
        ).status_code
        == 302
    )
    wiki.logout()
    save_as(wiki, client, "bob", "Topic", "Ask @carol, @dave, @nobody and @bob.")
    drain(app)
    assert [(n.kind, n.to_rev) for n in _notes(app, "carol")] == [("mention", 1)]
    assert _notes(app, "dave") == []  # cannot read the wiki any more
    assert _notes(app, "bob") == []  # mentioning oneself is no news
    # an edit that keeps the old mention does not notify again
    save_as(wiki, client, "bob", "Topic", "Ask @carol, @dave, @nobody and @bob. More.")
    drain(app)
    assert len(_notes(app, "carol")) == 1
    # 10,000 mentions in one comment: accepted, and nobody is flooded
    flood = " ".join(f"@user{i}" for i in range(10_000)) + " @carol @alice"
    wiki.login("bob")
    assert (
        client.post("/discuss/Topic", data={"subject": "Flood", "body": flood}).status_code == 302
    )
    wiki.logout()
    drain(app)
    assert scalars(app, select(Event.state).where(Event.kind == "comment.created")) == ["done"]
    assert len(scalars(app, select(Notification.id))) <= 2


def test_renames_and_deletes_reach_watchers_without_leaking(client, wiki):
    app = client.application
    save_as(wiki, client, "bob", "Old name", "text")
    wiki.login("alice")
    assert (
        client.post(
            "/rename/Old_name", data={"new_title": "New name", "submit": "Rename"}
        ).status_code
        == 302
    )
    wiki.logout()
    drain(app)
    (renamed,) = _notes(app, "bob")
    assert (renamed.kind, renamed.text) == ("rename", "Old name")
    wiki.login("bob")
    listing = client.get("/notifications").get_data(as_text=True)
    assert "alice renamed Old name to New name" in listing and 'href="/wiki/New_name"' in listing
    wiki.logout()
    wiki.login("alice")
    assert client.post("/delete/New_name").status_code == 302
    wiki.logout()
    drain(app)
    assert [n.kind for n in _notes(app, "bob")] == ["rename", "delete"]
    wiki.login("bob")
    listing = client.get("/notifications").get_data(as_text=True)
    assert "alice deleted New name" in listing
    assert 'href="/wiki/New_name"' not in listing  # no link into a deleted page


def test_watching_with_subpages(client, wiki):
    app = client.application
    save_as(wiki, client, "bob", "Django", "framework")
    _watch(wiki, client, "carol", "Django", subpages="y")
    save_as(wiki, client, "bob", "Django/ORM", "orm")
    save_as(wiki, client, "bob", "Flask", "other")
    drain(app)
    titles = scalars(
        app,
        select(Page.title)
        .join(Notification, Notification.page_id == Page.id)
        .join(User, User.id == Notification.user_id)
        .where(User.username == "carol"),
    )
    assert titles == ["Django/ORM"]


def test_a_save_watches_in_one_statement_and_keeps_a_watch_as_it_was(client, wiki):
    """Auto-watch is one INSERT that does nothing when the user watches already (their
    sub-pages choice stays) or turned it off: no read of watches or settings first."""
    app = client.application
    save_as(wiki, client, "bob", "Django", "framework")
    _watch(wiki, client, "carol", "Django", subpages="y")
    _, seen = statements_of(
        app, lambda: save_as(wiki, client, "carol", "Django", "framework, with an ORM")
    )
    touching = [s for s in seen if "watches" in s or "notify_settings" in s]
    watching = [s for s in touching if s.startswith("INSERT INTO watches")]
    assert len(watching) == 1 and "ON CONFLICT" in watching[0], touching
    assert not [s for s in touching if s.startswith("SELECT") and "FROM watches" in s], touching
    carol = scalar(app, select(User.id).where(User.username == "carol"))
    rows = scalars(app, select(Watch.subpages).where(Watch.user_id == carol))
    assert rows == [True]  # the watch she chose, not a new one without sub-pages
    save_as(wiki, client, "carol", "Flask", "micro")
    assert sorted(scalars(app, select(Watch.subpages).where(Watch.user_id == carol))) == [
        False,
        True,
    ]


def test_the_unread_count_is_one_indexed_query(client, wiki):
    app = client.application
    save_as(wiki, client, "bob", "Topic", "x")
    _watch(wiki, client, "carol", "Topic")
    for n in range(3):
        save_as(wiki, client, "bob" if n % 2 else "dave", "Topic", f"x {n}")
    drain(app)
    carol = scalar(app, select(User.id).where(User.username == "carol"))
    with app.app_context():
        statements = []
        listener = lambda *a: statements.append((a[2], a[3]))  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert db.session.scalar(select(unread_count_of(carol))) == 3
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        queries = [(sql, params) for sql, params in statements if sql != "BEGIN"]
        assert len(queries) == 1
        if db.engine.dialect.name == "sqlite":
            sql, params = queries[0]
            plan = db.session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params)
            assert "ix_notifications_user_read" in " ".join(str(row) for row in plan)
        db.session.remove()


def test_a_burst_of_replies_is_one_entry(client, wiki):
    app = client.application
    save_as(wiki, client, "carol", "Topic", "text")
    wiki.login("bob")
    client.post("/discuss/Topic", data={"subject": "Chatty", "body": "first"})
    thread_id = scalar(app, select(Thread.id))
    for n in range(5):
        assert (
            client.post(f"/discuss/Topic/{thread_id}", data={"body": f"reply {n}"}).status_code
            == 302
        )
        drain(app)
    wiki.logout()
    notes = [(n.kind, n.edits) for n in _notes(app, "carol")]
    assert notes == [("thread", 1), ("reply", 5)]
    wiki.login("carol")
    listing = client.get("/notifications").get_data(as_text=True)
    assert "bob replied on Topic (5 replies)" in listing


def test_old_events_are_pruned_once_delivered(client, wiki):
    from datetime import timedelta

    from sqlalchemy import update

    from wiki.models import now_utc
    from wiki.notify.models import Delivery
    from wiki.notify.service import prune_events

    app = client.application
    save_as(wiki, client, "bob", "Old", "a")
    save_as(wiki, client, "bob", "Other", "b")
    drain(app)
    with app.app_context():
        old = now_utc() - timedelta(days=40)
        db.session.execute(update(Event).where(Event.revision == 1).values(created_at=old))
        first = db.session.scalar(select(func.min(Event.id)))
        db.session.add(Delivery(event_id=first, channel="webhook", target_id=1, status="pending"))
        db.session.commit()
        assert prune_events() == 1  # both are old: the one still to send stays
        left = db.session.scalars(select(Event.id)).all()
        db.session.remove()
    assert left == [first]


def test_an_event_commits_or_rolls_back_with_its_change(client, wiki, monkeypatch):
    """The event row is part of the save's transaction: a save that fails after recording it
    leaves neither the revision nor the event; a save that succeeds leaves exactly one."""
    from wiki.models import Revision
    from wiki.notify import events as notify_events
    from wiki.pages import editing

    app = client.application
    real = notify_events.record_page_saved

    def record_then_fail(*args, **kwargs):
        real(*args, **kwargs)
        db.session.flush()  # the event row is written…
        raise RuntimeError("crash before the commit")  # …and the transaction dies

    with app.app_context():
        bob = db.session.scalar(select(User).where(User.username == "bob"))
        monkeypatch.setattr(notify_events, "record_page_saved", record_then_fail)
        with pytest.raises(RuntimeError):
            editing.save_edit("Atomic", "text", "", None, bob)
        db.session.rollback()
        assert db.session.scalar(select(func.count(Event.id))) == 0
        assert db.session.scalar(select(func.count(Revision.id))) == 0
        monkeypatch.setattr(notify_events, "record_page_saved", real)
        result = editing.save_edit("Atomic", "text", "", None, bob)
        events = db.session.execute(select(Event.kind, Event.revision, Event.state)).all()
        assert events == [("page.saved", result.revision.number, "new")]
        db.session.remove()


def test_one_job_run_fans_out_a_queue_longer_than_a_batch(client, wiki, monkeypatch):
    from wiki.jobs.runner import run_jobs
    from wiki.notify import fanout

    monkeypatch.setattr(fanout, "BATCH", 2)
    app = client.application
    for n in range(5):
        save_as(wiki, client, "bob", f"Topic {n}", "text")
    assert scalar(app, select(func.count(Event.id)).where(Event.state == "new")) == 5
    run_jobs(app)  # once: full batches ask for more, the short last one ends the run
    assert scalar(app, select(func.count(Event.id)).where(Event.state == "new")) == 0


@pytest.mark.parametrize("chunk", [25, 2])
def test_events_fanned_out_together_share_write_transactions(client, wiki, monkeypatch, chunk):
    """A run fans out its events in one write transaction per WRITE_CHUNK of them (a commit
    and a claim apiece cost the job as much as the writes); the writes of one event see
    those before it, so a burst of edits queued together still folds into one entry."""
    from wiki.notify import fanout

    app = client.application
    save_as(wiki, client, "carol", "Topic", "0")
    drain(app)
    for n in range(1, 4):
        save_as(wiki, client, "bob", "Topic", f"bob {n}")
    save_as(wiki, client, "dave", "Topic", "dave")
    save_as(wiki, client, "bob", "Topic", "bob again")
    assert scalar(app, select(func.count(Event.id)).where(Event.state == "new")) == 5
    write_transactions = []
    real_begin = fanout.begin_write

    def counted_begin(**kwargs):
        write_transactions.append(1)
        real_begin(**kwargs)

    monkeypatch.setattr(fanout, "begin_write", counted_begin)
    monkeypatch.setattr(fanout, "WRITE_CHUNK", chunk)
    drain(app)
    assert len(write_transactions) == (1 if chunk == 25 else 3)
    assert scalar(app, select(func.count(Event.id)).where(Event.state == "new")) == 0
    notes = [(n.kind, n.from_rev, n.to_rev, n.edits) for n in _notes(app, "carol")]
    assert notes == [("edit", 2, 4, 3), ("edit", 5, 5, 1), ("edit", 6, 6, 1)]
    assert [(n.kind, n.to_rev) for n in _notes(app, "bob")] == [("edit", 5)]


def test_events_fanned_out_together_read_each_page_once(client, wiki, monkeypatch):
    """A run's events share their reads: a page's watches once, however many of its saves
    the run fans out, and the revisions' texts in one query. Each event still tells only
    those who watched when it happened: a watch started between two saves hears only of
    the second, and a mention is new only against the revision just before it."""
    from wiki.notify import fanout

    app = client.application
    save_as(wiki, client, "alice", "Busy", "start")
    save_as(wiki, client, "alice", "Quiet", "start")
    drain(app)
    save_as(wiki, client, "bob", "Busy", "one")
    _watch(wiki, client, "carol", "Busy")
    save_as(wiki, client, "bob", "Busy", "one @dave")
    save_as(wiki, client, "bob", "Busy", "one @dave two")
    save_as(wiki, client, "bob", "Quiet", "one")
    reads: list[int] = []
    real_watches = fanout.watches

    def counted(page):
        reads.append(page.id)
        return real_watches(page)

    statements: list[str] = []

    def collect(conn, cursor, statement, *args):
        statements.append(statement)

    monkeypatch.setattr(fanout, "watches", counted)
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", collect)
        try:
            drain(app)
        finally:
            event.remove(db.engine, "before_cursor_execute", collect)
    assert sorted(reads) == sorted(set(reads)) and len(reads) == 2  # Busy and Quiet, once each
    assert sum("FROM revisions" in s and "body" in s for s in statements) == 1
    assert [(n.kind, n.from_rev, n.to_rev) for n in _notes(app, "carol")] == [("edit", 3, 4)]
    assert [(n.kind, n.to_rev) for n in _notes(app, "dave")] == [("mention", 3)]
    assert [(n.kind, n.from_rev, n.to_rev) for n in _notes(app, "alice")] == [
        ("edit", 2, 4),
        ("edit", 2, 2),
    ]


def test_fan_out_reads_before_the_write_lock_and_tells_each_watcher_once(client, wiki, monkeypatch):
    """Who is told is read before the write lock (saves queue for it on SQLite); only the
    claim and the writes hold it. Another worker that claims the event first, after this
    one has read it, leaves this one nothing to write: each watcher hears of it once."""
    from wiki.notify import fanout

    app = client.application
    save_as(wiki, client, "bob", "Topic", "one")
    drain(app)
    _watch(wiki, client, "carol", "Topic")
    save_as(wiki, client, "bob", "Topic", "one\ntwo", summary="more")
    event_id = scalar(app, select(Event.id).where(Event.state == "new"))
    calls: list[str] = []
    real_watches, real_begin = fanout.watches, fanout.begin_write

    def spy_watches(page):
        calls.append("read watchers")
        return real_watches(page)

    def begin_after_another_worker(**kwargs):
        calls.append("write lock")
        if calls.count("write lock") == 1:  # the other worker reads and claims meanwhile
            fanout.fan_out(event_id)
        real_begin(**kwargs)

    monkeypatch.setattr(fanout, "watches", spy_watches)
    monkeypatch.setattr(fanout, "begin_write", begin_after_another_worker)
    with app.app_context():
        fanout.fan_out(event_id)
        db.session.remove()
    assert calls == ["read watchers", "write lock", "read watchers", "write lock"]
    assert [n.kind for n in _notes(app, "carol")] == ["edit"]
    assert scalar(app, select(Event.state).where(Event.id == event_id)) == "done"
