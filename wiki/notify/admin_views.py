"""/admin/webhooks: add, test and remove outgoing webhooks, with their latest deliveries."""

from flask import abort, flash, redirect, render_template, request, url_for

from wiki.decorators import admin_required
from wiki.extensions import db
from wiki.forms import ActionForm
from wiki.notify import bp, hooks_service, webhooks
from wiki.notify.forms import WebhookForm
from wiki.notify.models import Webhook


def _page(form, status=200):
    hooks = hooks_service.hooks_with_deliveries()
    return render_template(
        "notify/webhooks.html", form=form, hooks=hooks, action=ActionForm()
    ), status


@bp.route("/admin/webhooks", methods=["GET", "POST"])
@admin_required
def webhooks_admin():
    form = WebhookForm()
    if request.method == "GET":
        return _page(form)
    if not form.validate():
        return _page(form, 400)
    try:
        hooks_service.add_webhook(
            form.url.data.strip(),
            form.events.data,
            form.secret.data or "",
            form.format.data,
            request.host,
        )
    except webhooks.UnsafeTarget as error:
        form.url.errors.append(error.message)
        return _page(form, 400)
    flash("Webhook added.", "success")
    return redirect(url_for("notify.webhooks_admin"))


@bp.route("/admin/webhooks/<int:hook_id>/<action>", methods=["POST"])
@admin_required
def webhook_action(hook_id: int, action: str):
    if action not in ("test", "delete"):
        abort(404)
    if not ActionForm().validate():
        abort(400, "The form was incomplete.")
    hook = db.get_or_404(Webhook, hook_id)
    if action == "test":
        hooks_service.send_test(hook)
        flash("A test delivery was queued; its result appears below in a moment.", "success")
    else:
        hooks_service.remove_webhook(hook.id)
        flash("Webhook removed.", "success")
    return redirect(url_for("notify.webhooks_admin"))
