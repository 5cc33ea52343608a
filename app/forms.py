"""Form pieces shared by the blueprints."""

from flask_wtf import FlaskForm
from wtforms import SubmitField
from wtforms.validators import ValidationError

from .i18n import lazy_gettext as _l


def strip_whitespace(value):
    """A WTForms filter: drop the spaces a visitor typed around a value."""
    return value.strip() if isinstance(value, str) else value


def no_control_characters(message):
    """A validator refusing NUL and other control characters, which are never
    meant (and PostgreSQL refuses NUL in text); newlines and tabs are kept.

    ``message`` is the whole sentence said, e.g. ``_l("A post cannot contain
    control characters.")``."""

    def check(form, field):
        if field.data and any(
            ord(c) < 0x20 and c not in "\t\n\r" or ord(c) == 0x7F for c in field.data
        ):
            raise ValidationError(message)

    return check


class EmptyForm(FlaskForm):
    """A form with nothing but the CSRF token, for POST-only buttons."""

    submit = SubmitField(_l("Submit"))
