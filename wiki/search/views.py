"""``GET /search`` (results page) and ``GET /search/suggest`` (JSON for search-as-you-type)."""

from flask import jsonify, render_template, request, url_for
from flask_login import current_user

from wiki.auth import permissions
from wiki.decorators import read_access_required
from wiki.lookup import page_number
from wiki.search import bp, misses
from wiki.search import service as search_service
from wiki.text.titles import TitleError, normalize_title

PER_PAGE = 20
MAX_PAGE = 500  # deeper pages are never useful and cost a large ranking window


def _creatable_title(q: str) -> str | None:
    """The title a "Create page" link would create for ``q``, if it is a valid title."""
    try:
        return normalize_title(q)
    except TitleError:
        return None


def _searcher() -> str:
    user_id = current_user.id if current_user.is_authenticated else None
    return misses.searcher_key(user_id, request.remote_addr)


@bp.route("/search")
@read_access_required
def search():
    q = request.args.get("q", "")
    if not q.strip():
        return render_template("search/search.html", outcome=None, search_query="")
    correct = request.args.get("nofix") != "1"
    try:
        outcome = search_service.search(
            q,
            page=page_number(lenient=True, maximum=MAX_PAGE),
            per_page=PER_PAGE,
            correct=correct,
            searcher=_searcher(),
        )
    except search_service.SearchUnavailable:
        message = "The search index is being rebuilt. Please try again in a minute."
        return render_template("search/search.html", unavailable=message, search_query=q), 503
    results = outcome.results
    create_title = None
    if (results.total == 0 or results.relaxed) and results.exact_title is None:
        create_title = _creatable_title(outcome.query.original)
    return render_template(
        "search/search.html",
        outcome=outcome,
        results=results,
        search_query=outcome.query.original,
        create_title=create_title,
        can_create=permissions.can_edit(current_user, None),
        per_page=PER_PAGE,
    )


@bp.route("/search/suggest")
@read_access_required
def suggest():
    q = request.args.get("q", "")
    try:
        titles = search_service.suggest(q)
    except search_service.SearchUnavailable:
        titles = []
    suggestions = [{"title": t, "url": url_for("pages.view", title=t)} for t in titles]
    response = jsonify(query=q[:200], suggestions=suggestions)
    response.headers["Cache-Control"] = "no-store"
    return response
