from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import func, select

from wiki.admin import bp
from wiki.auth.accounts import AccountError, set_role
from wiki.decorators import admin_required
from wiki.extensions import db
from wiki.forms import ActionForm
from wiki.models import ROLE_ADMIN, ROLE_EDITOR, Revision, User

ACTIONS = {"promote", "demote", "deactivate", "activate"}


@bp.route("/admin/users")
@admin_required
def users():
    edits = (
        select(Revision.author_id, func.count(Revision.id).label("edits"))
        .group_by(Revision.author_id)
        .subquery()
    )
    rows = db.session.execute(
        select(User, func.coalesce(edits.c.edits, 0))
        .outerjoin(edits, edits.c.author_id == User.id)
        .where(User.is_system.is_(False))
        .order_by(User.username_key)
    ).all()
    return render_template("admin/users.html", rows=rows, form=ActionForm())


@bp.route("/admin/users/<int:user_id>/<action>", methods=["POST"])
@admin_required
def user_action(user_id: int, action: str):
    if action not in ACTIONS:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400, "The form was incomplete.")
    user = db.get_or_404(User, user_id)
    if user.id == current_user.id and action in ("demote", "deactivate"):
        abort(400, "You cannot demote or deactivate yourself; ask another administrator.")
    try:
        if action == "promote":
            set_role(user, ROLE_ADMIN)
        elif action == "demote":
            set_role(user, ROLE_EDITOR)
        else:
            user.active = action == "activate"
    except AccountError as error:
        abort(400, str(error))
    db.session.commit()
    flash(f"{user.username}: {action}d.", "success")
    return redirect(url_for("admin.users"))
