from flask import Blueprint

bp = Blueprint("pages", __name__)

from . import drafts_views, views  # noqa: E402,F401
