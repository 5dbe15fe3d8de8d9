"""Autosaved drafts over HTTP, the "who is editing" notice, and rescuing text when a
session expired mid-edit.

Routes (on the ``pages`` blueprint):

- ``POST /draft/<title>``: autosave (fields ``body``, ``summary``, ``base_rev``). JSON
  ``{"status": "saved" | "skipped" | "unchanged"}``, always 200 for those: a save less than
  3 s after the editor's previous one is *skipped* without writing and carries
  ``retry_after`` (seconds), so the script simply tries again then. 400 bad ``base_rev``,
  401 logged out, 403 page the user can't edit, 413 over 1 MiB.
- ``GET /draft/<title>``: the user's own draft as JSON (404 when none).
- ``POST /draft/<title>/discard``: delete it (JSON for scripts, else back to the editor).
- ``GET /draft/<title>/token``: fresh CSRF and draft tokens, so an open editor keeps working
  after its user logged in again in another tab.

Expired sessions: an anonymous request never writes a server-side draft, whatever it
carries; the text stays in the browser (the editor shown again with it, or the open editor
that autosaves) until its user logs in again. The editor carries a signed *draft token*
(user, title; valid :data:`TOKEN_MAX_AGE`): when a logged-in user's edit POST fails the
CSRF check (their session's token changed), the text is kept as their draft only with a
token issued to that same user, and never over an existing draft: a forged form cannot
replace someone's unsaved work.
"""

from __future__ import annotations

from datetime import datetime

from flask import (
    Response,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from flask_wtf.csrf import CSRFError, generate_csrf
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from wiki import errors
from wiki.db import is_busy, is_unreachable
from wiki.decorators import editor_required
from wiki.extensions import db
from wiki.lookup import find_page, valid_title_or_400
from wiki.models import Page, User, now_utc
from wiki.pages import bp, drafts, section_edit
from wiki.pages.editing import EditError
from wiki.pages.forms import EditForm
from wiki.pages.page_templates import template_titles
from wiki.text.numbers import whole_number
from wiki.text.titles import TitleError, normalize_title

TOKEN_MAX_AGE = 2 * 3600  # the open editor fetches a fresh one from /draft/<title>/token
_TOKEN_SALT = "nexus-draft-token"
_RESCUE_ENDPOINTS = ("pages.edit", "pages.save_draft")
_EXPIRED = "Your session expired or you were logged out, so nothing was saved."


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=_TOKEN_SALT)


def _token_is_for_current_user(title: str) -> bool:
    """True when the logged-in user sent a fresh ``draft_token`` issued to them for ``title``."""
    if not current_user.is_authenticated:
        return False
    try:
        user_id, token_title = _serializer().loads(
            request.form.get("draft_token", ""), max_age=TOKEN_MAX_AGE
        )
    except (BadData, TypeError, ValueError):
        return False
    return token_title == title and user_id == current_user.id


def _json(status: str, code: int = 200, **extra):
    response = jsonify({"status": status, **extra})
    response.status_code = code
    response.headers["Cache-Control"] = "no-store"
    return response


def _parse_base(value: str) -> int | None:
    """:raises EditError: for anything but a short run of ASCII digits."""
    try:
        return whole_number(value, minimum=0)
    except ValueError:
        raise EditError("The base revision must be a number.") from None


def _whole_body(title: str) -> str:
    """The draft's text; a section editor's section is spliced into its base revision.

    :raises EditError: a bad base revision. :raises SectionNotFound: no such section.
    """
    body = request.form["body"]
    section = section_edit.parse_section(request.form.get("section") or None)
    if section is None:
        return body
    base = _parse_base(request.form.get("base_rev", ""))
    return section_edit.whole_body(find_page(title), base, section, body)


def _autosave(user: User, title: str):
    if "body" not in request.form:
        return _json("error", 400, message="The draft had no text.")
    try:
        outcome = drafts.save_draft(
            user,
            title,
            _whole_body(title),
            request.form.get("summary", ""),
            _parse_base(request.form.get("base_rev", "")),
        )
    except EditError as error:
        return _json("error", error.status, message=error.message)
    except section_edit.SectionNotFound:
        return _json("error", 404, message="This page has no such section any more.")
    extra: dict = {}
    if outcome.saved_at is not None:
        extra["saved_at"] = draft_clock(outcome.saved_at)
    if outcome.status == "skipped":
        extra["retry_after"] = outcome.retry_after
    return _json(outcome.status, **extra)


@bp.route("/draft/<title:title>", methods=["POST"])
def save_draft(title: str):
    title = valid_title_or_400(title)
    if not current_user.is_authenticated:  # never a draft without a session, token or not
        return _json("logged_out", 401, message="You are logged out.")
    return _autosave(current_user, title)


@bp.route("/draft/<title:title>", methods=["GET"])
def draft(title: str):
    title = valid_title_or_400(title)
    if not current_user.is_authenticated:
        return _json("logged_out", 401, message="You are logged out.")
    found = drafts.get_draft(current_user.id, title)
    if found is None:
        return _json("missing", 404, message="You have no draft of this page.")
    return _json(
        "ok",
        body=found.body,
        summary=found.summary,
        base_rev=found.base_rev,
        updated_at=draft_clock(found.updated_at),
    )


@bp.route("/draft/<title:title>/discard", methods=["POST"])
@editor_required
def discard_draft(title: str):
    title = valid_title_or_400(title)
    drafts.discard_draft(current_user.id, title)
    if request.accept_mimetypes.best == "application/json":
        return _json("discarded")
    flash("Your draft was discarded.", "info")
    return redirect(url_for("pages.edit", title=title))


@bp.route("/draft/<title:title>/token")
def draft_token(title: str):
    title = valid_title_or_400(title)
    if not current_user.is_authenticated:
        return _json("logged_out", 401, message="You are logged out.")
    return _json("ok", csrf_token=generate_csrf(), draft_token=draft_token_for(title))


@bp.errorhandler(CSRFError)
def rescue_text(error: CSRFError):
    """A failed CSRF check on an edit or autosave keeps the text as a draft; else a 400."""
    db.session.rollback()
    try:
        title = normalize_title(str((request.view_args or {}).get("title", "")))
    except TitleError:
        title = None
    if request.method == "POST" and title and request.endpoint in _RESCUE_ENDPOINTS:
        if request.endpoint == "pages.save_draft":  # the open editor keeps the text
            return _json("expired", 400, message=_EXPIRED)
        return _rescue_edit(title)
    if request.endpoint == "pages.preview":  # shown as text in the editor's preview pane
        return Response(
            "The preview is paused: your session expired or you were logged out. "
            "Your text is still in the editor.",
            400,
            mimetype="text/plain",
        )
    message = (
        "The form's security token was missing or expired, so nothing was saved. "
        "Go back, reload the page and try again."
    )
    if request.accept_mimetypes.best == "application/json":
        return {"error": "Bad request", "message": message}, 400
    return render_template("errors/400.html", code=400, title="Bad request", message=message), 400


def _keep_refused_edit() -> None:
    """Keep the text of an edit POST that a limit or a fault refused, as the user's draft."""
    if request.method != "POST" or request.endpoint != "pages.edit":
        return
    if not current_user.is_authenticated or not request.form.get("body"):
        return
    try:
        title = normalize_title(str((request.view_args or {}).get("title", "")))
        keep_text(
            title,
            request.form["body"],
            request.form.get("summary", ""),
            request.form.get("base_rev", ""),
        )
    except Exception:  # best effort: the error page must still be shown
        db.session.rollback()
        return
    flash(
        "Your text was not saved, but it is kept as a draft: "
        "the editor offers it back when you return.",
        "info",
    )


@bp.errorhandler(429)
def keep_text_when_limited(error):
    if request.endpoint == "pages.preview":  # shown as text in the editor's preview pane
        response, code, headers = errors.too_many(error)
        message = "The preview pauses: too many previews in a minute. Keep typing."
        return Response(message, code, headers, mimetype="text/plain")
    _keep_refused_edit()
    return errors.too_many(error)


@bp.errorhandler(Exception)
def keep_text_on_failure(error: Exception):
    # A blueprint's Exception handler also catches aborts (404…): those are not failures.
    if isinstance(error, HTTPException):
        return errors.http_error(error)
    db.session.rollback()
    if is_busy(error):  # locked or out of reach: 503, and the editor keeps the text
        if request.method == "POST" and request.endpoint == "pages.edit":
            title = str((request.view_args or {}).get("title", ""))
            if is_unreachable(error):
                return _editor_unreachable(title, request.form.get("body", ""))
            return _editor_again(title, request.form.get("body", ""), 503)
        return errors.busy(error)
    _keep_refused_edit()
    return errors.server_error(error)


def _rescue_edit(title: str):
    body = request.form.get("body", "")
    if (
        body
        and _token_is_for_current_user(title)
        and drafts.get_draft(current_user.id, title) is None
    ):
        try:
            base = _parse_base(request.form.get("base_rev", ""))
            drafts.save_draft(
                current_user, title, body, request.form.get("summary", ""), base, throttle=False
            )
        except EditError:
            db.session.rollback()
    return _editor_again(title, body, 400)


def _posted_form(body: str) -> EditForm:
    """The edit form as it was posted, with ``body`` as its text."""
    form = EditForm(formdata=None)
    form.body.data = body
    form.summary.data = request.form.get("summary", "")
    form.base_rev.data = request.form.get("base_rev", "")
    return form


def _editor_unreachable(title: str, body: str):
    """The editor with the posted text, drawn without the database (it is out of reach):
    for an anonymous reader, with no draft, presence or templates beside it."""
    errors.read_as_anonymous()
    form = _posted_form(body)
    flash(
        "The wiki cannot reach its database right now, so nothing was saved yet. "
        "Your text is below: save again in a few seconds.",
        "error",
    )
    context = {"draft_offer": None, "editors": [], "template_choices": []}
    # No page row to hand the template, but a base revision says the page exists.
    existing = bool(form.base_rev.data)
    html = render_template(
        "pages/edit.html", form=form, title=title, page=None, existing=existing, **context
    )
    return html, 503, {"Retry-After": str(errors.BUSY_RETRY_AFTER)}


def _editor_again(title: str, body: str, status: int):
    """The editor filled with the posted text: nothing a user typed is lost."""
    form = _posted_form(body)
    if status == 503:
        flash(
            "The wiki was too busy to save, so nothing was saved yet. "
            "Your text is below: save again in a few seconds.",
            "error",
        )
    elif current_user.is_authenticated:
        flash(
            "Your session's security token had changed, so nothing was saved yet. "
            "Your text is below: save again.",
            "error",
        )
    else:
        flash(
            f"{_EXPIRED} Your text is below and stays in this browser: log in, "
            "and the editor offers it back.",
            "error",
        )
    page = find_page(title)
    headers = {"Retry-After": str(errors.BUSY_RETRY_AFTER)} if status == 503 else {}
    context = editor_context(title, page)
    html = render_template("pages/edit.html", form=form, title=title, page=page, **context)
    return html, status, headers


def restore_into(form: EditForm, title: str) -> drafts.DraftInfo | None:
    """Fill the editor ``form`` from the user's draft (``/edit/<title>?draft=1``)."""
    found = drafts.get_draft(current_user.id, title)
    if found is None:
        flash("There is no saved draft of this page any more.", "info")
        return None
    form.body.data = found.body
    form.summary.data = found.summary
    form.base_rev.data = str(found.base_rev) if found.base_rev else ""
    return found


def keep_text(title: str, body: str, summary: str, base_rev: str) -> None:
    """Store text that could not be saved (a conflict) as the user's draft; best effort."""
    try:
        drafts.save_draft(current_user, title, body, summary, _parse_base(base_rev), throttle=False)
    except (EditError, SQLAlchemyError):  # e.g. the same user's other tab saved it meanwhile
        db.session.rollback()


@bp.app_template_filter()
def draft_clock(when: datetime | None) -> str:
    """The time as "10:42 UTC" today, else "2024-03-01 10:42 UTC"."""
    if when is None:
        return ""
    if when.date() == now_utc().date():
        return when.strftime("%H:%M UTC")
    return when.strftime("%Y-%m-%d %H:%M UTC")


@bp.app_template_global()
def draft_token_for(title: str) -> str:
    """The signed token that lets this editor's text be kept even if the session expires."""
    if not current_user.is_authenticated:
        return ""
    return _serializer().dumps([current_user.id, title])


def _offer(draft: drafts.DraftInfo | None, page: Page | None) -> dict | None:
    """The user's draft to offer in the editor, with page context."""
    if draft is None:
        return None
    return {
        "draft": draft,
        "restored": request.args.get("draft") == "1",
        "current_rev": page.current_rev if page else 0,
    }


def draft_editors(title: str) -> list[drafts.Editor]:
    """Other people editing ``title`` right now (soft presence, from their drafts)."""
    viewer = current_user.id if current_user.is_authenticated else None
    return drafts.active_editors(title, exclude_user_id=viewer)


def editor_context(title: str, page: Page | None) -> dict:
    """What the editor shows beside the form, gathered by the view that renders it: the
    draft to offer back (GET only), who else is editing, and (for a new page) the templates
    it can start from."""
    if request.method == "GET" and current_user.is_authenticated:
        own, editors = drafts.editor_drafts(current_user.id, title, page)
        offer = _offer(own, page)
    else:
        offer, editors = None, draft_editors(title)
    return {
        "draft_offer": offer,
        "editors": editors,
        "template_choices": template_titles() if page is None else [],
    }
