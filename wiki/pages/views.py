from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup
from sqlalchemy import func, select

from wiki import slots
from wiki.auth import accounts, permissions
from wiki.decorators import editor_required, plain_user, read_access_required
from wiki.extensions import db, limiter
from wiki.lookup import (
    find_page,
    live_page_or_404,
    page_and_revision_or_404,
    parse_rev,
    revision_or_404,
    valid_title_or_400,
)
from wiki.models import Page, Revision
from wiki.pages import (
    bp,
    drafts_views,
    editing,
    fragments,
    generations,  # noqa: F401
    limits,
    page_cache,
    page_templates,
    readers,
    section_edit,
)
from wiki.pages.forms import EditForm
from wiki.rendering.cache import page_html
from wiki.rendering.markdown import RenderError
from wiki.text import conflicts as conflict_markers
from wiki.text.numbers import whole_number
from wiki.text.sections import link_headings

# Page views carry no rate limit. tests/test_rate_limits.py checks that they have none.
UNLIMITED_READS = frozenset({"pages.home", "pages.view"})


@bp.record_once
def _spare_page_views_from_the_limiter(state) -> None:
    """Do not run Flask-Limiter at all for reads of :data:`UNLIMITED_READS`. Its
    before-request hook resolves on every request which limits apply, exemption scopes
    included, even where none do: ~15 % of the work of an anonymous view served from the
    kept page. (The blueprint registers after ``limiter.init_app``: the hook is there.)"""
    hooks = state.app.before_request_funcs.setdefault(None, [])
    for i, hook in enumerate(hooks):
        if getattr(hook, "__self__", None) is limiter:

            def check_unless_spared(check=hook):
                if request.method in ("GET", "HEAD") and request.endpoint in UNLIMITED_READS:
                    return None
                return check()

            hooks[i] = check_unless_spared
            return
    if state.app.config.get("RATELIMIT_ENABLED", True):  # disabled: Flask-Limiter adds none
        raise RuntimeError("Flask-Limiter's before-request hook was not found")


@bp.route("/")
@read_access_required
def home():
    return view("Home")


@bp.route("/wiki/<title:title>")
@read_access_required
def view(title: str):
    canonical = valid_title_or_400(title)
    if " " in request.path or canonical != title:
        return redirect(url_for("pages.view", title=canonical, **request.args), 301)
    state = readers.view_state(canonical, current_user)
    if state is None or state.deleted:
        return _missing_or_redirect(canonical, find_page(canonical) if state else None)
    number = parse_rev(request.args.get("rev"))
    is_current = number is None or number == state.current_rev
    can_edit = permissions.can_edit(current_user, state)
    key = page_cache.key_for(state, page_cache.variant(current_user, can_edit))
    cacheable = page_cache.cacheable()
    shell = page_cache.cached(key) if cacheable else None
    if shell is None:
        page, revision = page_and_revision_or_404(state.id, number)
        html = _render_shell(page, revision, state.structure, is_current, can_edit)
        shell = page_cache.keep(key, html) if cacheable else html.encode("utf-8")
    if not current_user.is_authenticated:
        return shell  # the same for every anonymous reader: nothing to fill
    return page_cache.fill(shell, _reader_context(state, is_current))


def _render_shell(
    page: Page, revision: Revision, structure: int, is_current: bool, can_edit: bool
) -> str:
    """The page view with marks for its reader's parts (see page_cache); whole for an
    anonymous reader. ``structure`` is the site's structure generation (see fragments)."""
    with page_cache.rendering_shell(marks=current_user.is_authenticated):
        return render_template(
            "pages/view.html",
            page=page,
            revision=revision,
            is_current=is_current,
            rendered=page_html(revision, page.generation),
            redirected_from=request.args.get("redirectedfrom"),
            can_edit=can_edit,
            footer=fragments.footer_info(page, structure),
            page_tree=fragments.page_tree(page, structure, can_edit) if is_current else None,
        )


def _reader_context(state, is_current: bool) -> dict:
    """What a page view shows of its logged-in reader (its slots, see page_cache); ``state``
    is the page's row from readers.view_state."""
    reader = readers.reader_of(current_user, state, is_current=is_current)
    return {
        "page": state,
        "reader": reader,
        "watching": reader.watching,
        "changed": reader.changed,
        "editors": reader.editors,
    }


def _missing_or_redirect(title: str, page: Page | None):
    if page is None:
        target = editing.renamed_to(title)
        if target is not None:
            return redirect(url_for("pages.view", title=target.title, redirectedfrom=title))
        same = db.session.scalar(
            select(Page.title).where(Page.title_key == title.lower(), Page.deleted.is_(False))
        )
        if same is not None:
            return redirect(url_for("pages.view", title=same))
    return (
        render_template(
            "pages/missing.html",
            title=title,
            page=page,
            deleted_by=page.deleted_by if page is not None else None,
            can_create=permissions.can_edit(current_user, None),
        ),
        404,
    )


@bp.route("/edit/<title:title>", methods=["GET", "POST"])
@plain_user  # a save needs its user's id and role only (editing.Author)
@editor_required
@limits.save_limit("POST")
def edit(title: str):
    title = valid_title_or_400(title)
    page = find_page(title)
    if not permissions.can_edit(current_user, page):
        abort(403, "This page is protected: only administrators can edit it.")
    if request.method == "GET" and page is not None and page.deleted:
        # Its save would be refused; a refused POST re-shows the text, so only GET stops here.
        abort(403, "This page was deleted. An administrator can restore it.")
    form = EditForm()
    section = _section_or_404()
    if request.method == "GET":
        template = request.args.get("template") or ""
        form.body.data = editing.current_body(page) or page_templates.template_body(template) or ""
        form.base_rev.data = str(page.current_rev) if page and page.current_rev else ""
        if section is not None:
            form.body.data = _section_text_or_404(page, section)
        elif request.args.get("draft") == "1":
            drafts_views.restore_into(form, title)
        return render_template(
            "pages/edit.html",
            form=form,
            title=title,
            page=page,
            **drafts_views.editor_context(title, page),
        )
    if not form.validate():
        return _edit_again(form, title, page, "The form was incomplete: " + _errors(form), 400)
    try:
        base_rev = whole_number(form.base_rev.data, minimum=0)
    except ValueError:
        return _edit_again(form, title, page, "The base revision must be a number.", 400)
    body = form.body.data or ""
    if request.form.get("chooser"):  # the conflict chooser: apply its per-block choices
        body = form.body.data = conflict_markers.apply_choices(
            body, conflict_markers.parse_choices(request.form)
        )
        if conflict_markers.blocks(body):
            return _conflict(form, title, page, None)
    if form.preview.data:
        return _preview_again(form, title, page, body)
    if section is not None:
        try:
            body = section_edit.whole_body(page, int(base_rev or 0), section, body)
        except section_edit.SectionNotFound:
            return _edit_again(form, title, page, "This page has no such section any more.", 404)
    try:
        result = limits.save(title, body, form.summary.data or "", base_rev, current_user)
    except slots.Busy:
        return _busy(form, title, page, body)
    except editing.EditConflict as conflict:
        form.body.data = body  # the chooser and the kept draft hold the whole page
        return _conflict(form, title, page, conflict)
    except (editing.EditError, RenderError) as error:
        return _edit_again(form, title, page, _message(error), error.status)
    _flash_outcome(result)
    return redirect(url_for("pages.view", title=title))


def _section_or_404() -> int | None:
    try:
        return section_edit.parse_section(request.args.get("section"))
    except section_edit.SectionNotFound:
        abort(404, "There is no such section.")


def _section_text_or_404(page: Page | None, section: int) -> str:
    try:
        return section_edit.section_of(page, section)
    except section_edit.SectionNotFound:
        abort(404, f"This page has no section {section}.")


def _flash_outcome(result: editing.SaveResult) -> None:
    if result.revision is None:
        flash("No changes to save: the page is as it was.", "info")
    elif result.merged_with is not None:
        author = accounts.username_of(result.merged_with.author_id) or "someone"
        diff = url_for(
            "history.diff",
            title=result.page.title,
            **{"from": result.merged_with.number, "to": result.revision.number},
        )
        flash(
            Markup(
                'Your edit was merged with revision {} by {}. <a href="{}">See the changes</a>.'
            ).format(result.merged_with.number, author, diff),
            "success",
        )
    else:
        flash(f"Saved revision {result.revision.number}.", "success")


def _message(error: Exception) -> str:
    return getattr(error, "message", None) or str(error)


def _errors(form: EditForm) -> str:
    return "; ".join(
        f"{form[name].label.text}: {' '.join(errs)}" for name, errs in form.errors.items()
    )


def _edit_again(form, title, page, message, status, preview_html=None):
    """Re-show the editor with the user's text, so a refused save loses nothing."""
    flash(message, "error")
    return (
        render_template(
            "pages/edit.html",
            form=form,
            title=title,
            page=page,
            preview_html=preview_html,
            **drafts_views.editor_context(title, page),
        ),
        status,
    )


def _busy(form, title, page, body: str):
    """Every render slot stayed taken: 503 with the editor, the text kept as a draft too
    (``body`` is the whole page, also when a section was edited)."""
    drafts_views.keep_text(title, body, form.summary.data or "", form.base_rev.data or "")
    message = (
        "The wiki is busy with other large pages, so nothing was saved yet. Your text is "
        f"below and kept as a draft: save again in {slots.RETRY_AFTER} seconds."
    )
    html, status = _edit_again(form, title, page, message, 503)
    return html, status, {"Retry-After": str(slots.RETRY_AFTER)}


def _preview_again(form, title, page, body):
    try:
        with slots.renders_held():
            rendered = editing.render_preview(body, title)
    except slots.Busy:
        return _busy(form, title, page, body)
    except (editing.EditError, RenderError) as error:
        return _edit_again(form, title, page, _message(error), error.status)
    return render_template(
        "pages/edit.html",
        form=form,
        title=title,
        page=page,
        preview_html=rendered.html,
        preview_card=render_template("pages/_page_notices.html", rendered=rendered),
        **drafts_views.editor_context(title, page),
    )


def _conflict(form, title, page, conflict: editing.EditConflict | None):
    """The per-block chooser (409). ``conflict`` is None when a chooser submission still
    has marked blocks; else the user's text is kept as a draft and the merge is marked."""
    if conflict is not None:
        drafts_views.keep_text(title, form.body.data, form.summary.data, form.base_rev.data)
        theirs = f"their version (revision {conflict.current_rev} by {conflict.current_author})"
        form.body.data = conflict_markers.mark(conflict.merge.parts, theirs)
        form.base_rev.data = str(conflict.current_rev)
    blocks = conflict_markers.blocks(form.body.data)
    return (
        render_template(
            "pages/conflict.html",
            form=form,
            title=title,
            page=page,
            conflict=conflict,
            blocks=blocks,
            choices=conflict_markers.parse_choices(request.form),
            draft_token=drafts_views.draft_token_for(title),
            editors=drafts_views.draft_editors(title),
        ),
        409,
    )


def _previewer_key() -> str:
    return f"previews:{current_user.id}"


@bp.route("/preview", methods=["POST"])
@editor_required
@limiter.limit(lambda: current_app.config["WIKI_PREVIEW_RATE"], key_func=_previewer_key)
def preview():
    body = request.form.get("body", "")
    title = request.form.get("title") or None
    try:
        with slots.renders_held():
            rendered = editing.render_preview(
                body, title, timeout=current_app.config["WIKI_PREVIEW_TIMEOUT"]
            )
    except (editing.EditError, RenderError) as error:
        return Response(_message(error), error.status, mimetype="text/plain")
    except slots.Busy:
        message = "The preview is busy right now; it updates when you type again."
        return Response(message, 503, {"Retry-After": "2"}, mimetype="text/plain")
    if request.form.get("card") != "1":
        return Response(rendered.html, mimetype="text/html")
    # The editor's live preview: the front-matter card too, as the saved page shows it.
    return Response(render_template("pages/_preview.html", rendered=rendered), mimetype="text/html")


@bp.route("/raw/<title:title>")
@read_access_required
def raw(title: str):
    page = live_page_or_404(title)
    revision = revision_or_404(page, parse_rev(request.args.get("rev")))
    return Response(revision.body, content_type="text/markdown; charset=utf-8")


@bp.route("/pages")
@read_access_required
def index():
    titles = db.session.scalars(
        select(Page.title).where(Page.deleted.is_(False)).order_by(func.lower(Page.title))
    ).all()
    groups: dict[str, list[str]] = {}
    for title in titles:
        groups.setdefault(title.split("/", 1)[0], []).append(title)
    return render_template("pages/index.html", groups=groups, total=len(titles))


# ``{{ slot("a/template.html") }}``: a part of a page that shows its reader (page_cache).
bp.add_app_template_global(pass_context(page_cache.slot), "slot")


@bp.app_context_processor
def max_body():
    return {"max_body_bytes": current_app.config["WIKI_MAX_BODY_BYTES"]}


@bp.app_template_filter("section_links")
def section_links(html: str, title: str, body: str) -> Markup:
    """The page's HTML with an "edit" link in each section heading (for editors)."""
    return Markup(
        link_headings(html, body, lambda n: url_for("pages.edit", title=title, section=n))
    )
