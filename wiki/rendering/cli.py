"""``flask --app wsgi render diff``: the pages a new renderer would show differently."""

from __future__ import annotations

import difflib
import json

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from wiki.extensions import db
from wiki.models import Page, RenderCache, Revision
from wiki.rendering.cache import image_sizes
from wiki.rendering.guard import safe_render
from wiki.rendering.markdown import RENDERER_VERSION, RenderError

render_cli = AppGroup("render", help="Review what a renderer upgrade changes.")


def changed_pages(include_current: bool = False):
    """(title, cached HTML, new HTML or None if refused, error) for each live page whose
    cached HTML, made by an older renderer (or any, with ``include_current``), differs from
    what this renderer makes of the same revision with the same red links.

    Reads only: the cache is left as it is, so pages can be reviewed before they are viewed.
    """
    rows = db.session.execute(
        select(Page.title, Revision, RenderCache)
        .join(Revision, (Revision.page_id == Page.id) & (Revision.number == Page.current_rev))
        .join(RenderCache, RenderCache.revision_id == Revision.id)
        .where(Page.deleted.is_(False))
        .order_by(Page.title)
    )
    for title, revision, cached in rows:
        if cached.renderer_version == RENDERER_VERSION and not include_current:
            continue
        links = set(json.loads(cached.links_json)) - set(json.loads(cached.missing_json))
        try:
            rendered = safe_render(
                revision.body,
                existing=links,  # the red links of the cached HTML: only the renderer differs
                page_title=revision.title,
                image_sizes=image_sizes(revision.title) if "](" in revision.body else None,
                timeout=current_app.config["WIKI_RENDER_TIMEOUT"],
            )
        except RenderError as error:
            yield title, cached.html, None, str(error)
            continue
        if rendered.html != cached.html:
            yield title, cached.html, rendered.html, ""


@render_cli.command("diff")
@click.option("--show", is_flag=True, help="Print a diff of the HTML of each changed page.")
@click.option(
    "--all", "include_current", is_flag=True, help="Also re-check pages cached by this renderer."
)
def render_diff(show: bool, include_current: bool) -> None:
    """List the pages whose rendered HTML this renderer changes.

    Compares each live page's cached HTML from an older renderer version with a fresh render
    of the same revision (nothing is written). Pages not viewed since the cache was made are
    not cached and cannot be compared; they are counted.
    """
    live = db.session.scalar(
        select(db.func.count())
        .select_from(Page)
        .where(Page.deleted.is_(False), Page.current_rev > 0)
    )
    changed = 0
    for title, before, after, error in changed_pages(include_current):
        changed += 1
        click.echo(f"{title}\t{'refused: ' + error if after is None else 'changed'}")
        if show and after is not None:
            diff = difflib.unified_diff(
                before.splitlines(), after.splitlines(), "before", "after", n=1, lineterm=""
            )
            click.echo("\n".join(f"    {line}" for line in diff))
    click.echo(
        f"{changed} of {live} pages render differently with renderer version {RENDERER_VERSION}."
    )
