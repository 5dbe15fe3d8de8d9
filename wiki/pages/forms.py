from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, SubmitField, TextAreaField
from wtforms.validators import Length


class EditForm(FlaskForm):
    body = TextAreaField("Content")
    summary = StringField("Summary", validators=[Length(max=500)])
    base_rev = HiddenField()
    preview = SubmitField("Preview")
    save = SubmitField("Save")
