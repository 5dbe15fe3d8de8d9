from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from wiki import errors
from wiki.auth import bp, sessions, throttle
from wiki.auth.accounts import AccountError, authenticate, create_user, hash_password, touch
from wiki.auth.forms import LoginForm, PasswordForm, RegisterForm
from wiki.auth.next_url import safe_next
from wiki.db import begin_write
from wiki.extensions import db, limiter, login_manager
from wiki.forms import ActionForm
from wiki.models import User
from wiki.notify import service as notify_service


@login_manager.user_loader
def load_reader(token: str):
    """The session's user: for a read, the row the session's query found (a page view needs
    no more); for a write, the whole ``User``, as services change and attach it, except in
    views marked ``plain_user`` (wiki.decorators), which only read it."""
    view = current_app.view_functions.get(request.endpoint)
    lazy = request.method in ("GET", "HEAD") or getattr(view, "plain_user", False)
    return sessions.load(token, lazy=lazy)


def _log_in(user: User, *, remember: bool) -> None:
    """A fresh session (no fixation) backed by a new server-side session row; commits."""
    session.clear()
    begin_write()
    user = db.session.get(User, user.id)
    sessions.start_session(
        user, user_agent=request.headers.get("User-Agent", ""), remember=remember
    )
    touch(user)
    db.session.commit()
    login_user(user, remember=remember)


@bp.route("/login", methods=["GET", "POST"])
def login():
    next_url = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url)
    form = LoginForm()
    if form.validate_on_submit():
        account, address = form.username.data, request.remote_addr or ""
        refused = throttle.refusal(account, address)
        if refused is not None:
            return errors.too_many(None, retry=refused[0], limit=refused[1])
        user = authenticate(account, form.password.data)
        if user is not None:
            _log_in(user, remember=bool(form.remember.data))
            return redirect(next_url)
        throttle.record_failure(account, address)
        flash("Unknown username or wrong password.", "error")
    return render_template("auth/login.html", form=form, next=next_url)


@bp.route("/logout", methods=["POST"])
def logout():
    if ActionForm().validate_on_submit():
        if current_user.is_authenticated:
            begin_write()
            sessions.end_session(current_user.session_token)
            db.session.commit()
        session.clear()
        # After clearing: logout_user() marks the remember cookie for deletion in the session.
        logout_user()
        flash("You are logged out.", "info")
    return redirect(url_for("pages.home"))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"], deduct_when=lambda r: r.status_code == 302)
def register():
    if current_app.config["WIKI_REGISTRATION"] == "closed":
        abort(403, "Registration is closed on this wiki. Ask an administrator for an account.")
    form = RegisterForm()
    if form.validate_on_submit():
        # The slow hash runs before taking the write lock, so registrations queue briefly.
        hashed = hash_password(form.password.data)
        begin_write(serialize="users")
        try:
            user = create_user(form.username.data, form.password.data, password_hash=hashed)
        except AccountError as error:
            db.session.rollback()
            form.username.errors.append(str(error))
        else:
            db.session.commit()
            _log_in(user, remember=False)
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
            hashed = hash_password(form.password.data)
            token, user_id = current_user.session_token, current_user.id
            begin_write()
            db.session.get(User, user_id).password_hash = hashed
            ended = sessions.end_sessions(user_id, keep=token)
            db.session.commit()
            flash(_changed_message(ended), "success")
            return redirect(url_for("auth.profile"))
    listed = sessions.list_sessions(current_user.id, current_user.session_token)
    return render_template(
        "auth/profile.html",
        form=form,
        sessions=listed,
        action_form=ActionForm(),
        watched_pages=notify_service.watched_pages(current_user.id),
    )


def _changed_message(ended: int) -> str:
    others = f" {ended} other session{'s' if ended != 1 else ''} logged out." if ended else ""
    return "Your password was changed." + others


@bp.route("/profile/sessions/end", methods=["POST"])
@login_required
def end_other_sessions():
    """Log out every other browser of this user (their remember cookies too)."""
    if not ActionForm().validate_on_submit():
        abort(400, "The form was incomplete.")
    token, user_id = current_user.session_token, current_user.id
    begin_write()
    key = request.form.get("session", "")
    if key:
        if not sessions.end_session_by_key(user_id, key):
            abort(404, "That session has already ended.")
        ended = 1
    else:
        ended = sessions.end_sessions(user_id, keep=token)
    db.session.commit()
    flash(f"Logged out {ended} other session{'s' if ended != 1 else ''}.", "success")
    return redirect(url_for("auth.profile"))


@bp.before_app_request
def note_activity():
    """Keep "last seen" of the session and user, writing at most every few minutes."""
    if current_user.is_authenticated:
        sessions.touch(current_user._get_current_object())
