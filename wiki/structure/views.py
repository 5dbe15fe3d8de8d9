"""Structure routes: backlinks, rename/move, delete/restore, protect, tags and special pages."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from wiki.auth import permissions
from wiki.decorators import admin_required, editor_required, read_access_required
from wiki.extensions import db
from wiki.forms import ActionForm
from wiki.lookup import find_page, live_page_or_404, page_number, valid_title_or_400
from wiki.models import Page, Redirect
from wiki.pages import navigation
from wiki.refusals import Refusal
from wiki.rendering.markdown import RenderError
from wiki.structure import bp, queries
from wiki.structure import service as structure_service
from wiki.structure.forms import ProtectForm, RenameForm
from wiki.structure.freshness import stale_pages
from wiki.structure.wanted import dismiss_searches

ORPHANS_PER_PAGE = 200


@bp.app_template_global()
def rename_form(title: str) -> RenameForm:
    """A fresh rename form (with its CSRF token) for the page footer."""
    form = RenameForm(formdata=None)
    form.new_title.data = title
    return form


@bp.route("/backlinks/<title:title>")
@read_access_required
def backlinks(title: str):
    title = valid_title_or_400(title)
    page = find_page(title)
    live = page if page is not None and not page.deleted else None
    moved = db.session.get(Redirect, title) if page is None else None
    return render_template(
        "structure/backlinks.html",
        title=title,
        page=live,
        links=queries.backlinks(title, live),
        redirects=queries.redirects_to(live) if live else [],
        redirect_target=db.session.get(Page, moved.page_id) if moved else None,
        deleted=page is not None and page.deleted,
    )


@bp.route("/rename/<title:title>", methods=["GET", "POST"])
@editor_required
def rename(title: str):
    title = valid_title_or_400(title)
    page = live_page_or_404(title)
    if not permissions.can_edit(current_user, page):
        abort(403, "This page is protected: only administrators can rename or move it.")
    form = RenameForm()
    if request.method == "GET":
        form.new_title.data = title
        return _rename_form(form, page)
    if not form.validate():
        errors = " ".join(e for errs in form.errors.values() for e in errs)
        return _rename_form(form, page, errors or "The form was incomplete.", 400)
    try:
        result = structure_service.rename_page(
            title,
            form.new_title.data,
            current_user,
            rewrite=form.rewrite_links.data,
            move_subpages=form.move_subpages.data,
        )
    except (Refusal, RenderError) as error:
        message = getattr(error, "message", None) or str(error)
        return _rename_form(form, page, message, error.status)
    flash(_rename_message(result), "success")
    return redirect(url_for("pages.view", title=result.page.title))


def _rename_form(form, page, error=None, status=200):
    """The rename page; on a refused rename it keeps what the user typed and says why."""
    if error:
        flash(error, "error")
    subpages = queries.page_count_under(page.title)
    return (
        render_template("structure/rename.html", form=form, page=page, subpages=subpages),
        status,
    )


def _rename_message(result: structure_service.RenameResult) -> str:
    old, new = next(iter(result.moves.items()))
    parts = [f"Renamed “{old}” to “{new}”."]
    if len(result.moves) > 1:
        parts.append(f"Moved {len(result.moves) - 1} sub-page(s) along.")
    if result.rewritten:
        parts.append(f"Updated links in {len(result.rewritten)} page(s).")
    if result.skipped:
        parts.append(
            f"Links in protected pages were left as they were: {', '.join(result.skipped)}."
        )
    return " ".join(parts)


def _structure_action(action, title: str, *args):
    """Run a delete/restore/protect service call, turning refusals into HTTP errors."""
    try:
        return action(title, *args, current_user)
    except Refusal as error:
        abort(error.status, error.message)
    except RenderError as error:
        abort(error.status, str(error))


@bp.route("/delete/<title:title>", methods=["GET"])
@admin_required
def confirm_delete(title: str):
    """The confirmation page before a delete (works without JavaScript)."""
    page = find_page(valid_title_or_400(title))
    if page is None or page.deleted:
        abort(404, f"There is no page called “{title}”.")
    return render_template(
        "structure/delete.html",
        page=page,
        info=navigation.footer_info(page),
        backlinks=queries.backlinks(page.title, page),
    )


@bp.route("/delete/<title:title>", methods=["POST"])
@admin_required
def delete(title: str):
    title = valid_title_or_400(title)
    _structure_action(structure_service.delete_page, title)
    flash(f"Deleted “{title}”. Its history is kept; it can be restored.", "success")
    return redirect(url_for("pages.view", title=title))


@bp.route("/restore/<title:title>", methods=["POST"])
@admin_required
def restore(title: str):
    title = valid_title_or_400(title)
    _structure_action(structure_service.restore_page, title)
    flash(f"Restored “{title}” with its full history.", "success")
    return redirect(url_for("pages.view", title=title))


@bp.route("/protect/<title:title>", methods=["POST"])
@admin_required
def protect(title: str):
    title = valid_title_or_400(title)
    form = ProtectForm()
    if not form.validate():
        abort(400, "“protected” must be 1 (protect) or 0 (unprotect).")
    protected = form.protected.data == "1"
    changed = _structure_action(structure_service.set_protected, title, protected)
    state = "protected: only administrators can edit it" if protected else "not protected"
    flash(f"“{title}” is {'now ' if changed else 'already '}{state}.", "success")
    return redirect(url_for("pages.view", title=title))


@bp.route("/tags")
@read_access_required
def tags():
    counts = queries.tag_counts()
    top = max((n for _, n in counts), default=1)
    return render_template("structure/tags.html", counts=counts, top=top)


@bp.route("/tags/<path:tag>")
@read_access_required
def tag(tag: str):
    tag = " ".join(tag.split()).lower()
    titles = queries.tagged(tag) if tag and "\x00" not in tag else []  # no tag holds NUL
    return render_template("structure/tag.html", tag=tag, titles=titles), 200 if titles else 404


def _wanted_entries() -> list[queries.Wanted]:
    # Missed searches are for logged-in editors only; anonymous readers see red links.
    return queries.wanted(
        with_searches=current_user.is_authenticated,
        min_searchers=current_app.config.get("WIKI_WANTED_MIN_SEARCHERS", 3),
    )


@bp.route("/special/wanted")
@read_access_required
def wanted():
    return render_template("structure/wanted.html", entries=_wanted_entries(), form=ActionForm())


@bp.route("/special/wanted/dismiss", methods=["POST"])
@admin_required
def dismiss_wanted():
    form = ActionForm()
    if not form.validate():
        abort(400, "The form was incomplete.")
    title = request.form.get("title", "")
    entry = next((w for w in _wanted_entries() if w.title == title), None)
    if entry is None or not entry.query_keys:
        abort(404, "No such missed search on the wanted pages.")
    dismiss_searches(list(entry.query_keys))
    flash(f"Searches for “{title}” will no longer be listed.", "success")
    return redirect(url_for("structure.wanted"))


@bp.route("/special/orphaned")
@read_access_required
def orphaned():
    pagination = db.paginate(
        queries.orphaned_query(),
        page=page_number(lenient=True),
        per_page=ORPHANS_PER_PAGE,
        error_out=False,
    )
    return render_template("structure/orphaned.html", pagination=pagination)


@bp.route("/special/deleted")
@admin_required
def deleted():
    return render_template("structure/deleted.html", pages=queries.deleted_pages())


@bp.route("/special/stale")
@read_access_required
def stale():
    return render_template("structure/stale.html", pages=stale_pages())


@bp.route("/special/random")
@read_access_required
def random():
    title = queries.random_title()
    if title is None:
        flash("There are no pages yet.", "info")
        return redirect(url_for("pages.index"))
    return redirect(url_for("pages.view", title=title))
