from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length


class ThreadForm(FlaskForm):
    subject = StringField(
        "Subject", validators=[DataRequired("Give the thread a subject."), Length(max=200)]
    )
    body = TextAreaField("Comment (Markdown)", validators=[DataRequired("Write something first.")])


class ReplyForm(FlaskForm):
    body = TextAreaField("Reply (Markdown)", validators=[DataRequired("Write something first.")])
