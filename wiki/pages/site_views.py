"""Page routes around reading and writing: ``GET /new`` (the "New page" form: title, optional
parent, template, then the editor), ``GET /source/<title>`` (the Markdown in the site's layout)
and ``/favicon.ico`` for clients that ask for it by that name."""

from flask import (
    current_app,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select

from wiki.auth import permissions
from wiki.decorators import editor_required, read_access_required
from wiki.extensions import db
from wiki.lookup import find_page, live_page_or_404, parse_rev, revision_or_404
from wiki.models import Page
from wiki.pages import bp
from wiki.pages.page_templates import template_titles
from wiki.text.titles import SEPARATOR, TitleError, normalize_title


@bp.route("/new")
@editor_required
def new():
    parent = _valid_or_none(request.args.get("parent", ""))
    raw = request.args.get("title", "").strip()
    template = request.args.get("template", "")
    if template and template not in template_titles():
        template = ""
    error = existing = None
    if raw:
        try:
            title = normalize_title(raw)
        except TitleError as problem:
            error = f"Invalid title: {problem}"
        else:
            page = find_page(title) or _same_but_case(title)
            if page is None or page.deleted:
                args = {"template": template} if template else {}
                return redirect(url_for("pages.edit", title=title, **args))
            error, existing = "A page with that title exists already.", page.title
    elif "title" in request.args:
        error = "Give the new page a title."
    html = render_template(
        "pages/new.html",
        parent=parent,
        prefill=raw or (parent + SEPARATOR if parent else ""),
        template=template,
        templates=template_titles(),
        error=error,
        existing=existing,
    )
    return html, 400 if error else 200


def _same_but_case(title: str) -> Page | None:
    return db.session.scalar(
        select(Page).where(Page.title_key == title.lower(), Page.deleted.is_(False))
    )


def _valid_or_none(title: str) -> str:
    try:
        return normalize_title(title) if title.strip() else ""
    except TitleError:
        return ""


@bp.route("/favicon.ico")
def favicon():
    return send_from_directory(current_app.static_folder, "favicon.ico", max_age=86400)


@bp.route("/source/<title:title>")
@read_access_required
def source(title: str):
    """The page's Markdown inside the site's layout, with a Copy button and the raw file."""
    page = live_page_or_404(title)
    revision = revision_or_404(page, parse_rev(request.args.get("rev")))
    can_edit = permissions.can_edit(current_user, page)
    return render_template("pages/source.html", page=page, revision=revision, can_edit=can_edit)
