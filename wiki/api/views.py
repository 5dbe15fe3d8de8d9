"""The API's HTTP layer: authentication, rate limits, validation and routing for the
operations of ``wiki.api.handlers``, plus ``/api/openapi.json`` and ``/api/docs``."""

from __future__ import annotations

import json
from functools import wraps
from urllib.parse import quote

from flask import Response, current_app, g, render_template, request, url_for
from flask_login import current_user

from wiki.api import access, bp, handlers, schemas  # handlers declares the operations
from wiki.api.openapi import document
from wiki.api.problems import ApiProblem, from_problem
from wiki.api.registry import (
    OPERATIONS,
    Operation,
    json_response,
    validate_body,
    validate_query,
)
from wiki.extensions import csrf, limiter
from wiki.tokens import service as tokens

PUBLIC_ENDPOINTS = frozenset({"api.openapi", "api.docs"})
PAGES_PREFIX = "/api/v1/pages/"
QUERY_SAFE = "=&%+;/?:@!$'()*,~-._"

# Bearer tokens authenticate API writes, never cookies (see wiki.api.access), so the CSRF
# check, which protects cookie-authenticated forms, has nothing to protect here.
csrf.exempt(bp)
bp.register_error_handler(ApiProblem, from_problem)


@bp.errorhandler(handlers.Moved)
def _moved(moved: handlers.Moved):
    """308 to the same request under the page's new title: the method and body are kept, so
    a client's HTTP library repeats a read or an edit there."""
    location = handlers.url_of(request.endpoint, moved.new_title)
    if request.query_string:  # kept as sent, but never a raw byte that a header cannot hold
        location += "?" + quote(request.query_string.decode("latin-1"), safe=QUERY_SAFE)
    body = schemas.PageMoved(title=moved.title, moved_to=moved.new_title, location=location)
    return json_response(body, 308, {"Location": location})


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
        # A PUT to ``Foo/revisions`` matches the page route (the history route is GET only),
        # but that URL reads as Foo's history: a save there is refused, not made to a page
        # nobody could read back at it.
        title = (request.view_args or {}).get("title", "")
        if handlers.names_sub_resource(title):
            leaf = title.rsplit("/", 1)[-1]
            raise ApiProblem(
                405,
                f"“{leaf}” can only be read. To save the page “{title}”, end its URL with "
                f"“/”: {handlers.url_of('api.put_page', title)}",
                headers={"Allow": "GET, HEAD"},
            )
    grant = access.token_for(request.headers.get("Authorization"))
    if grant is not None:
        # Flask-Login reads the request's user from here: no session is created or changed.
        # A read needs only the owner's id; a write hands the whole user to the services.
        owner = tokens.TokenOwner(grant.user_id)
        g._login_user = owner if request.method in access.SAFE_METHODS else owner.user
    access.check(
        request.method,
        grant,
        session_user=current_user.is_authenticated,
        read_access=current_app.config["WIKI_READ_ACCESS"],
    )


@bp.after_request
def _sub_resource_allow(response):
    """Flask's OPTIONS answer merges the methods of every matching rule, PUT included."""
    path = request.path
    if (
        request.method == "OPTIONS"
        and path.startswith(PAGES_PREFIX)
        and handlers.names_sub_resource(path.removeprefix(PAGES_PREFIX))
    ):
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
