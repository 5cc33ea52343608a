from flask_wtf import FlaskForm
from wtforms import HiddenField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..forms import no_control_characters, strip_whitespace
from ..i18n import lazy_gettext as _l
from ..models import POST_MAX_LENGTH


class PostForm(FlaskForm):
    post = TextAreaField(
        _l("Say something"),
        filters=[strip_whitespace],
        validators=[
            DataRequired(_l("Write something first.")),
            Length(
                max=POST_MAX_LENGTH,
                message=_l("A post can be at most %(max)d characters."),
            ),
            no_control_characters(_l("A post cannot contain control characters.")),
        ],
        render_kw={"rows": 3},
    )
    submit = SubmitField(_l("Post"))


class DeletePostForm(FlaskForm):
    """The button beside a post asks (no ``confirm``); the confirmation page's
    button deletes. ``next`` is where to go afterwards, a path on this site."""

    next = HiddenField()
    confirm = SubmitField(_l("Delete"))
