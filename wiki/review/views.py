"""/review: the queue of unreviewed changes, and marking a revision reviewed."""

import click
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from wiki.decorators import admin_required, editor_required
from wiki.extensions import db
from wiki.forms import ActionForm
from wiki.lookup import parse_rev, valid_title_or_400
from wiki.models import User
from wiki.review import bp, service


def _page_number() -> int:
    raw = request.args.get("page", "1")
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= 100000:
        abort(400, "“page” must be a page number.")
    return int(raw)


@bp.route("/review")
@editor_required
def queue():
    if not service.can_review(current_user):
        abort(403, "Only reviewers and administrators can see the review queue.")
    page_no = _page_number()
    items, total = service.queue(page_no)
    return render_template(
        "review/queue.html",
        items=items,
        total=total,
        page_no=page_no,
        per_page=service.PER_PAGE,
        form=ActionForm(),
    )


@bp.route("/review/<title:title>", methods=["POST"])
@editor_required
def mark(title: str):
    title = valid_title_or_400(title)
    number = parse_rev(request.args.get("rev") or request.form.get("rev"))
    if number is None:
        abort(400, "Say which revision: ?rev=N.")
    if not ActionForm().validate():
        abort(400, "The form was incomplete.")
    try:
        upto = service.mark_reviewed(title, number, current_user)
    except service.ReviewError as error:
        abort(403 if error.status == 400 else error.status, error.message)
    flash(f"{title}: revisions up to {upto} are reviewed.", "success")
    return redirect(url_for("review.queue"))


@bp.route("/admin/reviewers/<int:user_id>/<any(grant, revoke):action>", methods=["POST"])
@admin_required
def reviewer(user_id: int, action: str):
    """Admins give or take back the reviewer role (the button on /admin/users)."""
    if not ActionForm().validate():
        abort(400, "The form was incomplete.")
    user = db.get_or_404(User, user_id)
    try:
        service.set_reviewer(user.username, action == "grant")
    except service.ReviewError as error:
        abort(400, error.message)
    flash(
        f"{user.username} is {'now a reviewer' if action == 'grant' else 'an editor again'}.",
        "success",
    )
    return redirect(url_for("admin.users"))


@bp.cli.command("grant")
@click.argument("username")
def grant(username: str):
    """Give USERNAME the reviewer role (the /review queue)."""
    try:
        user = service.set_reviewer(username, True)
    except service.ReviewError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"{user.username} is now a reviewer.")


@bp.cli.command("revoke")
@click.argument("username")
def revoke(username: str):
    """Take the reviewer role back from USERNAME."""
    try:
        user = service.set_reviewer(username, False)
    except service.ReviewError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"{user.username} is an editor again.")
