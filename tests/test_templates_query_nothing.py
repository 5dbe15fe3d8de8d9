"""Visible control flow (#13.4): a template shows what its view gathered; it never queries the
database itself (no template global that reads tables, no lazy load of a relationship).

Every GET route of the route table, for every role and page state, is rendered with a
statement listener that records any SQL run between Flask's ``before_render_template`` and
``template_rendered`` signals.
"""

from __future__ import annotations

import pytest
from flask import before_render_template, template_rendered
from sqlalchemy import event

from tests import routes_support as rs
from wiki.extensions import db


@pytest.fixture
def world(backend, app_config, migrated, tmp_path):
    with rs.seeded_world(backend, app_config, migrated, tmp_path) as world:
        yield world


class _Spy:
    """SQL statements run while a template renders, labelled with the request and template."""

    def __init__(self, app) -> None:
        self.app, self.label, self.rendering, self.found = app, "?", None, []
        with app.app_context():
            self.engine = db.engine

    def _before(self, _app, template, **_kw):
        self.rendering = template.name or "<string>"

    def _after(self, _app, template, **_kw):
        self.rendering = None

    def _statement(self, _conn, _cursor, statement, *_):
        if self.rendering is not None:
            self.found.append(
                f"{self.label} [{self.rendering}]: {' '.join(statement.split())[:140]}"
            )

    def __enter__(self):
        before_render_template.connect(self._before, self.app)
        template_rendered.connect(self._after, self.app)
        event.listen(self.engine, "before_cursor_execute", self._statement)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._statement)
        template_rendered.disconnect(self._after, self.app)
        before_render_template.disconnect(self._before, self.app)


def test_no_template_queries_the_database(world):
    cells = list(rs.get_cells(world))
    assert len(cells) > 60
    rendered = 0
    with _Spy(world.app) as spy:
        for route, resource, role in cells:
            spy.label = f"{route.key} {resource} {role}"
            response = rs.send(world, route, resource, role)
            assert response.status_code < 500, spy.label
            rendered += response.mimetype == "text/html"
    assert rendered > 40
    assert not spy.found, "templates that queried:\n" + "\n".join(spy.found)


def test_the_spy_sees_a_query_in_a_template(world):
    """The check can fail: a template that calls a querying helper is caught."""
    from flask import render_template_string

    from wiki.models import Page

    with world.app.test_request_context(), _Spy(world.app) as spy:
        world.app.jinja_env.globals["count_pages"] = lambda: db.session.query(Page).count()
        try:
            render_template_string("{{ count_pages() }}")
        finally:
            del world.app.jinja_env.globals["count_pages"]
    assert any("pages" in found for found in spy.found)
