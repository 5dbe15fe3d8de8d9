import os

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, OperationalError

from wiki.db import begin_write
from wiki.decorators import editor_required, read_access_required
from wiki.extensions import db, limiter
from wiki.lookup import find_page, parse_rev, revision_or_404, valid_title_or_400
from wiki.models import Page, Redirect, Revision
from wiki.pages import bp, drafts_views, editing, page_cache, preview_gate
from wiki.pages.forms import EditForm
from wiki.pages.visits import record_visit
from wiki.rendering.cache import page_html
from wiki.rendering.markdown import RenderError
from wiki.text import conflicts as conflict_markers


@bp.route("/")
@read_access_required
def home():
    return view("Home")


@bp.route("/wiki/<title:title>")
@read_access_required
def view(title: str):
    canonical = valid_title_or_400(title)
    if " " in request.path or canonical != title:
        return redirect(url_for("pages.view", title=canonical, **request.args), 301)
    cache_key, cached = page_cache.lookup()
    if cached is not None:
        return cached
    page = find_page(canonical)
    if page is None or page.deleted:
        return _missing_or_redirect(canonical, page)
    revision = revision_or_404(page, parse_rev(request.args.get("rev")))
    is_current = revision.number == page.current_rev
    changed = None
    if is_current and current_user.is_authenticated:
        changed = _record_visit(page)
    html = render_template(
        "pages/view.html",
        page=page,
        revision=revision,
        is_current=is_current,
        rendered=page_html(revision),
        changed=changed,
        redirected_from=request.args.get("redirectedfrom"),
        can_edit=editing.can_edit(current_user, page),
    )
    page_cache.store(cache_key, html)
    return html


def _record_visit(page: Page):
    """Best effort, in a write transaction of its own: on SQLite a read transaction that
    then writes fails with "database is locked" when a save committed in between (and two
    tabs may insert the first visit at once); a missed visit must not make a view a 500."""
    try:
        begin_write()
        changed = record_visit(current_user.id, page)
        db.session.commit()
        return changed
    except (IntegrityError, OperationalError):
        db.session.rollback()
        return None


def _missing_or_redirect(title: str, page: Page | None):
    if page is None:
        moved = db.session.get(Redirect, title)
        if moved is not None:
            target = db.session.get(Page, moved.page_id)
            return redirect(url_for("pages.view", title=target.title, redirectedfrom=title))
        same = db.session.scalar(
            select(Page.title).where(Page.title_key == title.lower(), Page.deleted.is_(False))
        )
        if same is not None:
            return redirect(url_for("pages.view", title=same))
    return (
        render_template(
            "pages/missing.html",
            title=title,
            page=page,
            can_create=editing.can_edit(current_user, None),
        ),
        404,
    )


def _saver_key() -> str:
    return f"saves:{current_user.id}"


@bp.route("/edit/<title:title>", methods=["GET", "POST"])
@editor_required
@limiter.limit(lambda: current_app.config["WIKI_SAVE_RATE"], key_func=_saver_key, methods=["POST"])
def edit(title: str):
    title = valid_title_or_400(title)
    page = find_page(title)
    if not editing.can_edit(current_user, page):
        abort(403, "This page is protected: only administrators can edit it.")
    if request.method == "GET" and page is not None and page.deleted:
        # Its save would be refused; a refused POST re-shows the text, so only GET stops here.
        abort(403, "This page was deleted. An administrator can restore it.")
    form = EditForm()
    if request.method == "GET":
        form.body.data = _current_body(page) or _template_body(request.args.get("template"))
        form.base_rev.data = str(page.current_rev) if page and page.current_rev else ""
        if request.args.get("draft") == "1":
            drafts_views.restore_into(form, title)
        return render_template("pages/edit.html", form=form, title=title, page=page)
    if not form.validate():
        return _edit_again(form, title, page, "The form was incomplete: " + _errors(form), 400)
    base_rev = form.base_rev.data or ""
    if base_rev and not (base_rev.isascii() and base_rev.isdigit() and len(base_rev) <= 9):
        return _edit_again(form, title, page, "The base revision must be a number.", 400)
    body = form.body.data or ""
    if request.form.get("chooser"):  # the conflict chooser: apply its per-block choices
        body = form.body.data = conflict_markers.apply_choices(
            body, conflict_markers.parse_choices(request.form)
        )
        if conflict_markers.blocks(body):
            return _conflict(form, title, page, None)
    if form.preview.data:
        return _preview_again(form, title, page, body)
    try:
        result = editing.save_edit(
            title,
            body,
            form.summary.data or "",
            int(base_rev) if base_rev else None,
            current_user,
        )
    except editing.EditConflict as conflict:
        return _conflict(form, title, page, conflict)
    except (editing.EditError, RenderError) as error:
        return _edit_again(form, title, page, _message(error), error.status)
    _flash_outcome(result)
    return redirect(url_for("pages.view", title=title))


def _flash_outcome(result: editing.SaveResult) -> None:
    if result.revision is None:
        flash("No changes to save: the page is as it was.", "info")
    elif result.merged_with is not None:
        author = result.merged_with.author.username if result.merged_with.author else "someone"
        diff = url_for(
            "history.diff",
            title=result.page.title,
            **{"from": result.merged_with.number, "to": result.revision.number},
        )
        flash(
            Markup(
                'Your edit was merged with revision {} by {}. <a href="{}">See the changes</a>.'
            ).format(result.merged_with.number, author, diff),
            "success",
        )
    else:
        flash(f"Saved revision {result.revision.number}.", "success")


def _message(error: Exception) -> str:
    return getattr(error, "message", None) or str(error)


def _errors(form: EditForm) -> str:
    return "; ".join(
        f"{form[name].label.text}: {' '.join(errs)}" for name, errs in form.errors.items()
    )


def _template_body(template: str | None) -> str:
    """The body of a page under ``Templates/`` to start a new page from ('' if none)."""
    if not template or not template.startswith("Templates/"):
        return ""
    page = find_page(template)
    return _current_body(page) if page is not None and not page.deleted else ""


def _current_body(page: Page | None) -> str:
    if page is None or not page.current_rev:
        return ""
    return db.session.scalar(
        select(Revision.body).where(
            Revision.page_id == page.id, Revision.number == page.current_rev
        )
    )


def _edit_again(form, title, page, message, status, preview_html=None):
    """Re-show the editor with the user's text, so a refused save loses nothing."""
    flash(message, "error")
    return (
        render_template(
            "pages/edit.html", form=form, title=title, page=page, preview_html=preview_html
        ),
        status,
    )


def _preview_again(form, title, page, body):
    try:
        rendered = editing.render_preview(body, title)
    except (editing.EditError, RenderError) as error:
        return _edit_again(form, title, page, _message(error), error.status)
    return render_template(
        "pages/edit.html", form=form, title=title, page=page, preview_html=rendered.html
    )


def _conflict(form, title, page, conflict: editing.EditConflict | None):
    """The per-block chooser (409). ``conflict`` is None when a chooser submission still
    has marked blocks; else the user's text is kept as a draft and the merge is marked."""
    if conflict is not None:
        drafts_views.keep_text(title, form.body.data, form.summary.data, form.base_rev.data)
        theirs = f"their version (revision {conflict.current_rev} by {conflict.current_author})"
        form.body.data = conflict_markers.mark(conflict.merge.parts, theirs)
        form.base_rev.data = str(conflict.current_rev)
    blocks = conflict_markers.blocks(form.body.data)
    return (
        render_template(
            "pages/conflict.html",
            form=form,
            title=title,
            page=page,
            conflict=conflict,
            blocks=blocks,
            choices=conflict_markers.parse_choices(request.form),
            draft_token=drafts_views.draft_token_for(title),
        ),
        409,
    )


def _previewer_key() -> str:
    return f"previews:{current_user.id}"


def preview_slot():
    """One of the host's ``WIKI_RENDER_SLOTS`` preview slots (see wiki.pages.preview_gate)."""
    cfg = current_app.config
    path = os.path.join(current_app.instance_path, "render-slots.lock")
    return preview_gate.render_slot(path, cfg["WIKI_RENDER_SLOTS"], cfg["WIKI_PREVIEW_WAIT"])


@bp.route("/preview", methods=["POST"])
@editor_required
@limiter.limit(lambda: current_app.config["WIKI_PREVIEW_RATE"], key_func=_previewer_key)
def preview():
    body = request.form.get("body", "")
    title = request.form.get("title") or None
    try:
        with preview_slot():
            rendered = editing.render_preview(
                body, title, timeout=current_app.config["WIKI_PREVIEW_TIMEOUT"]
            )
    except (editing.EditError, RenderError) as error:
        return Response(_message(error), error.status, mimetype="text/plain")
    except preview_gate.Busy:
        message = "The preview is busy right now; it updates when you type again."
        return Response(message, 503, {"Retry-After": "2"}, mimetype="text/plain")
    return Response(rendered.html, mimetype="text/html")


@bp.route("/raw/<title:title>")
@read_access_required
def raw(title: str):
    page = find_page(valid_title_or_400(title))
    if page is None or page.deleted:
        abort(404, f"There is no page called “{title}”.")
    revision = revision_or_404(page, parse_rev(request.args.get("rev")))
    return Response(revision.body, content_type="text/markdown; charset=utf-8")


@bp.route("/pages")
@read_access_required
def index():
    titles = db.session.scalars(
        select(Page.title).where(Page.deleted.is_(False)).order_by(func.lower(Page.title))
    ).all()
    groups: dict[str, list[str]] = {}
    for title in titles:
        groups.setdefault(title.split("/", 1)[0], []).append(title)
    return render_template("pages/index.html", groups=groups, total=len(titles))


@bp.app_context_processor
def max_body():
    return {"max_body_bytes": current_app.config["WIKI_MAX_BODY_BYTES"]}
