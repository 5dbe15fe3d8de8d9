"""Template helpers that stand in for slower general ones must give the same result."""

from __future__ import annotations

import pytest
from flask import render_template_string, url_for
from markupsafe import escape

TITLES = [
    "Home",
    "Django REST Framework",
    "Key technologies/Celery/Retries",
    "a b/c?d#e%f",
    "C++ & C#",
    "Ünïcode/Straße",
    "x<y>\"'",
    "100% sure",
    "tab\there",
]


@pytest.mark.parametrize("base_url", ["http://localhost/", "http://localhost/sub/"])
def test_page_url_is_url_for_the_page_view(app, base_url):
    with app.test_request_context(base_url=base_url):
        for title in TITLES:
            fast = render_template_string("{{ page_url(t) }}", t=title)
            slow = render_template_string("{{ url_for('pages.view', title=t) }}", t=title)
            assert fast == slow, title
            root = base_url.removeprefix("http://localhost")
            assert url_for("pages.view", title=title).startswith(root)


CALLS = [
    ("pages.home", {}),
    ("auth.login", {"next": "/wiki/Home?rev=2"}),
    ("pages.view", {"title": "C++ & C#", "rev": 1}),
    ("pages.view", {"title": "C++ & C#", "rev": True}),
    ("pages.view", {"title": "C++ & C#", "rev": "1"}),
    ("pages.view", {"title": "Ünïcode/Straße", "redirectedfrom": "x<y>"}),
    ("static", {"filename": "css/site.css"}),
    ("search.search", {"q": ["a", "b"]}),  # a list: not a key, built each time
    ("pages.view", {"title": "Home", "_anchor": "h-top"}),
    ("pages.view", {"title": "Home", "_external": True}),
]


@pytest.mark.parametrize("base_url", ["http://localhost/", "http://localhost/sub/"])
def test_templates_url_for_is_remembered_and_the_same_as_flasks(app, base_url):
    with app.test_request_context(base_url=base_url):
        for _ in range(2):  # built, then remembered
            for endpoint, values in CALLS:
                template = "{{ url_for(endpoint, **values) }}"
                got = render_template_string(template, endpoint=endpoint, values=values)
                assert got == str(escape(url_for(endpoint, **values))), (endpoint, values)


def test_remembered_urls_follow_the_script_root(app):
    for root in ("/", "/sub/", "/other/"):
        with app.test_request_context(base_url="http://localhost" + root):
            got = render_template_string("{{ url_for('pages.home') }}")
            assert got == root


def test_a_url_asked_for_again_is_not_built_again(app, monkeypatch):
    from werkzeug.routing import MapAdapter

    builds = []
    real = MapAdapter.build
    monkeypatch.setattr(MapAdapter, "build", lambda *a, **k: builds.append(a[1]) or real(*a, **k))
    with app.test_request_context():
        for _ in range(3):
            render_template_string("{{ url_for('structure.tags') }}")
    assert builds == ["structure.tags"]
