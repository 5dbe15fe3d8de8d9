"""The API's HTTP layer: authentication, rate limits, validation and routing for the
operations of ``wiki.api.handlers``, plus ``/api/openapi.json`` and ``/api/docs``."""

from __future__ import annotations

import json
from functools import wraps

from flask import Response, current_app, g, render_template, request, url_for
from flask_login import current_user

from wiki.api import access, bp, handlers  # noqa: F401 (handlers declares the operations)
from wiki.api.openapi import document
from wiki.api.problems import ApiProblem, from_problem
from wiki.api.registry import OPERATIONS, Operation, validate_body, validate_query
from wiki.extensions import csrf, limiter

PUBLIC_ENDPOINTS = frozenset({"api.openapi", "api.docs"})
# ``/pages/<title>/revisions`` and ``/diff`` are read-only views of a page: a PUT there is
# not a save of a sub-page called "revisions" (the page route would match it too).
SUB_RESOURCES = frozenset({"revisions", "diff"})

# Bearer tokens authenticate API writes, never cookies (see wiki.api.access), so the CSRF
# check, which protects cookie-authenticated forms, has nothing to protect here.
csrf.exempt(bp)
bp.register_error_handler(ApiProblem, from_problem)


def _rate_key() -> str:
    return access.rate_key(request.headers.get("Authorization"), request.remote_addr)


# Every API call counts against its token's (or address's) budget, WIKI_API_RATE.
limiter.limit(
    lambda: current_app.config.get("WIKI_API_RATE") or access.DEFAULT_RATE, key_func=_rate_key
)(bp)


@bp.before_request
def _authorize():
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    if request.endpoint == "api.put_page":
        leaf = (request.view_args or {}).get("title", "").rsplit("/", 1)[-1].strip()
        if leaf in SUB_RESOURCES:
            raise ApiProblem(405, f"“{leaf}” can only be read.", headers={"Allow": "GET, HEAD"})
    token = access.token_for(request.headers.get("Authorization"))
    if token is not None:
        # Flask-Login reads the request's user from here: no session is created or changed.
        g._login_user = token.user
    access.check(
        request.method,
        token,
        session_user=current_user.is_authenticated,
        read_access=current_app.config["WIKI_READ_ACCESS"],
    )


@bp.after_request
def _sub_resource_allow(response):
    """Flask's OPTIONS answer merges the methods of every matching rule, PUT included."""
    if request.method == "OPTIONS" and request.path.rsplit("/", 1)[-1] in SUB_RESOURCES:
        response.headers["Allow"] = "GET, HEAD, OPTIONS"
    return response


def _bind(op: Operation) -> None:
    """Route ``op``: its handler gets the validated query and body, and for writes the user."""

    @wraps(op.handler)
    def view(**kwargs):
        if op.query is not None:
            kwargs["query"] = validate_query(op.query, request.args.to_dict())
        if op.body is not None:
            kwargs["body"] = validate_body(op.body, request.mimetype, request.get_data())
        if op.writes:
            kwargs["user"] = current_user._get_current_object()
        return op.handler(**kwargs)

    for decorate in reversed(op.decorators):
        view = decorate(view)
    bp.add_url_rule(op.rule, endpoint=op.handler.__name__, view_func=view, methods=[op.method])


for _op in OPERATIONS:
    _bind(_op)


@bp.route("/openapi.json")
def openapi():
    cache = current_app.extensions.setdefault("nexus_openapi", {})
    if "json" not in cache:
        cache["json"] = json.dumps(document(), indent=1)
    response = Response(cache["json"], mimetype="application/json")
    response.headers["Access-Control-Allow-Origin"] = "*"  # public, and holds no wiki content
    return response


@bp.route("/docs")
def docs():
    return render_template("api/docs.html", spec_url=url_for("api.openapi"))
