from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from wiki.tokens.service import DEFAULT_EXPIRES_DAYS, MAX_EXPIRES_DAYS, MAX_NAME


class TokenForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=MAX_NAME)])
    scope = SelectField(
        "Scope",
        choices=[
            SelectChoice("read", "read: read pages, history and search"),
            SelectChoice("write", "write: also save pages"),
        ],
        default="read",
    )
    expires_days = IntegerField(
        "Expires after (days)",
        validators=[Optional(), NumberRange(min=1, max=MAX_EXPIRES_DAYS)],
        description=f"Empty: {DEFAULT_EXPIRES_DAYS} days.",
    )
