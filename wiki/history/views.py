# Placeholder routes until the history work lands (issue: page history people can read).
from flask import abort

from . import bp


@bp.route("/history/<title:title>")
def history(title: str):
    abort(404)


@bp.route("/diff/<title:title>")
def diff(title: str):
    abort(404)


@bp.route("/recent")
def recent():
    abort(404)
