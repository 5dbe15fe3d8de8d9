"""Authorization decorators, checked on the server for every action."""

from functools import wraps

from flask import abort, current_app, redirect, request, url_for
from flask_login import current_user


def _to_login():
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def editor_required(view):
    """Logged-in, active users only; anonymous visitors are sent to log in."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return _to_login()
        return view(*args, **kwargs)

    return wrapped


def plain_user(view):
    """For a view that writes but never changes its user (the editor's save): its user is the
    session's row of plain values, loaded as for a read, not the ORM ``User`` (see
    wiki.auth.views.load_reader). Put it right under the route, so the route registers it."""
    view.plain_user = True
    return view


def admin_required(view):
    """Admins only: anonymous users log in first, editors get 403."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return _to_login()
        if not current_user.is_admin:
            abort(403, "Only administrators can do this.")
        return view(*args, **kwargs)

    return wrapped


def read_access_required(view):
    """With WIKI_READ_ACCESS=registered, reading needs an account too."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        registered_only = current_app.config["WIKI_READ_ACCESS"] == "registered"
        if registered_only and not current_user.is_authenticated:
            return _to_login()
        return view(*args, **kwargs)

    return wrapped
