from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, ValidationError

from ..forms import no_control_characters, strip_whitespace
from ..models import PASSKEY_NAME_MAX_LENGTH


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


def passkey_name_field() -> StringField:
    return StringField(
        "Name",
        filters=[strip_whitespace],
        validators=[
            DataRequired("Name the passkey, e.g. after the device it is on."),
            Length(
                max=PASSKEY_NAME_MAX_LENGTH,
                message=f"A passkey's name can be at most {PASSKEY_NAME_MAX_LENGTH} characters.",
            ),
            no_control_characters("A passkey's name"),
        ],
        render_kw={"autocomplete": "off", "placeholder": "laptop"},
    )


class PasskeyNameForm(FlaskForm):
    """Adding a passkey starts with its name; renaming changes it."""

    name = passkey_name_field()
    submit = SubmitField("Add a passkey")


class NewPasskeyForm(FlaskForm):
    """The passkey the browser made, with the name chosen for it."""

    name = passkey_name_field()
    # The browser's answer, as JSON; filled in by static/passkeys.js.
    credential = HiddenField()
