from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, ValidationError

from ..forms import no_control_characters, strip_whitespace
from ..i18n import TIMEZONES
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..models import PASSKEY_NAME_MAX_LENGTH


class PreferencesForm(FlaskForm):
    """The language and time zone of every page; the choices are set per
    request (the languages from config, the zones from the tz database)."""

    locale = SelectField(
        _l("Language"),
        validate_choice=False,  # checked below, with a sentence of ours
    )
    timezone = SelectField(_l("Time zone"), validate_choice=False)
    submit = SubmitField(_l("Save"))

    def validate_locale(self, field):
        if field.data and field.data not in dict(self.locale.choices):
            raise ValidationError(_("That language is not one this site speaks."))

    def validate_timezone(self, field):
        if field.data not in TIMEZONES:
            raise ValidationError(_("That is not a time zone this site knows."))


class DeleteAccountForm(FlaskForm):
    """Deleting asks for the nickname, so one stray click cannot do it."""

    nickname = StringField(
        _l("Type your nickname to confirm"),
        filters=[strip_whitespace],
        validators=[DataRequired(_l("Type your nickname to confirm."))],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    submit = SubmitField(_l("Delete my account"))

    def __init__(self, nickname: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.expected_nickname = nickname

    def validate_nickname(self, field):
        if field.data != self.expected_nickname:
            raise ValidationError(_("That is not your nickname; nothing was deleted."))


def passkey_name_field() -> StringField:
    return StringField(
        _l("Name"),
        filters=[strip_whitespace],
        validators=[
            DataRequired(_l("Name the passkey, e.g. after the device it is on.")),
            Length(
                max=PASSKEY_NAME_MAX_LENGTH,
                message=_l("A passkey's name can be at most %(max)d characters."),
            ),
            no_control_characters(_l("A passkey's name cannot contain control characters.")),
        ],
        render_kw={"autocomplete": "off", "placeholder": _l("laptop")},
    )


class PasskeyNameForm(FlaskForm):
    """Adding a passkey starts with its name; renaming changes it."""

    name = passkey_name_field()
    submit = SubmitField(_l("Add a passkey"))


class NewPasskeyForm(FlaskForm):
    """The passkey the browser made, with the name chosen for it."""

    name = passkey_name_field()
    # The browser's answer, as JSON; filled in by static/passkeys.js.
    credential = HiddenField()
