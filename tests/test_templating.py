"""Template helpers that stand in for slower general ones must give the same result."""

from __future__ import annotations

import pytest
from flask import render_template_string, url_for

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
