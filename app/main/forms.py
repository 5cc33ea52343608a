from flask_wtf import FlaskForm
from wtforms import SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from ..forms import strip_whitespace
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
        ],
        render_kw={"rows": 3},
    )
    submit = SubmitField("Post")

    def validate_post(self, field):
        # NUL and other control characters are never meant, and PostgreSQL
        # refuses NUL in text; newlines and tabs are kept.
        if any(ord(c) < 0x20 and c not in "\t\n\r" or ord(c) == 0x7F for c in field.data):
            raise ValidationError("A post cannot contain control characters.")
