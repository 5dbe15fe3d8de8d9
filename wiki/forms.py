"""Forms shared by several blueprints."""

from flask_wtf import FlaskForm


class ActionForm(FlaskForm):
    """An empty form: a POST-only button (Log out, Restore, Delete) with its CSRF token."""
