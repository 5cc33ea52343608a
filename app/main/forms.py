from flask_wtf import FlaskForm
from wtforms import HiddenField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..forms import no_control_characters, strip_whitespace
from ..models import POST_MAX_LENGTH


class PostForm(FlaskForm):
    post = TextAreaField(
        "Say something",
        filters=[strip_whitespace],
        validators=[
            DataRequired("Write something first."),
            Length(
                max=POST_MAX_LENGTH,
                message=f"A post can be at most {POST_MAX_LENGTH} characters.",
            ),
            no_control_characters("A post"),
        ],
        render_kw={"rows": 3},
    )
    submit = SubmitField("Post")


class DeletePostForm(FlaskForm):
    """The button beside a post asks (no ``confirm``); the confirmation page's
    button deletes. ``next`` is where to go afterwards, a path on this site."""

    next = HiddenField()
    confirm = SubmitField("Delete")
