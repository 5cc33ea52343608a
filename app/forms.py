"""Form pieces shared by the blueprints."""

from flask_wtf import FlaskForm
from wtforms import SubmitField


def strip_whitespace(value):
    """A WTForms filter: drop the spaces a visitor typed around a value."""
    return value.strip() if isinstance(value, str) else value


class EmptyForm(FlaskForm):
    """A form with nothing but the CSRF token, for POST-only buttons."""

    submit = SubmitField("Submit")
