import re
from urllib.parse import urlsplit

from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, ValidationError

from ..forms import strip_whitespace
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l

# XRI i-names (=name, @company) need a resolver on the internet that has been
# gone for years; say so instead of trying.
XRI_PREFIXES = ("=", "@", "+", "$", "!", "(", "xri://")
# "name:" starts a scheme unless a port number follows, as in "example.com:8080".
SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:(?!\d+(/|$))")


class OpenIDIdentifier:
    """A WTForms validator: a web address that can be an OpenID identifier."""

    def __call__(self, form, field):
        value = field.data
        if value.lower().startswith(XRI_PREFIXES):
            raise ValidationError(_("XRI i-names are not supported. Enter a web address."))
        if any(c.isspace() or ord(c) < 0x20 for c in value):
            raise ValidationError(_("An OpenID cannot contain spaces."))
        try:
            parts = urlsplit(value if SCHEME_RE.match(value) else "http://" + value)
        except ValueError:  # an unbalanced [ in an IPv6 host, say
            raise ValidationError(_("That does not look like an OpenID.")) from None
        if parts.scheme.lower() not in ("http", "https"):
            raise ValidationError(_("Only http:// and https:// OpenIDs are supported."))
        try:
            parts.port  # noqa: B018 - raises ValueError for a malformed port
        except ValueError:
            raise ValidationError(_("That OpenID has an invalid port number.")) from None
        host = parts.hostname
        if not host or not (host == "localhost" or "." in host or ":" in host):
            raise ValidationError(
                _(
                    "That does not look like an OpenID. Enter a web address such as "
                    "https://example.com/you."
                )
            )


def openid_field() -> StringField:
    return StringField(
        _l("OpenID"),
        filters=[strip_whitespace],
        validators=[
            DataRequired(_l("Enter your OpenID, or choose a provider below.")),
            Length(max=2000, message=_l("That OpenID is too long.")),
            OpenIDIdentifier(),
        ],
        render_kw={"placeholder": "https://example.com/you", "autocomplete": "url"},
    )


class LoginForm(FlaskForm):
    openid = openid_field()
    remember_me = BooleanField(_l("Remember me"))
    submit = SubmitField(_l("Sign in"))


class LinkOpenIDForm(FlaskForm):
    openid = openid_field()
    submit = SubmitField(_l("Link"))
