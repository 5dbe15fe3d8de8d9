from flask import Blueprint

bp = Blueprint("review", __name__, cli_group="review")


@bp.app_template_global()
def review_mark(page):
    """The page's review mark (revision, reviewer, time) for its history, or None."""
    from wiki.review.service import mark_of

    return mark_of(page.id) if page is not None and page.id is not None else None
