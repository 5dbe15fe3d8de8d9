"""Page attachments: the Files view, uploads (form and paste), serving, restoring versions.

``/files/<title>/<name>`` and ``/files/<title>`` overlap for nested titles: Werkzeug matches
``/files/Django/ORM`` as the file ``ORM`` of ``Django``. :func:`serve` therefore falls back to
the files list of the sub-page ``Django/ORM`` when ``Django`` has no such file (an existing
file wins; uploads refuse names that would shadow an existing sub-page).
"""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from wiki.auth import permissions
from wiki.decorators import editor_required, read_access_required
from wiki.extensions import db
from wiki.files import bp
from wiki.files import service as attachments
from wiki.files.forms import RestoreForm, UploadForm
from wiki.lookup import find_page, parse_rev, valid_title_or_400
from wiki.models import Attachment, Page, Redirect
from wiki.refusals import Refusal
from wiki.text.filetypes import INLINE_TYPES, RASTER_TYPES
from wiki.text.titles import TitleError, normalize_title

YEAR = 365 * 24 * 3600
# Served files get their own policy: nothing in them may run, even if a browser sniffs.
FILE_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
# Chromium refuses to show a PDF in a sandboxed document, so PDFs are not sandboxed.
PDF_CSP = "default-src 'none'; object-src 'self'; style-src 'unsafe-inline'"


@bp.get("/files/<title:title>", endpoint="list")
@read_access_required
def list_files(title: str):
    page = _live_page(title)
    if isinstance(page, Redirect):
        return _follow(page, "files.list")
    return _render_list(page, UploadForm())


@bp.post("/files/<title:title>")
@editor_required
def upload(title: str):
    page = _live_page(title, missing="The page does not exist yet: save it first, then upload.")
    if isinstance(page, Redirect):
        abort(404, "This page was renamed; upload to its new title.")
    if not permissions.can_edit(current_user, page):
        abort(403, "This page is protected: only administrators can add files to it.")
    form = UploadForm()
    if not form.validate():
        message = "; ".join(e for errors in form.errors.values() for e in errors)
        return _refused(page, form, message, 400)
    max_bytes = current_app.config["WIKI_MAX_UPLOAD_MB"] * 1024 * 1024
    sent = form.file.data
    try:
        attachment = attachments.store_upload(
            page,
            form.name.data or sent.filename or "",
            sent.stream.read(max_bytes + 1),
            current_user.id,
            max_bytes=max_bytes,
            max_pixels=current_app.config["WIKI_MAX_IMAGE_PIXELS"],
            unique=form.unique.data,
        )
    except Refusal as error:
        return _refused(page, form, error.message, error.status)
    if _wants_json():
        return jsonify(_describe(page, attachment)), 201
    flash(f"Uploaded {attachment.name} (version {attachment.version}).", "success")
    return redirect(url_for("files.list", title=page.title))


@bp.get("/files/<title:title>/<name>")
@read_access_required
def serve(title: str, name: str):
    title = valid_title_or_400(title)
    version = parse_rev(request.args.get("version"), name="version")
    original = request.args.get("original") == "1"
    served = attachments.file_to_serve(title, name, version, original=original)
    if served is None:
        return _not_served(title, name, version)
    return _file_response(served, versioned=version is not None)


def _not_served(title: str, name: str, version: int | None):
    """A renamed page's file redirects; ``/files/A/B`` may be the files list of ``A/B``."""
    sub_page = _sub_page(title, name) if version is None else None
    if sub_page is not None:
        return _render_list(sub_page, UploadForm())
    if isinstance(moved := _live_page(title, or_none=True), Redirect):
        return _follow(moved, "files.serve", name=name)
    which = f" with version {version}" if version else ""
    abort(404, f"There is no file called “{name}”{which}.")


@bp.post("/restore-file/<title:title>", endpoint="restore")
@editor_required
def restore(title: str):
    page = _live_page(title)
    if isinstance(page, Redirect):
        abort(404, "This page was renamed; restore from its new title.")
    if not permissions.can_edit(current_user, page):
        abort(403, "This page is protected: only administrators can change its files.")
    form = RestoreForm()
    if not form.validate():
        abort(400, "Say which file and version to restore.")
    try:
        restored = attachments.restore_version(
            page, form.name.data, form.version.data, current_user.id
        )
    except Refusal as error:
        abort(error.status, error.message)
    flash(
        f"Restored version {form.version.data} of {restored.name} as version {restored.version}.",
        "success",
    )
    return redirect(url_for("files.list", title=page.title))


KINDS = {
    "image/png": "PNG image",
    "image/jpeg": "JPEG image",
    "image/gif": "GIF image",
    "image/webp": "WebP image",
    "application/pdf": "PDF document",
    "text/plain": "Text",
}


@bp.app_template_filter("file_kind")
def file_kind(content_type: str) -> str:
    return KINDS.get(content_type, "Binary file")


@bp.app_template_filter("filesize")
def filesize(size: int) -> str:
    """'512 bytes', '12.3 KB', '4.1 MB' (powers of 1024)."""
    if size < 1024:
        return f"{size} byte{'s' if size != 1 else ''}"
    for unit in ("KB", "MB"):
        size /= 1024
        if size < 1024 or unit == "MB":
            return f"{size:.1f} {unit}" if size < 100 else f"{size:.0f} {unit}"
    raise AssertionError("unreachable")


def _live_page(title: str, *, missing: str | None = None, or_none: bool = False):
    """The live page, a :class:`Redirect` when it was renamed, or None/404."""
    title = valid_title_or_400(title)
    page = find_page(title)
    if page is not None and not page.deleted:
        return page
    moved = db.session.get(Redirect, title) if page is None else None
    if moved is not None:
        return moved
    if or_none:
        return None
    abort(404, missing or f"There is no page called “{title}”.")


def _follow(moved: Redirect, endpoint: str, **kwargs):
    target = db.session.get(Page, moved.page_id)
    query = {k: v for k, v in request.args.items() if k not in ("title", "name")}
    return redirect(url_for(endpoint, title=target.title, **kwargs, **query), 301)


def _sub_page(title: str, name: str) -> Page | None:
    try:
        page = find_page(normalize_title(f"{title}/{name}"))
    except TitleError:
        return None
    return page if page is not None and not page.deleted else None


def _render_list(page: Page, form: UploadForm, status: int = 200):
    return (
        render_template(
            "files/list.html",
            page=page,
            files=attachments.list_files(page),
            form=form,
            can_edit=permissions.can_edit(current_user, page),
            max_mb=current_app.config["WIKI_MAX_UPLOAD_MB"],
            raster_types=RASTER_TYPES,
        ),
        status,
    )


def _refused(page: Page, form: UploadForm, message: str, status: int):
    retry = {"Retry-After": "30"} if status == 503 else {}
    if _wants_json():
        return jsonify({"error": "Upload refused", "message": message}), status, retry
    flash(message, "error")
    body, code = _render_list(page, form, status)
    return body, code, retry


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _describe(page: Page, attachment: Attachment) -> dict:
    is_image = attachment.content_type in RASTER_TYPES
    link = f"![]({attachment.name})" if is_image else f"[{attachment.name}]({attachment.name})"
    return {
        "name": attachment.name,
        "version": attachment.version,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "width": attachment.width,
        "height": attachment.height,
        "url": url_for("files.serve", title=page.title, name=attachment.name),
        "markdown": link,
    }


def _file_response(served: attachments.ServedFile, *, versioned: bool):
    """The bytes with the type checked at upload, a safe disposition and caching headers.

    Built by hand rather than with ``send_file``: the bytes are already in memory, and one
    body write beats ``send_file``'s 8 KB file-wrapper chunks.
    """
    # A browser revalidating its copy needs no bytes: the ETag is the content's hash.
    fresh = request.if_none_match.contains(served.sha256)
    try:
        data = b"" if fresh else attachments.served_bytes(served)
    except attachments.Unpublishable as error:
        abort(error.status, str(error))
    if data is None:
        abort(404, "The file's content is missing.")
    response = current_app.response_class(data, mimetype=served.content_type)
    headers = response.headers
    inline = served.content_type in INLINE_TYPES
    headers.set("Content-Disposition", "inline" if inline else "attachment", **_filename(served))
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Content-Security-Policy"] = (
        PDF_CSP if served.content_type == "application/pdf" else FILE_CSP
    )
    response.set_etag(served.sha256)
    response.last_modified = served.created_at
    if versioned:  # a versioned file URL never changes (security keeps "immutable" as is)
        scope = "public" if current_app.config["WIKI_READ_ACCESS"] == "anonymous" else "private"
        headers["Cache-Control"] = f"{scope}, max-age={YEAR}, immutable"
    else:
        response.cache_control.no_cache = True
    return response.make_conditional(request, accept_ranges=True, complete_length=len(data))


def _filename(served: attachments.ServedFile) -> dict[str, str]:
    """``filename`` (ASCII) and, for other names, ``filename*`` (RFC 6266), like send_file."""
    try:
        served.name.encode("ascii")
    except UnicodeEncodeError:
        simple = unicodedata.normalize("NFKD", served.name).encode("ascii", "ignore").decode()
        return {"filename": simple or "file", "filename*": "UTF-8''" + quote(served.name, safe="")}
    return {"filename": served.name}
