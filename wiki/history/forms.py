"""Forms of the history area: the restore button and the recent-changes filter."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField

from wiki.forms import ActionForm


class RestoreForm(ActionForm):
    """The "Restore this revision" POST button; the revision is in the URL (``?rev=N``)."""


class ChangesFilterForm(FlaskForm):
    """GET filter of /recent and /recent.atom: one author, and/or page creations only.

    Filled from the query string, so it carries no CSRF token (it changes nothing).
    """

    class Meta:
        csrf = False

    user = StringField("User")  # any text: an unknown name just matches nobody
    new = BooleanField("New pages only", false_values=("", "0", "false", "no", "off"))
    unreviewed = BooleanField("Unreviewed only", false_values=("", "0", "false", "no", "off"))
