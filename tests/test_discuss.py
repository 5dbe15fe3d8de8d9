"""Discussions (issue 16): threads, replies, edits with history, resolve/reopen, admin hiding,
the "Discussion (N open)" tab, following renames and deletes, bad input, the XSS corpus."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests.collab_support import drain, save_as, scalar, scalars, users
from tests.test_xss_corpus import script_problems
from tests.xss_vectors import BODY_VECTORS, SUMMARY_VECTORS, batches
from wiki.discuss.models import Comment, CommentEdit, Thread


@pytest.fixture
def wiki(client, auth):
    """alice (admin), bob and carol (editors); bob wrote "Topic"; nobody is logged in."""
    users(auth, "alice", "bob", "carol")
    save_as(auth, client, "bob", "Topic", "About the topic.")
    return auth


def _thread(client, title="Topic", subject="A question", body="Why **this**?"):
    return client.post(f"/discuss/{title}", data={"subject": subject, "body": body})


def _comment_id(response) -> int:
    return int(re.search(r"#c(\d+)$", response.headers["Location"]).group(1))


def test_threads_replies_and_the_tab_count(client, wiki):
    wiki.login("carol")
    made = _thread(client)
    assert made.status_code == 302 and "/discuss/Topic#c" in made.headers["Location"]
    page = client.get("/discuss/Topic").get_data(as_text=True)
    assert "A question" in page and "<strong>this</strong>" in page
    assert "(1 open)" in client.get("/wiki/Topic").get_data(as_text=True)
    thread_id = scalar(client.application, select(Thread.id))
    wiki.logout()
    wiki.login("bob")
    answer = client.post(f"/discuss/Topic/{thread_id}", data={"body": "Because `code`."})
    assert answer.status_code == 302
    page = client.get("/discuss/Topic").get_data(as_text=True)
    assert "<code>code</code>" in page
    assert page.index("Why") < page.index("Because")
    # anonymous readers see the discussion but get no forms
    wiki.logout()
    anonymous = client.get("/discuss/Topic").get_data(as_text=True)
    assert "Because" in anonymous and "Start a thread" not in anonymous


def test_resolve_and_reopen(client, wiki):
    wiki.login("carol")
    _thread(client)
    thread_id = scalar(client.application, select(Thread.id))
    wiki.logout()
    wiki.login("bob")  # a page editor may resolve another's thread
    assert client.post(f"/discuss/Topic/{thread_id}/resolve").status_code == 302
    view = client.get("/wiki/Topic").get_data(as_text=True)
    assert "open)" not in view
    page = client.get("/discuss/Topic").get_data(as_text=True)
    assert re.search(r"<details class=\"resolved-threads\">.*A question", page, re.S)
    assert client.post(f"/discuss/Topic/{thread_id}/reopen").status_code == 302
    assert "(1 open)" in client.get("/wiki/Topic").get_data(as_text=True)


def test_only_author_editors_and_admins_resolve_on_a_protected_page(client, wiki):
    wiki.login("carol")
    _thread(client)
    thread_id = scalar(client.application, select(Thread.id))
    wiki.logout()
    wiki.login("alice")
    assert client.post("/protect/Topic", data={"protected": "1"}).status_code == 302
    wiki.logout()
    wiki.login("bob")  # cannot edit the protected page, did not write the thread
    assert client.post(f"/discuss/Topic/{thread_id}/resolve").status_code == 403
    wiki.logout()
    wiki.login("carol")  # the author may
    assert client.post(f"/discuss/Topic/{thread_id}/resolve").status_code == 302
    assert scalar(client.application, select(Thread.resolved)) is True


def test_editing_a_comment_keeps_its_history(client, wiki):
    wiki.login("carol")
    cid = _comment_id(_thread(client, body="First words."))
    assert (
        client.post(
            f"/discuss/Topic/comment/{cid}/edit", data={"body": "Second words."}
        ).status_code
        == 302
    )
    assert (
        client.post(f"/discuss/Topic/comment/{cid}/edit", data={"body": "Third words."}).status_code
        == 302
    )
    page = client.get("/discuss/Topic").get_data(as_text=True)
    assert "Third words." in page and "First words." not in page and ">edited<" in page
    history = client.get(f"/discuss/Topic/comment/{cid}/history").get_data(as_text=True)
    assert (
        history.index("Third words.")
        < history.index("Second words.")
        < history.index("First words.")
    )
    assert scalars(client.application, select(CommentEdit.body).order_by(CommentEdit.id)) == [
        "First words.",
        "Second words.",
    ]
    wiki.logout()
    wiki.login("bob")
    assert client.get(f"/discuss/Topic/comment/{cid}/edit").status_code == 403
    assert (
        client.post(f"/discuss/Topic/comment/{cid}/edit", data={"body": "hijack"}).status_code
        == 403
    )
    assert (
        scalar(client.application, select(Comment.body).where(Comment.id == cid)) == "Third words."
    )


def test_admins_hide_comments_without_losing_them(client, wiki):
    wiki.login("carol")
    cid = _comment_id(_thread(client, body="Something abusive."))
    assert client.post(f"/discuss/Topic/comment/{cid}/hide").status_code == 403
    wiki.logout()
    wiki.login("alice")
    assert client.post(f"/discuss/Topic/comment/{cid}/hide").status_code == 302
    assert "Something abusive." in client.get("/discuss/Topic").get_data(as_text=True)
    wiki.logout()
    hidden = client.get("/discuss/Topic").get_data(as_text=True)
    assert "Something abusive." not in hidden and "hidden by an administrator" in hidden
    assert client.get(f"/discuss/Topic/comment/{cid}/history").status_code == 404
    assert (
        scalar(client.application, select(Comment.body).where(Comment.id == cid))
        == "Something abusive."
    )
    wiki.login("alice")
    assert client.post(f"/discuss/Topic/comment/{cid}/unhide").status_code == 302
    wiki.logout()
    assert "Something abusive." in client.get("/discuss/Topic").get_data(as_text=True)


def test_discussions_follow_renames_and_hide_with_deletes(client, wiki):
    wiki.login("carol")
    _thread(client, subject="Follows the page")
    wiki.logout()
    wiki.login("alice")
    moved = client.post("/rename/Topic", data={"new_title": "Subject", "submit": "Rename"})
    assert moved.status_code == 302
    assert "Follows the page" in client.get("/discuss/Subject").get_data(as_text=True)
    assert client.post("/delete/Subject").status_code == 302
    assert client.get("/discuss/Subject").status_code == 404
    assert client.post("/discuss/Subject", data={"subject": "x", "body": "y"}).status_code == 404
    assert client.post("/restore/Subject").status_code == 302
    assert "Follows the page" in client.get("/discuss/Subject").get_data(as_text=True)


def test_bad_input_is_refused_and_keeps_the_text(client, wiki):
    assert (
        client.post("/discuss/Topic", data={"subject": "s", "body": "b"}).status_code == 302
    )  # log in
    wiki.login("carol")
    empty = _thread(client, subject="Kept subject", body="   ")
    assert empty.status_code == 400 and "Kept subject" in empty.get_data(as_text=True)
    huge = _thread(client, subject="Too long", body="x" * (257 * 1024))
    assert huge.status_code == 413 and "256 KB" in huge.get_data(as_text=True)
    assert (
        client.post("/discuss/Topic", data={"subject": "s", "body": "b"}, csrf=False).status_code
        == 400
    )
    assert client.get("/discuss/No_such_page").status_code == 404
    assert client.post("/discuss/Topic/999999", data={"body": "hello"}).status_code == 404
    assert scalar(client.application, select(Thread.id)) is None


def test_comments_pass_the_xss_corpus(client, wiki):
    """Every body vector as a comment and every summary vector as a subject: the discussion,
    the history of an edited comment and the watcher's notifications stay inert."""
    wiki.login("carol")
    vector_batches = batches(BODY_VECTORS, 16)
    for number, vectors in enumerate(vector_batches):
        subject = SUMMARY_VECTORS[number % len(SUMMARY_VECTORS)]
        body = "\n\n".join(f"{v}\n\nend of vector {number}.{i}" for i, v in enumerate(vectors))
        response = _thread(client, subject=subject, body=body)
        assert response.status_code == 302, response.status_code
    page = client.get("/discuss/Topic")
    assert page.status_code == 200
    problems = script_problems(page.get_data(as_text=True))
    assert not problems, problems[:5]
    # All were stored and shown; a few vectors (an unclosed comment…) swallow the text after them.
    assert page.get_data(as_text=True).count("end of vector") >= len(BODY_VECTORS) - 3
    assert scalar(client.application, select(func.count(Comment.id))) == len(vector_batches)
    cid = scalar(client.application, select(Comment.id).order_by(Comment.id))
    client.post(f"/discuss/Topic/comment/{cid}/edit", data={"body": "<script>__xss=1</script>"})
    for url in (f"/discuss/Topic/comment/{cid}/history", f"/discuss/Topic/comment/{cid}/edit"):
        assert not script_problems(client.get(url).get_data(as_text=True)), url
    wiki.logout()
    wiki.login("bob")  # bob watches Topic (he wrote it): the subjects reach his notifications
    drain(client.application)
    listing = client.get("/notifications").get_data(as_text=True)
    assert "started a thread" in listing
    assert not script_problems(listing)
