from flask import Blueprint

bp = Blueprint("structure", __name__)

from . import views  # noqa: E402,F401
