from flask import Blueprint

bp = Blueprint("notify", __name__)


@bp.record_once
def _setup(state):
    from wiki.notify.setup import setup

    setup(state.app)
