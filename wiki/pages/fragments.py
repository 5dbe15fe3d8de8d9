"""Parts of a page view that change far less often than the view, kept per worker: the page
tree beside a page and the tags and sub-pages under it.

Both are keyed by the generations of wiki/pages/generations.py — the tree by the site's
structure generation (any page created, deleted, restored or renamed), the footer also by the
page's own (an edit changes its tags) — so a kept part is never stale, on any worker. They
serve every view the whole-page cache (page_cache) does not: the first view after an edit,
a reader with a flash message pending, an old revision's neighbours, ``WIKI_PAGE_CACHE = False``.
At most ``WIKI_FRAGMENT_CACHE_BYTES`` per worker (``page_cache.ByteCache``).
"""

from __future__ import annotations

import json
from dataclasses import asdict

from flask import current_app
from markupsafe import Markup

from wiki.models import Page
from wiki.pages import navigation
from wiki.pages.page_cache import app_cache

DEFAULT_BUDGET = 8 * 1024 * 1024
TTL = 600.0  # the keys say when a part is stale; this only frees parts nobody views
_KEY = "nexus_fragment_cache"
_TREE_TEMPLATE = "structure/_page_tree.html"


def _store():
    budget = current_app.config.get("WIKI_FRAGMENT_CACHE_BYTES", DEFAULT_BUDGET)
    return app_cache(current_app, _KEY, budget, TTL)


def page_tree(page: Page, structure: int, can_edit: bool) -> Markup:
    """The page tree beside the live ``page`` (navigation.page_tree, rendered), as of the
    site's ``structure`` generation; ``can_edit`` adds its "New sub-page" button."""

    def build() -> bytes:
        template = current_app.jinja_env.get_template(_TREE_TEMPLATE)
        html = template.render(page=page, tree=navigation.page_tree(page.title), can_edit=can_edit)
        return html.encode("utf-8")

    key = ("tree", page.title, structure, can_edit)
    return Markup(_store().get_or_build(key, build).decode("utf-8"))


def footer_info(page: Page, structure: int) -> navigation.FooterInfo:
    """The tags and sub-pages of the live ``page`` (navigation.footer_info) at its generation
    and the site's ``structure`` generation."""

    def build() -> bytes:
        return json.dumps(asdict(navigation.footer_info(page))).encode("utf-8")

    key = ("footer", page.id, page.generation, structure)
    return navigation.FooterInfo(**json.loads(_store().get_or_build(key, build)))
