from flask import Blueprint

bp = Blueprint("discuss", __name__)
