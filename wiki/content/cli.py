"""The content commands: ``flask --app wsgi content init``, ``… import PATH``, ``… export PATH``."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from wiki.auth.accounts import find_user, system_user
from wiki.content.exporting import ExportError, count_live_pages, count_revisions, export_wiki
from wiki.content.importing import (
    ImportReport,
    load_starter,
    plan_import,
    run_import,
    wiki_is_empty,
)
from wiki.extensions import db
from wiki.search import indexing

content_cli = AppGroup("content", help="The knowledge base's starter content.")


def _echo_report(report: ImportReport, verbose_limit: int = 50) -> None:
    click.echo(f"{report.total} files: {report.summary()}.")
    if report.rejected:
        click.echo("Rejected:", err=True)
        for rejection in report.rejected[:verbose_limit]:
            click.echo(f"  {rejection.path}: {rejection.reason}", err=True)
        if len(report.rejected) > verbose_limit:
            click.echo(f"  … and {len(report.rejected) - verbose_limit} more.", err=True)


@content_cli.command("init")
def content_init() -> None:
    """Load the starter pages into an empty wiki, once.

    Does nothing (quickly) as soon as the wiki has any page, so it never overwrites edits;
    safe to run on every start.
    """
    report = None
    if wiki_is_empty():
        user = system_user()
        db.session.commit()
        report = load_starter(user)
    if report is None:
        click.echo("Starter content: the wiki already has pages; nothing to do.")
        return
    click.echo(f"Starter content loaded as nexus-bot: {report.summary()}.")
    if report.rejected:  # a bug in wiki/content/starter/, but never a reason not to start the wiki
        _echo_report(report)


def _import_user(username: str | None):
    if username is None:
        user = system_user()
        db.session.commit()
        return user
    user = find_user(username)
    if user is None or not user.active:
        raise click.ClickException(f"No active user called {username!r}.")
    return user


@click.command("import")
@click.argument(
    "path", type=click.Path(exists=True, file_okay=False, dir_okay=True, path_type=Path)
)
@click.option(
    "--user", "username", metavar="NAME", help="Author of the new revisions (default: nexus-bot)."
)
@with_appcontext
def import_command(path: Path, username: str | None) -> None:
    """Import a folder of Markdown (.md) files as pages.

    Sub-folders become nested titles (Django/ORM.md is the page "Django/ORM"); front matter
    "title:" overrides the path. Files whose text equals the page's current text add nothing,
    so importing the same folder again is harmless. Invalid titles and unreadable files are
    reported and skipped.
    """
    user = _import_user(username)
    click.echo(f"Scanning {path} …")
    plan = plan_import(path)
    with click.progressbar(length=len(plan.files), label="Importing", show_pos=True) as bar:
        report = run_import(plan, user, progress=bar.update)
    click.echo("Optimizing the search index …")
    indexing.optimize_after_import()
    _echo_report(report)


@click.command("export")
@click.argument("path", type=click.Path(file_okay=False, dir_okay=True, path_type=Path))
@click.option("--history", is_flag=True, help="Also write history.jsonl with every revision.")
@click.option("--force", is_flag=True, help="Write into a folder that is not empty.")
@with_appcontext
def export_command(path: Path, history: bool, force: bool) -> None:
    """Export every live page as PATH/<title>.md (the layout "import" reads).

    With --history, PATH/history.jsonl gets one JSON object per revision of every page: title,
    number, author, created_at, summary, kind and body.
    """
    total = count_live_pages() + (count_revisions() if history else 0)
    try:
        with click.progressbar(length=total, label="Exporting", show_pos=True) as bar:
            report = export_wiki(path, history=history, force=force, progress=bar.update)
    except ExportError as error:
        raise click.ClickException(str(error)) from error
    done = f"Exported {report.pages} pages to {path}"
    if history:
        done += f" and {report.revisions} revisions to {path / 'history.jsonl'}"
    click.echo(done + ".")


def register_content_cli(app: Flask) -> None:
    app.cli.add_command(content_cli)
    app.cli.add_command(import_command)
    app.cli.add_command(export_command)
