"""``/settings/tokens``: create, list and revoke personal access tokens for the JSON API."""

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from wiki.decorators import editor_required
from wiki.models import now_utc
from wiki.refusals import NotFound
from wiki.tokens import bp, service
from wiki.tokens.forms import TokenForm


def _page(form: TokenForm, new_token: str | None = None, status: int = 200):
    response = render_template(
        "api/tokens.html",
        form=form,
        tokens=service.visible_tokens(current_user),
        new_token=new_token,
        now=now_utc(),
    )
    # The one page that shows a secret: keep it out of every cache.
    return response, status, {"Cache-Control": "no-store"}


@bp.route("/settings/tokens", methods=["GET", "POST"])
@editor_required
def tokens():
    form = TokenForm()
    if not form.is_submitted():
        return _page(form)
    if not form.validate():
        return _page(form, status=400)
    try:
        _token, raw = service.create_token(
            current_user, form.name.data, form.scope.data, form.expires_days.data
        )
    except service.TokenError as error:
        flash(error.message, "error")
        return _page(form, status=error.status)
    return _page(TokenForm(formdata=None), new_token=raw, status=201)


@bp.route("/settings/tokens/<int:token_id>/revoke", methods=["POST"])
@editor_required
def revoke(token_id: int):
    try:
        token = service.revoke(token_id, current_user)
    except NotFound as error:
        flash(error.message, "error")
        return redirect(url_for("tokens.tokens"), 303)
    flash(f"Revoked the token “{token.name}”.", "success")
    return redirect(url_for("tokens.tokens"), 303)
