"""What every save is held to, shared by the edit form and the JSON API: the per-user save
rate (:func:`save_limit`) and a render slot (:func:`save`)."""

from flask import current_app
from flask_login import current_user

from wiki import slots
from wiki.extensions import db, limiter
from wiki.models import User
from wiki.pages import editing


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


def save(title: str, body: str, summary: str, base_rev: int | None, user: User, **options):
    """:func:`editing.save_edit` whose renders hold a render slot: saves cannot starve
    readers any more than previews can (see wiki.slots).

    ``options`` are ``save_edit``'s keyword options.

    :raises slots.Busy: no slot came free within ``WIKI_RENDER_WAIT`` seconds; nothing was
        saved, and the caller still has the text to hand back. Else as ``save_edit``.
    """
    try:
        with slots.renders_held():
            return editing.save_edit(title, body, summary, base_rev, user, **options)
    except slots.Busy:
        db.session.rollback()  # a merge renders under the write lock: give it back at once
        raise
