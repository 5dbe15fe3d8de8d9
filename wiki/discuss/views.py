"""/discuss/<title>: read threads; post, reply, edit, resolve, reopen, hide (admins)."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from wiki.decorators import editor_required, read_access_required
from wiki.discuss import bp, service
from wiki.discuss.forms import ReplyForm, ThreadForm
from wiki.extensions import limiter
from wiki.forms import ActionForm
from wiki.lookup import live_page_or_404
from wiki.notify import service as notify_service
from wiki.refusals import Refusal


def _page(page, form=None, reply_to=None, reply_form=None, status=200, error=None):
    if error:
        flash(error, "error")
    return render_template(
        "discuss/threads.html",
        page=page,
        threads=service.threads_of(page),
        form=form or ThreadForm(),
        reply_form=reply_form,
        reply_to=reply_to,
        action=ActionForm(),
        can_resolve=lambda t: service.can_resolve(current_user, page, t),
        watching=notify_service.watching(current_user, page),
    ), status


def _to(page, comment):
    return redirect(url_for("discuss.threads", title=page.title, _anchor=f"c{comment.id}"))


def _commenter_key() -> str:
    return f"comments:{current_user.get_id()}"


@bp.route("/discuss/<title:title>", methods=["GET"])
@read_access_required
def threads(title: str):
    return _page(live_page_or_404(title))


@bp.route("/discuss/<title:title>", methods=["POST"])
@editor_required
@limiter.limit("30 per minute", key_func=_commenter_key)
def new_thread(title: str):
    page = live_page_or_404(title)
    form = ThreadForm()
    if not form.validate():
        return _page(page, form=form, status=400, error="The thread needs a subject and a comment.")
    try:
        comment = service.start_thread(page, form.subject.data, form.body.data, current_user)
    except Refusal as error:
        return _page(page, form=form, status=error.status, error=error.message)
    return _to(page, comment)


@bp.route("/discuss/<title:title>/<int:thread_id>", methods=["POST"])
@editor_required
@limiter.limit("30 per minute", key_func=_commenter_key)
def reply(title: str, thread_id: int):
    page = live_page_or_404(title)
    form = ReplyForm()
    if not form.validate():
        return _page(
            page, reply_to=thread_id, reply_form=form, status=400, error="Write something first."
        )
    try:
        comment = service.reply(page, thread_id, form.body.data, current_user)
    except Refusal as error:
        return _page(
            page, reply_to=thread_id, reply_form=form, status=error.status, error=error.message
        )
    return _to(page, comment)


@bp.route("/discuss/<title:title>/<int:thread_id>/<any(resolve, reopen):action>", methods=["POST"])
@editor_required
def resolve(title: str, thread_id: int, action: str):
    page = live_page_or_404(title)
    if not ActionForm().validate():
        abort(400, "The form was incomplete.")
    try:
        service.set_resolved(page, thread_id, action == "resolve", current_user)
    except Refusal as error:
        abort(error.status, error.message)
    flash("Thread resolved." if action == "resolve" else "Thread reopened.", "success")
    return redirect(url_for("discuss.threads", title=page.title, _anchor=f"t{thread_id}"))


@bp.route("/discuss/<title:title>/comment/<int:comment_id>/edit", methods=["GET", "POST"])
@editor_required
def edit_comment(title: str, comment_id: int):
    page = live_page_or_404(title)
    try:
        comment, thread = service.comment_of(page, comment_id)
    except Refusal as error:
        abort(error.status, error.message)
    if comment.author_id != current_user.id or comment.hidden:
        abort(403, "You can only edit your own comments.")
    form = ReplyForm()
    status = 200
    if request.method == "GET":
        form.body.data = comment.body
    elif form.validate():
        try:
            service.edit_comment(page, comment_id, form.body.data, current_user)
            return _to(page, comment)
        except Refusal as error:
            flash(error.message, "error")
            status = error.status
    else:
        flash("Write something first.", "error")
        status = 400
    return render_template(
        "discuss/edit_comment.html", page=page, thread=thread, comment=comment, form=form
    ), status


@bp.route("/discuss/<title:title>/comment/<int:comment_id>/history")
@read_access_required
def comment_history(title: str, comment_id: int):
    page = live_page_or_404(title)
    try:
        comment, thread = service.comment_of(page, comment_id)
    except Refusal as error:
        abort(error.status, error.message)
    if comment.hidden and not (current_user.is_authenticated and current_user.is_admin):
        abort(404, "This comment was hidden by an administrator.")
    versions = service.history_of(comment)
    return render_template(
        "discuss/history.html", page=page, thread=thread, comment=comment, versions=versions
    )


@bp.route(
    "/discuss/<title:title>/comment/<int:comment_id>/<any(hide, unhide):action>", methods=["POST"]
)
@editor_required
def hide(title: str, comment_id: int, action: str):
    page = live_page_or_404(title)
    if not ActionForm().validate():
        abort(400, "The form was incomplete.")
    try:
        comment = service.set_hidden(page, comment_id, action == "hide", current_user)
    except Refusal as error:
        abort(error.status, error.message)
    flash("Comment hidden." if action == "hide" else "Comment shown again.", "success")
    return _to(page, comment)
