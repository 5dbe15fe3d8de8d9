"""No writes on reads: every GET route of the route table, anonymous and logged in, on pages
already visited, runs no INSERT/UPDATE/DELETE outside a short allow-list (#21).

A SQLAlchemy statement listener on the engine sees every statement, whichever connection or
thread runs it (the best-effort writes use connections of their own).
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event

from tests import routes_support as rs
from wiki.extensions import db

WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)
# Writes a GET may make even on a page already visited: a missed search counted in a batch.
ALLOWED = re.compile(r"^\s*(INSERT INTO|UPDATE) (search_misses|search_miss_searchers)\b", re.I)


@pytest.fixture
def world(backend, app_config, migrated, tmp_path):
    with rs.seeded_world(backend, app_config, migrated, tmp_path) as world:
        yield world


def test_get_routes_write_nothing_the_second_time(world):
    cells = list(rs.get_cells(world))
    assert len(cells) > 60  # the whole route table, not a handful
    for route, resource, role in cells:  # first visits may record visits and fill caches
        rs.send(world, route, resource, role)
    writes: list[str] = []
    with world.app.app_context():
        engine = db.engine

    def listen(_conn, _cursor, statement, _params, _context, _many):
        if WRITE.match(statement) and not ALLOWED.match(statement):
            writes.append(f"{current[0]}: {' '.join(statement.split())[:160]}")

    current = ["?"]
    event.listen(engine, "before_cursor_execute", listen)
    try:
        for route, resource, role in cells:
            current[0] = f"{route.key} {resource} {role}"
            response = rs.send(world, route, resource, role)
            assert response.status_code < 500, current[0]
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    assert not writes, "GETs that wrote:\n" + "\n".join(writes)


def test_the_listener_sees_a_visit_write(world):
    """The check can fail: a page changed since the last visit is recorded (one UPDATE)."""
    view = next(r for r in rs.routes_of(world.app) if r.key == "pages.view GET")
    rs.send(world, view, "normal", "editor")
    editor = world.clients["editor"]
    title = rs.page_title("normal", "editor")
    form = {"body": "Changed.\n", "summary": "", "base_rev": "2", "save": "Save"}
    assert editor.post(f"/edit/{title.replace(' ', '_')}", data=form).status_code == 302
    seen: list[str] = []
    with world.app.app_context():
        engine = db.engine

    def listen(_conn, _cursor, statement, *_):
        if WRITE.match(statement):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", listen)
    try:
        rs.send(world, view, "normal", "editor")  # the visit moves to revision 3
        rs.send(world, view, "normal", "editor")  # nothing changed since
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    assert len(seen) == 1 and "page_visits" in seen[0]
