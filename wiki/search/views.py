# Placeholder routes until the search work lands.
from flask import abort

from . import bp


@bp.route("/search")
def search():
    abort(404)
