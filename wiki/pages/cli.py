"""``flask --app wsgi drafts …``: housekeeping of autosaved drafts."""

import click
from flask.cli import AppGroup

from wiki.pages import drafts

drafts_cli = AppGroup("drafts", help="Autosaved drafts: expire old ones.")


@drafts_cli.command("expire")
def drafts_expire() -> None:
    """Delete drafts untouched for 30 days (bin/serve runs this at every start; cron it too)."""
    removed = drafts.expire_drafts()
    click.echo(f"Expired {removed} draft{'s' if removed != 1 else ''}.")
