from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from ..auth.accounts import clean_nickname
from ..forms import no_control_characters, strip_whitespace
from ..models import ABOUT_ME_MAX_LENGTH, NICKNAME_MAX_LENGTH


class EditProfileForm(FlaskForm):
    nickname = StringField(
        "Nickname",
        filters=[strip_whitespace],
        validators=[
            DataRequired("A nickname is needed."),
            Length(
                max=NICKNAME_MAX_LENGTH,
                message=f"A nickname can be at most {NICKNAME_MAX_LENGTH} characters.",
            ),
        ],
        render_kw={"autocomplete": "nickname", "spellcheck": "false"},
    )
    about_me = TextAreaField(
        "About me",
        filters=[strip_whitespace],
        validators=[
            Length(
                max=ABOUT_ME_MAX_LENGTH,
                message=f"About me can be at most {ABOUT_ME_MAX_LENGTH} characters.",
            ),
            no_control_characters("About me"),
        ],
        render_kw={"rows": 3},
    )
    submit = SubmitField("Save")

    def validate_nickname(self, field):
        # The rules of a nickname made at sign-up (auth/accounts.py), said
        # rather than applied behind the person's back.
        cleaned = clean_nickname(field.data)
        if cleaned != field.data:
            suggestion = f" (for example {cleaned})" if cleaned else ""
            raise ValidationError(
                "A nickname can have only letters, digits, _, . and -, and starts and ends "
                f"with a letter or digit{suggestion}."
            )
