"""The footer's language menu."""

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, SubmitField

from . import lazy_gettext as _l


class LanguageForm(FlaskForm):
    # Each language is named in its own language, so the menu reads to
    # someone who cannot read the page's.
    locale = SelectField(_l("Language"), validate_choice=False)
    next = HiddenField()
    submit = SubmitField(_l("Change language"))
