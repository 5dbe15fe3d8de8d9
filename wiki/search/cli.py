"""``flask --app wsgi search reindex``, ``… search check`` and ``… search follow``."""

from __future__ import annotations

import sys
import time

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from wiki.extensions import db
from wiki.models import Page
from wiki.search import indexer
from wiki.search import service as search_service
from wiki.search.documents import SearchIndexError
from wiki.search.sources import live_revisions

search_cli = AppGroup("search", help="Rebuild and check the full-text search index.")
LIST_LIMIT = 20


@search_cli.command("reindex")
def search_reindex() -> None:
    """Rebuild the whole search index from the database, with a progress bar.

    Searches keep answering from the old index until the new one is complete; saves made
    meanwhile wait for it and then land in the new index.
    """
    total = len(live_revisions())
    db.session.rollback()
    backend = search_service.backend_name()
    click.echo(f"Indexing {total} pages ({backend} backend) …")
    with click.progressbar(length=total, label="Indexing", show_pos=True, file=sys.stderr) as bar:
        done = [0]

        def progress(count: int) -> None:
            bar.update(count - done[0])
            done[0] = count

        try:
            count = search_service.rebuild(progress)
        except SearchIndexError as error:
            raise click.ClickException(f"The index is busy: {error}") from error
    click.echo(f"Indexed {count} pages.")


@search_cli.command("optimize")
def search_optimize() -> None:
    """Merge the search index into one part, so searches read fewer files.

    Saves merge small parts as they go; larger merges wait for this command, because
    indexing waits while it runs (about 25 s at 10,000 pages): run it after a big import
    (`flask import` does) and nightly, from cron.
    """
    click.echo(f"Optimizing the search index ({search_service.backend_name()} backend) …")
    started = time.monotonic()
    try:
        parts = search_service.optimize()
    except SearchIndexError as error:
        raise click.ClickException(f"The index is busy: {error}") from error
    click.echo(f"Done in {time.monotonic() - started:.1f} s ({parts} parts before).")


def _titles(ids: list[int]) -> list[str]:
    shown = ids[:LIST_LIMIT]
    found = dict(db.session.execute(select(Page.id, Page.title).where(Page.id.in_(shown))).all())
    return [found.get(pid, f"(page id {pid})") for pid in shown]


@search_cli.command("check")
def search_check() -> None:
    """Compare the search index with the database; exit with status 1 when any page's
    entry is missing or stale (or indexes a page that is deleted)."""
    try:
        report = search_service.check()
    except SearchIndexError as error:
        raise click.ClickException(f"The index cannot be read: {error}") from error
    problems = (
        ("missing from the index", report.missing),
        ("stale in the index (older revision)", report.stale),
        ("in the index but deleted or gone", report.extra),
    )
    for label, ids in problems:
        if ids:
            click.echo(f"{len(ids)} pages {label}:")
            for title in _titles(ids):
                click.echo(f"  {title}")
            if len(ids) > LIST_LIMIT:
                click.echo(f"  … and {len(ids) - LIST_LIMIT} more")
    if not report.ok:
        click.echo("Run `flask --app wsgi search reindex` to repair the index.")
        raise SystemExit(1)
    click.echo(f"The search index is up to date ({len(live_revisions())} pages).")


@search_cli.command("follow")
@click.option(
    "--poll",
    type=click.FloatRange(min=1.0),
    default=indexer.FOLLOW_POLL,
    show_default=True,
    help="Seconds between syncs when no save wakes it.",
)
def search_follow(poll: float) -> None:
    """Run this host's search indexer until stopped (SIGTERM or Ctrl+C).

    The web workers of this host wake it after each save, instead of indexing in a thread
    of their own; it also syncs every POLL seconds. bin/serve starts one beside gunicorn.
    """
    click.echo(f"Indexing saves as they come ({search_service.backend_name()} backend) …")
    try:
        indexer.follow(current_app._get_current_object(), poll=poll)
    except RuntimeError as error:
        raise click.ClickException(str(error)) from error
    click.echo("Stopped.")


def register_search_cli(app) -> None:
    app.cli.add_command(search_cli)
