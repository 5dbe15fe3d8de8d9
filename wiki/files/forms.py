from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, IntegerField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, NumberRange


class UploadForm(FlaskForm):
    # CSRFProtect checks every POST before the view runs, from the form field or the
    # X-CSRFToken header the paste script sends; a second check here would refuse the header.
    class Meta:
        csrf = False

    file = FileField("File", validators=[FileRequired("Choose a file to upload.")])
    name = StringField("Save as", validators=[Length(max=1000)])
    unique = BooleanField("Keep existing files (pick a new name instead of a new version)")
    submit = SubmitField("Upload")


class RestoreForm(FlaskForm):
    name = HiddenField(validators=[InputRequired(), Length(max=255)])
    version = IntegerField(validators=[InputRequired(), NumberRange(min=1, max=10**9)])
