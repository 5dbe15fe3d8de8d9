"""Forms of the structure actions (rename/move, protect)."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, SubmitField
from wtforms.validators import AnyOf, DataRequired, Length

FALSE_VALUES = ("false", "", "0", "off", "no")


class OptionField(BooleanField):
    """A checkbox whose value is its default when the request does not mention it at all.

    The HTML form sends a hidden ``0`` before the checkbox, so "unchecked" is explicit and the
    last value wins; a client posting only ``new_title`` gets the default.
    """

    false_values = FALSE_VALUES

    def process_formdata(self, valuelist):
        if not valuelist:
            self.data = bool(self.default)
        else:
            self.data = valuelist[-1] not in self.false_values


class RenameForm(FlaskForm):
    new_title = StringField(
        "New title",
        validators=[DataRequired("Enter the new title."), Length(max=1000)],
    )
    rewrite_links = OptionField("Update links to it in other pages", default=True)
    move_subpages = OptionField("Move its sub-pages too", default=False)
    submit = SubmitField("Rename")


class ProtectForm(FlaskForm):
    protected = StringField(
        "Protected", validators=[AnyOf(["0", "1"], "“protected” must be 1 or 0.")]
    )
