"""The API's operations: validated input in, JSON out, over the same services as the HTML
views (saving goes through ``editing.save_edit``: same permissions, protection, deletion,
size and rate rules, same three-way merge and conflict). No request here: ``wiki.api.views``
binds each operation to its route and hands it the validated query, body and user.
"""

from __future__ import annotations

import html
import re

from flask import Response, url_for
from sqlalchemy import select

from wiki.api import json_cache, queries, schemas
from wiki.api.problems import ApiProblem
from wiki.api.registry import JSON, json_response, operation
from wiki.extensions import db
from wiki.history import diff_cache
from wiki.history import service as history
from wiki.lookup import find_page
from wiki.models import Page, Revision, User
from wiki.pages import editing, limits
from wiki.rendering.cache import page_html
from wiki.rendering.markdown import RenderError
from wiki.search import service as search_service
from wiki.text import conflicts as conflict_markers
from wiki.text.diffing import clip
from wiki.text.titles import TitleError, normalize_title

PAGE = "/v1/pages/<title:title>"
# ``<title>/revisions`` and ``<title>/diff`` are a page's history and diff, so a sub-page
# whose last level is one of these words is addressed with a trailing "/" (``Foo/diff/``):
# no title ends in "/", and a title in an API URL may end in one.
SUB_RESOURCES = frozenset({"revisions", "diff"})
PAGE_ENDPOINTS = frozenset({"api.get_page", "api.put_page"})
_TAG = re.compile(r"<[^>]*>")


class Moved(Exception):
    """``title`` is a renamed page's old title: answered with a 308 to ``new_title``."""

    def __init__(self, title: str, new_title: str):
        super().__init__(title)
        self.title, self.new_title = title, new_title


def names_sub_resource(path: str) -> bool:
    """Whether ``path`` (the part after ``/v1/pages/``) is a page's history or diff."""
    parent, _, leaf = path.rpartition("/")
    return bool(parent) and leaf in SUB_RESOURCES


def url_of(endpoint: str, title: str) -> str:
    """The URL of ``endpoint`` for page ``title``, with the trailing "/" a page's own URL
    needs when its title would read as a history or diff."""
    url = url_for(endpoint, title=title)
    return url + "/" if endpoint in PAGE_ENDPOINTS and names_sub_resource(title) else url


def _title(raw: str) -> str:
    try:
        return normalize_title(raw)
    except TitleError as error:
        raise ApiProblem(400, f"Invalid title: {error}") from None


def _url_title(raw: str) -> str:
    """The title in an API URL, which may end in one "/" (see SUB_RESOURCES)."""
    return _title(raw.removesuffix("/"))


def _live_page(title: str) -> Page:
    """The live page ``title`` (normalized). :raises Moved: a renamed page's old title.
    :raises ApiProblem: 404."""
    page = find_page(title)
    if page is None and (moved := editing.renamed_to(title)) is not None:
        raise Moved(title, moved.title)
    if page is None or page.deleted or not page.current_rev:
        raise ApiProblem(404, f"There is no page called “{title}”.")
    return page


def _revision(page: Page, number: int | None) -> Revision:
    number = page.current_rev if number is None else number
    revision = db.session.scalar(
        select(Revision).where(Revision.page_id == page.id, Revision.number == number)
    )
    if revision is None:
        raise ApiProblem(
            404, f"“{page.title}” has no revision {number}; it has {page.current_rev}."
        )
    return revision


# -- pages ----------------------------------------------------------------------------------


@operation(
    "/v1/pages",
    "GET",
    operation_id="listPages",
    summary="List page titles (filtered, paginated)",
    tag="pages",
    query=schemas.PageListQuery,
    ok={200: ("Titles of live pages, case-insensitive order", schemas.PageList)},
)
def list_pages(query: schemas.PageListQuery):
    titles, total = queries.live_titles(
        prefix=query.prefix,
        tag=query.tag,
        offset=(query.page - 1) * query.per_page,
        limit=query.per_page,
    )
    has_next = query.page * query.per_page < total
    return json_response(
        schemas.PageList(
            titles=titles, page=query.page, per_page=query.per_page, total=total, has_next=has_next
        )
    )


@operation(
    PAGE,
    "GET",
    operation_id="getPage",
    summary="Read a page (its current revision, or ?rev=N)",
    tag="pages",
    query=schemas.PageQuery,
    ok={200: ("The page", schemas.PageOut)},
    errors=(413,),
)
def get_page(title: str, query: schemas.PageQuery):
    title = _url_title(title)
    return Response(
        json_cache.cached(title, ("page", query.rev), lambda: _page_document(title, query.rev)),
        mimetype=JSON,
    )


def _page_document(title: str, rev: int | None) -> bytes:
    page = _live_page(title)
    revision = _revision(page, rev)
    try:
        rendered = page_html(revision)
    except RenderError as error:
        raise ApiProblem(error.status, str(error)) from None
    document = schemas.PageOut(
        title=page.title,
        revision=revision.number,
        body=revision.body,
        html=rendered.html,
        tags=queries.page_tags(page.id),
        updated_at=revision.created_at,
        author=revision.author.username if revision.author else None,
        protected=page.protected,
    )
    return document.model_dump_json(by_alias=True).encode()


_PAGE_LINKS = {
    "GetSavedPage": {
        "operationId": "getPage",
        "parameters": {"title": "$request.path.title"},
        "description": "Read the page just saved",
    },
    "GetSavedPageRevisions": {
        "operationId": "getRevisions",
        "parameters": {"title": "$request.path.title"},
    },
    "GetSavedPageDiff": {
        "operationId": "getDiff",
        "parameters": {"title": "$request.path.title", "to": "$response.body#/revision"},
    },
}


@operation(
    PAGE,
    "PUT",
    operation_id="putPage",
    summary="Create (201) or save (200) a page; 409 with the marked merge on a conflict",
    tag="pages",
    query=schemas.PageWriteQuery,
    body=schemas.PageWrite,
    ok={
        200: ("Saved (or unchanged); `merged` when three-way merged", schemas.PageSaved),
        201: ("Created", schemas.PageSaved),
    },
    errors=(409, 413, 503),
    links=_PAGE_LINKS,
    decorators=(limits.save_limit("PUT"),),
)
def put_page(title: str, query: schemas.PageWriteQuery, body: schemas.PageWrite, user: User):
    title = _url_title(title)
    try:
        # Held to a render slot like the edit form; none free: 503 + Retry-After (wiki.errors).
        result = limits.save(
            title,
            body.body,
            body.summary,
            body.base_rev,
            user,
            over_redirect=query.replace_redirect,
        )
    except editing.TitleMoved as moved:
        raise _moved_write(title, moved.new_title, body.base_rev) from None
    except editing.EditConflict as conflict:
        theirs = f"their version (revision {conflict.current_rev} by {conflict.current_author})"
        raise ApiProblem(
            409,
            conflict.message,
            current_rev=conflict.current_rev,
            merged_body=conflict_markers.mark(conflict.merge.parts, theirs),
        ) from None
    except (editing.EditError, RenderError) as error:
        raise ApiProblem(error.status, getattr(error, "message", None) or str(error)) from None
    revision = result.revision
    created = revision is not None and revision.number == 1
    saved = schemas.PageSaved(
        title=result.page.title,
        revision=result.page.current_rev,
        changed=revision is not None,
        created=created,
        merged=result.merged_with is not None,
        merged_with=result.merged_with.number if result.merged_with is not None else None,
    )
    location = {"Location": url_of("api.get_page", result.page.title)}
    return json_response(saved, 201 if created else 200, location)


def _moved_write(title: str, new_title: str, base_rev: int | None) -> Exception:
    """What a save to a renamed page's old title gets: never a new page the client did not
    ask for. An edit of a revision (``base_rev``) belongs to the moved page: 308 there, with
    the method and body kept. A create is refused (409) unless ``?replace_redirect=true``."""
    if base_rev:
        return Moved(title, new_title)
    location = url_of("api.put_page", new_title)
    return ApiProblem(
        409,
        f"“{title}” was renamed to “{new_title}”. Save to {location} to edit it, or repeat "
        f"with ?replace_redirect=true to start a new page called “{title}” in its place.",
        moved_to=new_title,
        location=location,
    )


# -- history --------------------------------------------------------------------------------


@operation(
    PAGE + "/revisions",
    "GET",
    operation_id="getRevisions",
    summary="A page's revisions, newest first (50 per page)",
    tag="history",
    query=schemas.RevisionsQuery,
    ok={200: ("One page of the history", schemas.RevisionList)},
)
def get_revisions(title: str, query: schemas.RevisionsQuery):
    page = _live_page(_url_title(title))
    listing = history.history_listing(page, query.page)
    if listing is None:
        raise ApiProblem(404, f"The history of “{page.title}” has fewer pages than {query.page}.")
    return json_response(
        schemas.RevisionList(
            title=page.title,
            revisions=[schemas.RevisionOut.model_validate(row) for row in listing.rows],
            page=listing.page,
            pages=listing.pages or 1,
            total=listing.total or 0,
        )
    )


@operation(
    PAGE + "/diff",
    "GET",
    operation_id="getDiff",
    summary="The line diff between two revisions (default: the previous and the current)",
    tag="history",
    query=schemas.DiffQuery,
    ok={200: ("The diff, as hunks of lines", schemas.DiffOut)},
    errors=(503,),
)
def get_diff(title: str, query: schemas.DiffQuery):
    page = _live_page(_url_title(title))
    new = page.current_rev if query.to_rev is None else query.to_rev
    old = max(new - 1, 0) if query.from_rev is None else query.from_rev
    if new > page.current_rev or old > page.current_rev:
        raise ApiProblem(404, f"“{page.title}” has {page.current_rev} revisions.")
    # Revisions never change: one document per worker (a page id and its numbers name them).
    key = ("api", page.id, page.title, old, new)
    return Response(diff_cache.cached(key, lambda: _diff_document(page, old, new)), mimetype=JSON)


def _diff_document(page: Page, old: int, new: int) -> bytes:
    """The diff, cut to the display budget like the diff page (a render slot for huge
    revisions: 503 + Retry-After when none frees up)."""
    with history.slot_if_huge(page, (old, new)):
        whole = history.diff_revisions(page, old, new)
        if whole is None:
            raise ApiProblem(404, f"“{page.title}” has no such revisions.")
        diff, left_out = clip(
            whole, max_lines=history.DIFF_MAX_LINES, max_chars=history.DIFF_MAX_CHARS
        )
        document = schemas.DiffOut(
            title=page.title,
            from_rev=old,
            to_rev=new,
            added=diff.added,
            removed=diff.removed,
            simplified=diff.simplified,
            skipped_after=diff.skipped_after,
            hunks=[schemas.HunkOut.model_validate(hunk) for hunk in diff.hunks],
            lines_left_out=left_out,
        )
        return document.model_dump_json(by_alias=True).encode()


# -- search ---------------------------------------------------------------------------------


def plain_snippet(snippet_html: str) -> str:
    """The search service's snippet as plain text (its markup is only highlighting)."""
    return " ".join(html.unescape(_TAG.sub("", snippet_html)).split())


@operation(
    "/v1/search",
    "GET",
    operation_id="search",
    summary="Search pages; ranked results with plain-text snippets",
    tag="search",
    query=schemas.SearchQuery,
    ok={200: ("One page of ranked results", schemas.SearchOut)},
    errors=(503,),
)
def search(query: schemas.SearchQuery):
    try:
        outcome = search_service.search(query.q, page=query.page, per_page=20)
    except search_service.SearchUnavailable:
        raise ApiProblem(503, "The search index is being rebuilt. Try again in a minute.") from None
    results = outcome.results
    return json_response(
        schemas.SearchOut(
            query=outcome.query.original,
            total=results.total,
            page=results.page,
            pages=results.pages,
            corrected_query=results.corrected_query,
            results=[
                schemas.SearchHitOut(
                    title=hit.title,
                    snippet=plain_snippet(hit.snippet_html),
                    updated_at=hit.updated,
                    author=hit.author,
                )
                for hit in results.hits
            ],
        )
    )
