from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, widgets
from wtforms.fields.choices import SelectChoice
from wtforms.validators import URL, DataRequired, Length, Optional, Regexp

from wiki.notify.models import WEBHOOK_EVENTS, WEBHOOK_FORMATS


class WatchForm(FlaskForm):
    subpages = BooleanField("Also its sub-pages")


class SettingsForm(FlaskForm):
    email = StringField(
        "Email address",
        validators=[
            Optional(),
            Length(max=254),
            Regexp(
                r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message="That does not look like an email address."
            ),
        ],
    )
    email_notifications = SelectField(
        "Email me",
        choices=[
            SelectChoice("off", "Never"),
            SelectChoice("each", "For each notification"),
            SelectChoice("daily", "A daily digest"),
        ],
        default="off",
    )
    auto_watch = BooleanField("Watch pages I edit or discuss", default=True)


class CheckboxesField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class WebhookForm(FlaskForm):
    url = StringField(
        "URL",
        validators=[
            DataRequired(),
            Length(max=2000),
            URL(require_tld=False, message="Enter an http:// or https:// URL."),
        ],
    )
    events = CheckboxesField(
        "Events",
        choices=[SelectChoice(e, e) for e in WEBHOOK_EVENTS],
        validators=[DataRequired("Pick at least one event.")],
    )
    secret = StringField("Secret (signs each body with HMAC-SHA256)", validators=[Length(max=200)])
    format = SelectField(
        "Format", choices=[SelectChoice(f, f) for f in WEBHOOK_FORMATS], default="json"
    )
