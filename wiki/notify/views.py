"""Watching, /notifications, /settings (email preferences) and the links sent by mail."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from wiki.decorators import editor_required
from wiki.extensions import csrf
from wiki.forms import ActionForm
from wiki.lookup import live_page_or_404
from wiki.notify import bp, mail, service
from wiki.notify.forms import SettingsForm, WatchForm


@bp.route("/watch/<title:title>", methods=["POST"])
@editor_required
def watch(title: str):
    page = live_page_or_404(title)
    form = WatchForm()
    if not form.validate():
        abort(400, "The form was incomplete.")
    service.watch(current_user.id, page, subpages=bool(form.subpages.data))
    flash(
        f"You are watching “{page.title}”{' and its sub-pages' if form.subpages.data else ''}.",
        "success",
    )
    return redirect(url_for("pages.view", title=page.title))


@bp.route("/unwatch/<title:title>", methods=["POST"])
@editor_required
def unwatch(title: str):
    page = live_page_or_404(title)
    if not ActionForm().validate():
        abort(400, "The form was incomplete.")
    service.unwatch(current_user.id, page)
    flash(f"You no longer watch “{page.title}”.", "success")
    return redirect(url_for("pages.view", title=page.title))


def _page_number() -> int:
    raw = request.args.get("page", "1")
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= 100000:
        abort(400, "“page” must be a page number.")
    return int(raw)


@bp.route("/notifications")
@editor_required
def notifications():
    page_no = _page_number()
    entries, more = service.notifications_page(current_user.id, page_no)
    return render_template(
        "notify/notifications.html", entries=entries, more=more, page_no=page_no, form=ActionForm()
    )


@bp.route("/notifications/read", methods=["POST"])
@editor_required
def mark_read():
    if not ActionForm().validate():
        abort(400, "The form was incomplete.")
    service.mark_all_read(current_user.id)
    return redirect(url_for("notify.notifications"))


@bp.route("/settings", methods=["GET", "POST"])
@editor_required
def settings():
    current = service.settings_for(current_user.id)
    form = SettingsForm(obj=None if request.method == "POST" else _form_data(current))
    if request.method == "POST":
        if not form.validate():
            return render_template("notify/settings.html", form=form, current=current), 400
        queued = service.update_settings(
            current_user.id,
            form.email.data or "",
            form.email_notifications.data,
            form.auto_watch.data,
        )
        if queued and not current_app.config.get("MAIL_URL"):
            flash("Saved. This wiki sends no mail yet (MAIL_URL is not set).", "info")
        elif queued:
            flash(
                "Saved. We sent a link to your new address: mail starts once you open it.",
                "success",
            )
        else:
            flash("Your notification settings were saved.", "success")
        return redirect(url_for("notify.settings"))
    return render_template("notify/settings.html", form=form, current=current)


def _form_data(current):
    class _Obj:
        email = current.email
        email_notifications = current.email_mode
        auto_watch = current.auto_watch

    return _Obj()


@bp.route("/settings/verify/<token>")
def verify_email(token: str):
    found = mail.verified_address(token)
    if found is None or not service.confirm_email(*found):
        abort(400, "This link is invalid, expired, or for an address you no longer use.")
    flash(f"Your address {found[1]} is confirmed.", "success")
    return redirect(url_for("notify.settings"))


@bp.route("/notifications/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # the signed token is the proof; mail clients POST it (RFC 8058 one-click)
def unsubscribe(token: str):
    user_id = mail.unsubscribe_user(token)
    if user_id is None:
        abort(400, "This unsubscribe link is invalid.")
    if request.method == "POST":
        service.unsubscribe(user_id)
        return render_template("notify/unsubscribed.html")
    return render_template("notify/unsubscribe.html")
