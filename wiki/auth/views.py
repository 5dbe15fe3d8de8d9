from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import update

from wiki.auth import bp
from wiki.auth.accounts import AccountError, authenticate, create_user, touch
from wiki.auth.forms import LoginForm, PasswordForm, RegisterForm
from wiki.auth.next_url import safe_next
from wiki.best_effort import write_if_free
from wiki.db import begin_write
from wiki.extensions import db, limiter
from wiki.forms import ActionForm
from wiki.models import User, now_utc


def _login_failed(response) -> bool:
    # Only failed attempts count: a success redirects.
    return request.method == "POST" and response.status_code != 302


def _account_key() -> str:
    return "login-account:" + request.form.get("username", "").strip().lower()[:40]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("30 per 15 minutes", methods=["POST"], deduct_when=_login_failed)
@limiter.limit(
    "10 per 15 minutes", methods=["POST"], key_func=_account_key, deduct_when=_login_failed
)
def login():
    next_url = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url)
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.username.data, form.password.data)
        if user is not None:
            session.clear()  # a fresh session at log-in: no fixation
            login_user(user, remember=form.remember.data)
            # A write transaction of its own: on SQLite a read transaction that then writes
            # fails with "database is locked" when another save committed in between.
            begin_write()
            touch(user)
            db.session.commit()
            return redirect(next_url)
        flash("Unknown username or wrong password.", "error")
    return render_template("auth/login.html", form=form, next=next_url)


@bp.route("/logout", methods=["POST"])
def logout():
    if ActionForm().validate_on_submit():
        logout_user()
        session.clear()
        flash("You are logged out.", "info")
    return redirect(url_for("pages.home"))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"], deduct_when=lambda r: r.status_code == 302)
def register():
    if current_app.config["WIKI_REGISTRATION"] == "closed":
        abort(403, "Registration is closed on this wiki. Ask an administrator for an account.")
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = create_user(form.username.data, form.password.data)
        except AccountError as error:
            db.session.rollback()
            form.username.errors.append(str(error))
        else:
            db.session.commit()
            session.clear()
            login_user(user)
            flash(f"Welcome, {user.username}! You can now edit pages.", "success")
            return redirect(safe_next(request.args.get("next")))
    return render_template("auth/register.html", form=form)


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    form = PasswordForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current.data):
            form.current.errors.append("That is not your current password.")
        else:
            current_user.set_password(form.password.data)
            db.session.commit()
            flash("Your password was changed.", "success")
            return redirect(url_for("auth.profile"))
    return render_template("auth/profile.html", form=form)


@bp.before_app_request
def note_activity():
    """Keep "last activity" for the admin's user list, writing at most every 5 minutes.

    Best effort: it never waits for the write lock (wiki/best_effort.py); a busy database
    means it is noted on a later request.
    """
    if not current_user.is_authenticated:
        return
    seen = current_user.last_seen_at
    if seen is not None and (now_utc() - seen).total_seconds() <= 300:
        return
    user_id = current_user.id
    write_if_free(
        lambda conn: conn.execute(
            update(User).where(User.id == user_id).values(last_seen_at=now_utc())
        )
    )
