from flask import Blueprint

bp = Blueprint("discuss", __name__)


@bp.app_template_global()
def open_threads(title: str) -> int:
    """Open threads of the live page ``title`` for the "Discussion (N open)" tab."""
    from wiki.discuss.service import open_count
    from wiki.lookup import find_page

    page = find_page(title)
    return open_count(page.id) if page is not None and not page.deleted else 0
