from flask import Blueprint

bp = Blueprint("review", __name__, cli_group="review")
