"""``flask --app wsgi <group> <command>``: users, search, content, drafts, render, files."""

import click
from flask import Flask
from flask.cli import AppGroup

from wiki.auth import sessions
from wiki.auth.accounts import AccountError, create_user, find_user, set_password, set_role
from wiki.extensions import db
from wiki.models import ROLE_ADMIN

users_cli = AppGroup("users", help="Create, promote, deactivate users and reset passwords.")


def _user_or_fail(username: str):
    user = find_user(username)
    if user is None or user.is_system:
        raise click.ClickException(f"No user called {username!r}.")
    return user


@users_cli.command("create")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--admin", is_flag=True, help="Make the new user an administrator.")
def users_create(username: str, password: str, admin: bool) -> None:
    """Create USERNAME (the first account ever becomes admin)."""
    try:
        user = create_user(username, password, role=ROLE_ADMIN if admin else None)
    except AccountError as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"Created {user.username} ({user.role}).")


@users_cli.command("promote")
@click.argument("username")
def users_promote(username: str) -> None:
    """Make USERNAME an administrator."""
    user = _user_or_fail(username)
    set_role(user, ROLE_ADMIN)
    db.session.commit()
    click.echo(f"{user.username} is now an admin.")


@users_cli.command("deactivate")
@click.argument("username")
def users_deactivate(username: str) -> None:
    """Stop USERNAME from logging in; their edits stay."""
    user = _user_or_fail(username)
    user.active = False
    ended = sessions.end_sessions(user.id)
    db.session.commit()
    click.echo(f"{user.username} is deactivated; {ended} session(s) ended.")


@users_cli.command("reset-password")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def users_reset_password(username: str, password: str) -> None:
    """Set a new password for USERNAME."""
    user = _user_or_fail(username)
    try:
        set_password(user, password)
    except AccountError as error:
        raise click.ClickException(str(error)) from error
    ended = sessions.end_sessions(user.id)  # a reset is for a lost or leaked password
    db.session.commit()
    click.echo(f"Password of {user.username} changed; {ended} session(s) ended.")


def register_cli(app: Flask) -> None:
    app.cli.add_command(users_cli)
    from wiki.content.cli import register_content_cli

    register_content_cli(app)
    from wiki.search.cli import register_search_cli

    register_search_cli(app)
    from wiki.pages.cli import drafts_cli

    app.cli.add_command(drafts_cli)
    from wiki.rendering.cli import render_cli

    app.cli.add_command(render_cli)
    from wiki.files.cli import files_cli

    app.cli.add_command(files_cli)
    from wiki.jobs.cli import jobs_cli

    app.cli.add_command(jobs_cli)
