from flask import Blueprint

bp = Blueprint("structure", __name__)
