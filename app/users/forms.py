from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from ..auth.accounts import clean_nickname
from ..forms import no_control_characters, strip_whitespace
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..models import ABOUT_ME_MAX_LENGTH, NICKNAME_MAX_LENGTH


class EditProfileForm(FlaskForm):
    nickname = StringField(
        _l("Nickname"),
        filters=[strip_whitespace],
        validators=[
            DataRequired(_l("A nickname is needed.")),
            Length(
                max=NICKNAME_MAX_LENGTH,
                message=_l("A nickname can be at most %(max)d characters."),
            ),
        ],
        render_kw={"autocomplete": "nickname", "spellcheck": "false"},
    )
    about_me = TextAreaField(
        _l("About me"),
        filters=[strip_whitespace],
        validators=[
            Length(
                max=ABOUT_ME_MAX_LENGTH,
                message=_l("About me can be at most %(max)d characters."),
            ),
            no_control_characters(_l("About me cannot contain control characters.")),
        ],
        render_kw={"rows": 3},
    )
    submit = SubmitField(_l("Save"))

    def validate_nickname(self, field):
        # The rules of a nickname made at sign-up (auth/accounts.py), said
        # rather than applied behind the person's back.
        cleaned = clean_nickname(field.data)
        if cleaned != field.data:
            if cleaned:
                raise ValidationError(
                    _(
                        "A nickname can have only letters, digits, _, . and -, and starts and "
                        "ends with a letter or digit (for example %(suggestion)s).",
                        suggestion=cleaned,
                    )
                )
            raise ValidationError(
                _(
                    "A nickname can have only letters, digits, _, . and -, and starts and "
                    "ends with a letter or digit."
                )
            )
