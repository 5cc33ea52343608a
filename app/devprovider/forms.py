from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, StringField, SubmitField
from wtforms.validators import DataRequired, Optional, Regexp

from ..i18n import lazy_gettext as _l


class ApproveForm(FlaskForm):
    # The relying party's request, carried through the page unchanged.
    openid_request = HiddenField()
    username = StringField(
        _l("Username"),
        validators=[
            DataRequired(_l("Choose a username.")),
            Regexp(r"^[A-Za-z0-9_.-]{1,64}$", message=_l("Use letters, digits, _ . and - only.")),
        ],
    )
    email = EmailField(
        _l("Email (optional)"),
        validators=[
            Optional(),
            Regexp(
                r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
                message=_l("Enter an email address, or leave it empty."),
            ),
        ],
    )
    approve = SubmitField(_l("Approve"))
    cancel = SubmitField(_l("Cancel"))
