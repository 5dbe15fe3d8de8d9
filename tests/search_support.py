"""Shared by the search tests: every (database, search backend) pair and small helpers.

Whoosh always runs (on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set); the
PostgreSQL search backend runs when the database is PostgreSQL. Import the fixtures into a
test module to run its tests over every pair.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import select

from tests.conftest import TEST_DATABASE_URL
from wiki.extensions import db
from wiki.models import Page, User
from wiki.pages import editing
from wiki.search import service as search_service

CASES = [("sqlite", "whoosh")]
if TEST_DATABASE_URL:
    CASES += [("postgres", "whoosh"), ("postgres", "postgres")]


@pytest.fixture(params=CASES, ids=[f"{db_name}-{engine}" for db_name, engine in CASES])
def search_case(request) -> tuple[str, str]:
    return request.param


@pytest.fixture
def backend(search_case) -> str:
    """The database (overrides conftest's parameter so each case runs once)."""
    return search_case[0]


@pytest.fixture
def app_config(app_config, search_case) -> dict:
    app_config["SEARCH_BACKEND"] = search_case[1]
    return app_config


def user(name: str) -> User:
    return db.session.scalar(select(User).where(User.username == name))


def put(title: str, body: str, author: str = "bob") -> editing.SaveResult:
    """Save ``body`` as the next revision of ``title`` (inside an app context)."""
    current = db.session.scalar(select(Page.current_rev).where(Page.title == title))
    return editing.save_edit(title, body, "", current, user(author))


def titles(q: str, **kwargs) -> list[str]:
    """The result titles of a search, in rank order (first page)."""
    return [hit.title for hit in search_service.search(q, **kwargs).results.hits]


_HIT_RE = re.compile(r'<a class="search-hit-title" href="/wiki/([^"]+)">')


def html_hits(html: str) -> list[str]:
    """Result page paths (``Django/ORM``, underscores for spaces) in the order shown."""
    return _HIT_RE.findall(html)


@contextmanager
def wiki_of(app, pages: dict[str, str]) -> Iterator[None]:
    """Within: an app context whose wiki holds ``pages`` (title -> body), all indexed."""
    with app.app_context():
        for title, body in pages.items():
            put(title, body)
        search_service.sync()
        yield
