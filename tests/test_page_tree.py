"""The page tree beside a page: the pure builder and the one query behind it."""

from tests.conftest import save_page
from wiki.pages.navigation import LEVEL_LIMIT, build_tree, page_tree


def test_build_tree_has_ancestors_siblings_and_children():
    titles = ["A", "A/B", "A/B/C", "A/B/C/x", "A/B/D", "A/B/D/y", "A/B/D/z", "A/B/E"]
    tree = build_tree("A/B/D", titles)
    assert tree.ancestors == [("A", True), ("A/B", True)]
    assert [n.title for n in tree.siblings] == ["A/B/C", "A/B/D", "A/B/E"]
    current = tree.siblings[1]
    assert current.current and [c.name for c in current.children] == ["y", "z"]
    assert [c.name for c in tree.siblings[0].children] == ["x"] and not tree.more_siblings


def test_build_tree_marks_missing_ancestors_and_keeps_the_current_page_in_a_long_level():
    titles = [f"P/{i:03d}" for i in range(LEVEL_LIMIT + 10)]
    tree = build_tree(f"P/{LEVEL_LIMIT + 5:03d}", titles)
    assert tree.ancestors == [("P", False)]
    assert len(tree.siblings) == LEVEL_LIMIT and tree.more_siblings
    assert any(node.current for node in tree.siblings)


def test_page_tree_reads_the_live_branch_only(client, editor, app):
    for title in (
        "Python",
        "Python/Testing",
        "Python/Typing",
        "Python/Testing/Fixtures",
        "Python/Typing/Protocols/Deep",
        "Rust",
        "Rust/Cargo",
    ):
        assert save_page(client, title, "x").status_code == 302
    editor.logout()
    editor.login("alice")
    assert client.post("/delete/Python/Typing").status_code == 302
    with app.test_request_context():
        tree = page_tree("Python/Testing")
    assert tree.ancestors == [("Python", True)]
    assert [n.title for n in tree.siblings] == ["Python/Testing"]  # Typing is deleted
    assert [c.title for c in tree.siblings[0].children] == ["Python/Testing/Fixtures"]
    with app.test_request_context():
        top = page_tree("Rust")
    assert [n.title for n in top.siblings] == ["Python", "Rust"]
    assert [c.title for c in top.siblings[1].children] == ["Rust/Cargo"]
    # At the top level (the whole wiki) only the page's own sub-pages are read.
    assert top.siblings[0].children == []
