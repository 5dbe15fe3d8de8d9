"""Page history, diffs, blame, restore, recent changes (HTML and Atom) and contributions.

Bad input never reaches a 500: revision and page numbers are parsed with clear 400s,
unknown revisions are 404s, and ``from > to`` in a diff redirects to the same diff with the
two swapped (the compare radios can be picked either way round; one URL per diff).

No diff or blame request costs more than a bounded amount of work: a diff is computed once
per worker (wiki/history/diff_cache.py) and shows at most ``DIFF_MAX_LINES`` lines (then
links to the raw revisions), a blame page ``BLAME_PER_PAGE`` lines, a long history is blamed
over several requests, and computing either for huge revisions (past
``WIKI_ANON_DIFF_MAX_BYTES``, which anonymous readers may not ask for at all) holds a render
slot (``history_service.slot_if_huge``), so a crowd asking for them waits its turn (503 past
a short wait) instead of taking every worker from the people reading pages.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import groupby

from flask import (
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from markupsafe import Markup

from wiki import slots
from wiki.auth import permissions
from wiki.auth.accounts import USERNAME_RE, find_user
from wiki.decorators import editor_required, read_access_required
from wiki.extensions import db
from wiki.history import api_changes, bp, diff_cache
from wiki.history import service as history_service
from wiki.history.diff_cache import ShownDiff
from wiki.history.forms import ChangesFilterForm, RestoreForm
from wiki.lookup import find_page, page_number, parse_rev, revision_or_404, valid_title_or_400
from wiki.models import Page, Redirect, User
from wiki.pages import editing
from wiki.rendering import html_diff
from wiki.rendering.cache import PageHTML, page_html
from wiki.rendering.markdown import RENDERER_VERSION, RenderError
from wiki.review import service as review_service
from wiki.security import base_url, external_url, feed_host
from wiki.text import atom, diffing

DIFF_VIEWS = ("inline", "split")
DIFF_MODES = ("source", "rendered", "api")
DIFF_VIEW_COOKIE = "diff_view"
COOKIE_MAX_AGE = 365 * 86400
BLAME_PER_PAGE = 2_000
# Seconds after which a blame still being worked out goes on (its page reloads itself).
BLAME_RETRY_AFTER = 1


def _is_admin() -> bool:
    return current_user.is_authenticated and current_user.is_admin


def _readable_page(title: str) -> Page:
    """The page, following a rename; deleted pages only for admins. :raises 404:"""
    title = valid_title_or_400(title)
    page = find_page(title)
    if page is None:
        moved = db.session.get(Redirect, title)
        target = db.session.get(Page, moved.page_id) if moved is not None else None
        if target is not None:
            url = url_for(request.endpoint, title=target.title, **request.args.to_dict())
            abort(redirect(url, 307 if request.method == "POST" else 302))  # 307 keeps POST
    if page is None or (page.deleted and not _is_admin()):
        abort(404, f"There is no page called “{title}”.")
    return page


def _bound_for_anonymous(page: Page, *numbers: int) -> None:
    """Diffs and blame of huge revisions cost seconds of CPU: logged-in readers only.

    :raises 403: for an anonymous reader past ``WIKI_ANON_DIFF_MAX_BYTES``.
    """
    if current_user.is_authenticated:
        return
    limit = current_app.config["WIKI_ANON_DIFF_MAX_BYTES"]
    if history_service.largest_size(page, numbers) > limit:
        abort(
            403,
            f"This page is longer than {limit // 1024} KB: log in to compare or blame its "
            "versions. Its history and every version stay open to all.",
        )


def _find_user(name: str) -> User | None:
    """The user called ``name`` (any case); None for names no account can have."""
    if not USERNAME_RE.match(name):  # also keeps NUL bytes etc. away from the database
        return None
    return find_user(name)


def _row_or_404(page: Page, number: int) -> history_service.RevisionRow:
    row = history_service.revision_row(page, number)
    if row is None:
        abort(404, f"“{page.title}” has no revision {number}; it has {page.current_rev}.")
    return row


@bp.route("/history/<title:title>")
@read_access_required
def history(title: str):
    page = _readable_page(title)
    page_no = page_number()
    listing = history_service.history_listing(page, page_no)
    if listing is None:
        pages = history_service.history_pages(page)
        abort(
            404, f"The history of “{page.title}” has {pages} page(s); there is no page {page_no}."
        )
    return render_template(
        "history/history.html",
        page=page,
        listing=listing,
        can_edit=permissions.can_edit(current_user, page),
        review_mark=review_service.mark_of(page.id),
    )


def _diff_range(page: Page) -> tuple[int, int]:
    """``(from, to)`` from the query: ``to`` defaults to current, ``from`` to the one before.

    ``from`` 0 stands for the empty page before revision 1.
    :raises 400: non-numeric values. Redirects when ``from > to``.
    """
    old = parse_rev(request.args.get("from"), name="from")
    new = parse_rev(request.args.get("to"), name="to")
    if new is None:
        new = max(page.current_rev, old or 0)
    if old is None:
        old = new - 1
    if old > new:
        args = {**request.args.to_dict(), "from": new, "to": old}
        abort(redirect(url_for("history.diff", title=page.title, **args)))
    return old, new


def _diff_view() -> str:
    """inline or split: from the query, else the reader's last choice (a cookie)."""
    view = request.args.get("view") or request.cookies.get(DIFF_VIEW_COOKIE)
    return view if view in DIFF_VIEWS else "inline"


def _rendered(page: Page, number: int) -> PageHTML:
    """The cached, sanitized rendering of a revision; an empty one for revision 0."""
    if number == 0:
        return PageHTML(html="", toc_html="")
    try:
        return page_html(revision_or_404(page, number))
    except RenderError as error:
        abort(error.status, f"Revision {number} cannot be shown rendered: {error}")


def _source_diff(page: Page, shown: dict) -> ShownDiff:
    old_no = shown["old"].number if shown["old"] else 0
    whole = history_service.diff_revisions(page, old_no, shown["new"].number, full=shown["full"])
    if whole is None:  # the rows were found a moment ago; revisions are never removed
        abort(404, f"“{page.title}” has no such revisions.")
    diff, left_out = diffing.clip(
        whole, max_lines=history_service.DIFF_MAX_LINES, max_chars=history_service.DIFF_MAX_CHARS
    )
    html = render_template(
        "history/_diff_source.html",
        diff=diff,
        left_out=left_out,
        side_by_side=diffing.side_by_side,
        **shown,
    )
    return ShownDiff(Markup(html), whole.added, whole.removed, identical=whole.identical)


def _rendered_diff(page: Page, shown: dict) -> ShownDiff:
    """Block diff of two renderings (their assets: the page head loads what they use)."""
    old = _rendered(page, shown["old"].number if shown["old"] else 0)
    new = _rendered(page, shown["new"].number)
    blocks, clipped = html_diff.clip(
        html_diff.diff_blocks(old.html, new.html),
        max_blocks=history_service.DIFF_MAX_LINES,
        max_chars=history_service.DIFF_MAX_CHARS,
    )
    html = render_template("history/_rendered_diff.html", blocks=blocks, clipped=clipped, **shown)
    return ShownDiff(
        Markup(html),
        identical=blocks.identical,
        uses_mermaid=old.uses_mermaid or new.uses_mermaid,
        uses_math=old.uses_math or new.uses_math,
    )


def _shown_diff(page: Page, mode: str, shown: dict) -> ShownDiff:
    """The diff as shown, from this worker's cache, else computed (within a render slot for
    huge revisions). ``shown``: what the diff's templates are given besides the diff."""
    old, new = shown["old"], shown["new"]
    key = (page.title, old.id if old else 0, new.id, mode, shown["view"], shown["full"])
    key += (RENDERER_VERSION, page.generation if mode == "rendered" else 0)

    def build() -> ShownDiff:
        with history_service.slot_if_huge(page, (old.number if old else 0, new.number)):
            return _rendered_diff(page, shown) if mode == "rendered" else _source_diff(page, shown)

    return diff_cache.shown(key, build)


@bp.route("/diff/<title:title>")
@read_access_required
def diff(title: str):
    page = _readable_page(title)
    old_no, new_no = _diff_range(page)
    _bound_for_anonymous(page, old_no, new_no)
    mode = request.args.get("mode") if request.args.get("mode") in DIFF_MODES else "source"
    view = _diff_view()
    full = mode == "source" and request.args.get("full") == "1"
    base_args = {"from": old_no, "to": new_no, "view": view}
    base_args["mode"] = mode if mode != "source" else None
    shown = {
        "page": page,
        "new": _row_or_404(page, new_no),
        "old": _row_or_404(page, old_no) if old_no else None,
        "view": view,
        "full": full,
        "base_args": base_args,
    }
    context = {
        **shown,
        "mode": mode,
        "can_edit": permissions.can_edit(current_user, page),
        "api": api_changes.between(page.id, old_no, new_no),
    }
    if mode != "api":
        context["diff"] = shown_diff = _shown_diff(page, mode, shown)
        # The head loads the diagram/math/image scripts that the shown blocks use.
        context["rendered"] = PageHTML(
            html=shown_diff.html,
            toc_html="",
            uses_mermaid=shown_diff.uses_mermaid,
            uses_math=shown_diff.uses_math,
        )
    response = make_response(render_template("history/diff.html", **context))
    if request.args.get("view") in DIFF_VIEWS:
        response.set_cookie(
            DIFF_VIEW_COOKIE, request.args["view"], max_age=COOKIE_MAX_AGE, samesite="Lax"
        )
    return response


@bp.route("/blame/<title:title>")
@read_access_required
def blame(title: str):
    page = _readable_page(title)
    number = parse_rev(request.args.get("rev")) or page.current_rev
    _bound_for_anonymous(page, number)
    page_no = page_number()
    current_rev = page.current_rev
    try:
        lines = _blame_lines(page, number)
    except history_service.BlameUnfinished as unfinished:
        return _blame_unfinished(page, unfinished)
    if lines is None:
        abort(404, f"“{page.title}” has no revision {number}; it has {current_rev}.")
    pages = max(1, -(-len(lines) // BLAME_PER_PAGE))
    if page_no > pages:
        abort(
            404, f"The blame of revision {number} has {pages} page(s); there is no page {page_no}."
        )
    first = (page_no - 1) * BLAME_PER_PAGE
    shown = lines[first : first + BLAME_PER_PAGE]
    revisions = history_service.revision_rows(page, {line.rev for line in shown})
    return render_template(
        "history/blame.html",
        page=page,
        number=number,
        lines=shown,
        total_lines=len(lines),
        page_no=page_no,
        pages=pages,
        revisions=revisions,
        can_edit=permissions.can_edit(current_user, page),
    )


def _blame_lines(page: Page, number: int):
    """The blame, cached or worked out (within a render slot for a huge revision).

    :raises BlameUnfinished: a long history needs more requests. :raises slots.Busy:"""
    lines = history_service.cached_blame(page, number)
    if lines is not None:
        return lines
    with history_service.slot_if_huge(page, [number]):
        return history_service.blame(page, number)


def _blame_unfinished(page: Page, unfinished: history_service.BlameUnfinished):
    """503 for now: the page reloads itself and the blame goes on where it stopped."""
    html = render_template(
        "history/blame_pending.html",
        page=page,
        unfinished=unfinished,
        retry=BLAME_RETRY_AFTER,
        can_edit=permissions.can_edit(current_user, page),
    )
    return html, 503, {"Retry-After": str(BLAME_RETRY_AFTER)}


@bp.route("/revert/<title:title>", methods=["POST"])
@editor_required
def revert(title: str):
    if not RestoreForm().validate_on_submit():  # CSRFProtect has checked already; belt and braces
        abort(400, "The form's security token was missing or expired. Reload and try again.")
    page = _readable_page(title)
    number = parse_rev(request.args.get("rev"))
    if number is None:
        abort(400, "Say which revision to restore: /revert/<title>?rev=N.")
    _row_or_404(page, number)
    if page.deleted:
        abort(403, "This page is deleted: restore the page itself before its revisions.")
    if not permissions.can_edit(current_user, page):
        abort(403, "This page is protected: only administrators can restore its revisions.")
    try:
        with slots.renders_held():  # a restore is a save: it renders the page
            result = editing.revert(page.title, number, current_user)
    except (editing.EditError, RenderError) as error:
        abort(error.status, getattr(error, "message", None) or str(error))
    if result.revision is None:
        flash(f"Revision {number} is the same as the current text: nothing to restore.", "info")
    else:
        flash(f"Restored revision {number} as revision {result.revision.number}.", "success")
    return redirect(url_for("pages.view", title=result.page.title))


def _day_label(day, today) -> str:
    if day == today:
        return "Today"
    if day == today - timedelta(days=1):
        return "Yesterday"
    return f"{day:%A}, {day.day} {day:%B %Y}"


def _by_day(rows: list[history_service.RevisionRow]) -> list[tuple[str, list]]:
    """Rows grouped by UTC day, newest first, each group labelled for people."""
    today = datetime.now(UTC).date()
    return [
        (_day_label(day, today), list(group))
        for day, group in groupby(rows, key=lambda row: row.created_at.date())
    ]


def _filtered_changes(form: ChangesFilterForm, page_no: int):
    """``(listing, unknown_user)`` for the filter in the query string."""
    author_id = None
    name = (form.user.data or "").strip()
    if name:
        user = _find_user(name)
        if user is None:
            return history_service.Listing([], page_no, False), name
        author_id = user.id
    listing = history_service.changes_listing(
        page_no,
        author_id=author_id,
        new_only=bool(form.new.data),
        include_deleted=_is_admin(),
        where=review_service.unreviewed_filter() if form.unreviewed.data else None,
    )
    return listing, None


@bp.route("/recent")
@read_access_required
def recent():
    form = ChangesFilterForm(request.args)
    page_no = page_number()
    listing, unknown_user = _filtered_changes(form, page_no)
    if page_no > 1 and not listing.rows and not unknown_user:
        abort(404, f"Recent changes have no page {page_no}.")
    filters = {"user": (form.user.data or "").strip(), "new": "1" if form.new.data else ""}
    filters["unreviewed"] = "1" if form.unreviewed.data else ""
    return render_template(
        "history/recent.html",
        form=form,
        listing=listing,
        days=_by_day(listing.rows),
        api_notes=api_changes.api_summaries([row.id for row in listing.rows]),
        unknown_user=unknown_user,
        filters={k: v for k, v in filters.items() if v},
    )


def _feed_entry(row: history_service.RevisionRow, host: str, api_note: str = "") -> atom.FeedEntry:
    what = "new page" if row.number == 1 else f"revision {row.number}"
    delta = f"{row.size_delta:+,} bytes"
    return atom.FeedEntry(
        id=f"tag:{host},{row.created_at:%Y-%m-%d}:revision/{row.id}",
        title=f"{row.page_title} ({what})",
        link=external_url("history.diff", title=row.page_title, to=row.number),
        updated=row.created_at,
        author=row.author or "unknown",
        summary=f"{row.summary or 'No summary'} ({delta}{'; ' + api_note if api_note else ''})",
    )


@bp.route("/recent.atom")
@read_access_required
def recent_atom():
    form = ChangesFilterForm(request.args)
    listing, _ = _filtered_changes(form, 1)
    notes = api_changes.api_summaries([row.id for row in listing.rows])
    host = feed_host()
    args = request.args.to_dict()
    feed = atom.Feed(
        # An Atom id must be an absolute IRI: a tag: URI when the wiki's URL is not known.
        id=external_url("history.recent_atom", **args)
        if base_url()
        else f"tag:{host},2000:" + url_for("history.recent_atom", **args),
        title=f"Recent changes · {current_app.config['WIKI_NAME']}",
        self_link=external_url("history.recent_atom", **args),
        alternate_link=external_url("history.recent", **args),
        updated=datetime.now(UTC),
        entries=[_feed_entry(row, host, notes.get(row.id, "")) for row in listing.rows],
        generator=current_app.config["WIKI_NAME"],
    )
    return Response(atom.build_feed(feed), content_type=atom.CONTENT_TYPE)


@bp.route("/user/<name>")
@read_access_required
def contributions(name: str):
    user = _find_user(name)
    if user is None:
        abort(404, f"There is no user called “{name}”.")
    page_no = page_number()
    listing = history_service.changes_listing(
        page_no, author_id=user.id, include_deleted=_is_admin()
    )
    if page_no > 1 and not listing.rows:
        abort(404, f"{user.username}'s contributions have no page {page_no}.")
    return render_template(
        "history/contributions.html",
        user=user,
        listing=listing,
        days=_by_day(listing.rows),
        api_notes=api_changes.api_summaries([row.id for row in listing.rows]),
        edits=history_service.edit_count(user.id),
    )
