from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import func, select

from wiki.admin import bp
from wiki.auth import sessions
from wiki.auth.accounts import AccountError, set_role
from wiki.db import begin_write
from wiki.decorators import admin_required
from wiki.extensions import db
from wiki.forms import ActionForm
from wiki.models import ROLE_ADMIN, ROLE_EDITOR, Revision, User

ACTIONS = {"promote", "demote", "deactivate", "activate", "logout"}


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
    if user_id == current_user.id and action in ("demote", "deactivate", "logout"):
        abort(400, "You cannot demote, deactivate or log out yourself here; use your profile.")
    begin_write()
    user = db.get_or_404(User, user_id)
    try:
        if action == "promote":
            set_role(user, ROLE_ADMIN)
        elif action == "demote":
            set_role(user, ROLE_EDITOR)
        elif action == "logout":
            sessions.end_sessions(user.id)
        else:
            user.active = action == "activate"
            if not user.active:  # deactivation ends every session and remember cookie
                sessions.end_sessions(user.id)
    except AccountError as error:
        abort(400, str(error))
    db.session.commit()
    done = "logged out everywhere" if action == "logout" else f"{action}d"
    flash(f"{user.username}: {done}.", "success")
    return redirect(url_for("admin.users"))
