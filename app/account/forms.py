from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, ValidationError

from ..forms import strip_whitespace


class DeleteAccountForm(FlaskForm):
    """Deleting asks for the nickname, so one stray click cannot do it."""

    nickname = StringField(
        "Type your nickname to confirm",
        filters=[strip_whitespace],
        validators=[DataRequired("Type your nickname to confirm.")],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    submit = SubmitField("Delete my account")

    def __init__(self, nickname: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.expected_nickname = nickname

    def validate_nickname(self, field):
        if field.data != self.expected_nickname:
            raise ValidationError("That is not your nickname; nothing was deleted.")
