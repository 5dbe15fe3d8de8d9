"""The per-user save limit, one budget shared by the edit form and the JSON API."""

from flask import current_app
from flask_login import current_user

from wiki.extensions import limiter


def _saver_key() -> str:
    return f"saves:{current_user.get_id()}"


def save_limit(*methods: str):
    """Decorator: at most ``WIKI_SAVE_RATE`` saves per user, counted across every route that
    saves a page (the same scope and key), on requests with one of ``methods``."""
    return limiter.shared_limit(
        lambda: current_app.config["WIKI_SAVE_RATE"],
        scope="page-saves",
        key_func=_saver_key,
        methods=list(methods),
    )
