"""Edit conflicts through the app: automatic merges, the per-block chooser (409), saving
from it with the new base_rev, and bad base revisions. SQLite and PostgreSQL."""

from __future__ import annotations

import html
import re

import pytest

from tests.conftest import CSRFClient, save_page

BASE = "# Topic\n\nalpha\nbeta\ngamma\ndelta\nepsilon\n"


@pytest.fixture
def alice(app, editor):
    """A second logged-in client: 'alice' (bob is logged in on ``client``)."""
    app.test_client_class = CSRFClient
    other = app.test_client()
    other.post("/login", data={"username": "alice", "password": "password123"})
    return other


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def words_of(response) -> str:
    """The visible text, tags removed and whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())


def textarea(response) -> str:
    match = re.search(
        r'<textarea[^>]*name="body"[^>]*>\r?\n?(.*?)</textarea>', text_of(response), re.S
    )
    assert match, "no body textarea"
    return match.group(1)


def base_rev_of(response) -> str:
    match = re.search(
        r'name="base_rev" type="hidden" value="(\d*)"', response.get_data(as_text=True)
    )
    assert match, "no base_rev field"
    return match.group(1)


def choose(client, title, response, choices: dict[int, str], body: str | None = None):
    """Submit the chooser the way the no-JS form does."""
    data = {
        "body": textarea(response) if body is None else body,
        "summary": "resolved",
        "base_rev": base_rev_of(response),
        "chooser": "1",
        "save": "Save",
        **{f"choice-{n}": c for n, c in choices.items()},
    }
    return client.post(f"/edit/{title}", data=data)


def overlapping_conflict(client, alice):
    """alice and bob both start from revision 1; alice saves first; bob's save overlaps."""
    assert save_page(client, "Topic", BASE).status_code == 302
    theirs = BASE.replace("alpha", "ALPHA").replace("epsilon", "EPSILON")
    assert save_page(alice, "Topic", theirs, base_rev=1).status_code == 302
    mine = BASE.replace("alpha", "alpha (bob)").replace("epsilon", "epsilon (bob)")
    return save_page(client, "Topic", mine, base_rev=1, summary="bob's edit")


def test_non_overlapping_concurrent_edits_both_land(client, alice):
    save_page(client, "Topic", BASE)
    assert save_page(alice, "Topic", BASE.replace("alpha", "ALPHA"), base_rev=1).status_code == 302
    response = save_page(client, "Topic", BASE.replace("epsilon", "EPSILON"), base_rev=1)
    assert response.status_code == 302
    assert client.get("/raw/Topic").get_data(as_text=True) == BASE.replace(
        "alpha", "ALPHA"
    ).replace("epsilon", "EPSILON")
    view = text_of(client.get("/wiki/Topic"))
    assert "Your edit was merged with revision 2 by alice" in view
    assert 'href="/diff/Topic?from=2&to=3"' in view


def test_a_clean_merge_is_rendered_before_the_write_lock(client, alice, monkeypatch):
    from wiki.pages import editing

    save_page(client, "Topic", BASE)
    assert save_page(alice, "Topic", BASE.replace("alpha", "ALPHA"), base_rev=1).status_code == 302

    def under_the_lock(*_args):
        raise AssertionError("the merged text was rendered while holding the write lock")

    monkeypatch.setattr(editing, "_render_locked", under_the_lock)
    response = save_page(client, "Topic", BASE.replace("epsilon", "EPSILON"), base_rev=1)
    assert response.status_code == 302
    merged = BASE.replace("alpha", "ALPHA").replace("epsilon", "EPSILON")
    assert client.get("/raw/Topic").get_data(as_text=True) == merged
    assert "EPSILON" in client.get("/wiki/Topic").get_data(as_text=True)  # its render


def _overtaken_merges(alice, monkeypatch, times: int) -> list[str]:
    """Each of the next ``times`` merges before the lock is overtaken by a save of alice's
    (a new upper-cased word each); returns those words."""
    from wiki.pages import editing

    real, words = editing._premerge, ["gamma", "beta", "Topic"][:times]
    done: list[str] = []

    def overtaken(title, base_rev, body):
        prepared = real(title, base_rev, body)  # merged with the current revision
        if len(done) < times:
            word = words[len(done)]
            done.append(word)
            theirs = client_text(alice, title).replace(word, word.upper())
            rev = len(done) + 2
            assert save_page(alice, title, theirs, base_rev=rev - 1).status_code == 302
        return prepared

    monkeypatch.setattr(editing, "_premerge", overtaken)
    return words


def client_text(client, title: str) -> str:
    return client.get(f"/raw/{title}").get_data(as_text=True)


def test_a_merge_overtaken_by_another_save_is_merged_again_before_the_lock(
    client, alice, monkeypatch
):
    from wiki.pages import editing

    save_page(client, "Topic", BASE)
    assert save_page(alice, "Topic", BASE.replace("alpha", "ALPHA"), base_rev=1).status_code == 302
    _overtaken_merges(alice, monkeypatch, times=1)

    def under_the_lock(*_args):
        raise AssertionError("the merged text was rendered while holding the write lock")

    monkeypatch.setattr(editing, "_render_locked", under_the_lock)
    response = save_page(client, "Topic", BASE.replace("epsilon", "EPSILON"), base_rev=1)
    assert response.status_code == 302
    everything = BASE.replace("alpha", "ALPHA").replace("gamma", "GAMMA")
    assert client_text(client, "Topic") == everything.replace("epsilon", "EPSILON")
    assert "GAMMA" in client.get("/wiki/Topic").get_data(as_text=True)


def test_a_page_that_keeps_moving_is_merged_under_the_lock_at_the_last_try(
    client, alice, monkeypatch
):
    """Two merges before the lock overtaken in turn: the third try does it all under the
    lock, so a save of a very busy page still lands."""
    from wiki.pages import editing

    save_page(client, "Topic", BASE)
    assert save_page(alice, "Topic", BASE.replace("alpha", "ALPHA"), base_rev=1).status_code == 302
    words = _overtaken_merges(alice, monkeypatch, times=3)
    locked, real_render = [], editing._render_locked

    def under_the_lock(body, title):
        locked.append(title)
        return real_render(body, title)

    monkeypatch.setattr(editing, "_render_locked", under_the_lock)
    response = save_page(client, "Topic", BASE.replace("epsilon", "EPSILON"), base_rev=1)
    assert response.status_code == 302 and locked == ["Topic"]
    expected = BASE.replace("alpha", "ALPHA").replace("epsilon", "EPSILON")
    for word in words:
        expected = expected.replace(word, word.upper())
    assert client_text(client, "Topic") == expected


def test_overlap_is_409_with_the_chooser_and_the_users_text(client, alice):
    response = overlapping_conflict(client, alice)
    assert response.status_code == 409
    page = text_of(response)
    assert "alice saved revision 2 while you were editing" in words_of(response)
    assert page.count('class="conflict-block"') == 2
    for n in (1, 2):
        for value in ("theirs", "mine", "both"):
            assert f'name="choice-{n}" value="{value}"' in page
    result = textarea(response)
    assert "alpha (bob)" in result and "epsilon (bob)" in result  # the user's text
    assert "ALPHA" in result and "EPSILON" in result  # and theirs, both marked
    assert "<<<<<<< conflict 1: their version (revision 2 by alice)" in result
    assert ">>>>>>> conflict 2: your version" in result
    assert base_rev_of(response) == "2"
    assert "js/conflict.js" in page and "<script>" not in page
    assert client.get("/raw/Topic").get_data(as_text=True).count("(bob)") == 0


def test_conflict_keeps_the_users_text_as_a_draft(client, alice):
    overlapping_conflict(client, alice)
    draft = client.get("/draft/Topic", headers={"Accept": "application/json"}).get_json()
    assert draft["base_rev"] == 1 and "alpha (bob)" in draft["body"]
    assert draft["summary"] == "bob's edit"


def test_chooser_saves_the_chosen_result_with_the_new_base(client, alice):
    conflict = overlapping_conflict(client, alice)
    response = choose(client, "Topic", conflict, {1: "mine", 2: "theirs"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/wiki/Topic")
    expected = BASE.replace("alpha", "alpha (bob)").replace("epsilon", "EPSILON")
    assert client.get("/raw/Topic?rev=3").get_data(as_text=True) == expected
    assert client.get("/raw/Topic?rev=2").get_data(as_text=True).count("ALPHA") == 1
    assert client.get("/raw/Topic?rev=4").status_code == 404
    assert client.get("/draft/Topic").status_code == 404  # the save removed the draft


def test_chooser_both_keeps_theirs_then_mine(client, alice):
    conflict = overlapping_conflict(client, alice)
    assert choose(client, "Topic", conflict, {1: "both", 2: "both"}).status_code == 302
    body = client.get("/raw/Topic").get_data(as_text=True)
    assert "ALPHA\nalpha (bob)\nbeta" in body and "EPSILON\nepsilon (bob)\n" in body


def test_chooser_with_blocks_left_marked_asks_again(client, alice):
    conflict = overlapping_conflict(client, alice)
    response = choose(client, "Topic", conflict, {1: "theirs"})
    assert response.status_code == 409
    assert "1 conflict is still marked" in words_of(response)
    result = textarea(response)
    assert result.startswith("# Topic\n\nALPHA\nbeta")  # choice 1 applied
    assert "<<<<<<< conflict 2" in result and "<<<<<<< conflict 1" not in result
    assert client.get("/raw/Topic?rev=3").status_code == 404
    again = choose(client, "Topic", response, {2: "mine"})
    assert again.status_code == 302
    assert client.get("/raw/Topic").get_data(as_text=True) == BASE.replace(
        "alpha", "ALPHA"
    ).replace("epsilon", "epsilon (bob)")


def test_chooser_text_edited_by_hand_is_saved_as_is(client, alice):
    conflict = overlapping_conflict(client, alice)
    by_hand = "# Topic\n\nmerged by hand\n"
    assert choose(client, "Topic", conflict, {1: "theirs"}, body=by_hand).status_code == 302
    assert client.get("/raw/Topic").get_data(as_text=True) == by_hand


def test_chooser_repeats_when_yet_another_edit_landed(client, alice):
    conflict = overlapping_conflict(client, alice)
    # Meanwhile alice changes the first block again: bob's choice now conflicts anew.
    current = client.get("/raw/Topic").get_data(as_text=True)
    assert (
        save_page(alice, "Topic", current.replace("ALPHA", "ALPHA 3"), base_rev=2).status_code
        == 302
    )
    response = choose(client, "Topic", conflict, {1: "mine", 2: "theirs"})
    assert response.status_code == 409
    assert "alice saved revision 3" in words_of(response)
    assert base_rev_of(response) == "3"
    [block] = re.findall(r"<<<<<<< conflict (\d+)", textarea(response))
    assert block == "1"
    final = choose(client, "Topic", response, {1: "mine"})
    assert final.status_code == 302
    assert client.get("/raw/Topic?rev=4").get_data(as_text=True) == BASE.replace(
        "alpha", "alpha (bob)"
    ).replace("epsilon", "EPSILON")


def test_chooser_merges_cleanly_with_a_non_overlapping_newer_edit(client, alice):
    conflict = overlapping_conflict(client, alice)
    current = client.get("/raw/Topic").get_data(as_text=True)
    assert (
        save_page(alice, "Topic", current.replace("gamma", "GAMMA"), base_rev=2).status_code == 302
    )
    response = choose(client, "Topic", conflict, {1: "mine", 2: "mine"})
    assert response.status_code == 302
    assert client.get("/raw/Topic?rev=4").get_data(as_text=True) == (
        "# Topic\n\nalpha (bob)\nbeta\nGAMMA\ndelta\nepsilon (bob)\n"
    )
    assert "merged with revision 3 by alice" in text_of(client.get("/wiki/Topic"))


def test_a_hand_pasted_marker_in_a_normal_save_is_kept(client, editor):
    body = "<<<<<<< conflict 1: a\nx\n======= conflict 1\ny\n>>>>>>> conflict 1: b\n"
    assert save_page(client, "Git markers", body).status_code == 302
    assert client.get("/raw/Git_markers").get_data(as_text=True) == body


@pytest.mark.parametrize("base_rev", ["abc", "²", "-1", "1.0", "9" * 5000, "7"])
def test_bad_base_rev_is_400_with_the_text_shown_back(client, editor, base_rev):
    save_page(client, "Base", "one")
    save_page(client, "Base", "two")
    response = save_page(client, "Base", "my precious text", base_rev=base_rev)
    assert response.status_code == 400
    assert "my precious text" in textarea(response)
    assert client.get("/raw/Base").get_data(as_text=True) == "two"


def test_base_rev_of_another_page_is_400(client, editor):
    for n in range(4):
        save_page(client, "Long", f"version {n}")
    save_page(client, "Short", "only one")
    response = save_page(client, "Short", "my text for short", base_rev=4)
    assert response.status_code == 400
    assert "my text for short" in textarea(response)


def test_base_rev_for_a_page_that_does_not_exist_yet_is_400(client, editor):
    response = save_page(client, "Not Yet", "fresh text", base_rev=2)
    assert response.status_code == 400 and "fresh text" in textarea(response)
    assert client.get("/raw/Not_Yet").status_code == 404
