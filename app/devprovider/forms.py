from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, StringField, SubmitField
from wtforms.validators import DataRequired, Optional, Regexp


class ApproveForm(FlaskForm):
    # The relying party's request, carried through the page unchanged.
    openid_request = HiddenField()
    username = StringField(
        "Username",
        validators=[
            DataRequired("Choose a username."),
            Regexp(r"^[A-Za-z0-9_.-]{1,64}$", message="Use letters, digits, _ . and - only."),
        ],
    )
    email = EmailField(
        "Email (optional)",
        validators=[
            Optional(),
            Regexp(
                r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message="Enter an email address, or leave it empty."
            ),
        ],
    )
    approve = SubmitField("Approve")
    cancel = SubmitField("Cancel")
