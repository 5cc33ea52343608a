"""Form pieces shared by the blueprints, and the templates' CSRF token."""

from functools import cache

from flask import Flask, g
from flask_wtf import FlaskForm
from flask_wtf.csrf import generate_csrf
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


@cache
def blank(form_class: type[FlaskForm]) -> FlaskForm:
    """A ``form_class`` form with nothing in it, to show on a page that is not
    its submit: made once, as making one (each field bound, a CSRF token)
    was a tenth of the signed-in page. Shared by every request, so only
    shown, never validated or given data; a submit makes its own form. The
    page's token comes from ``csrf_token()``, as in every template here."""
    return form_class(formdata=None, meta={"csrf": False})


def csrf_token() -> str:
    """Flask-WTF's CSRF token for this request, as its ``csrf_token()``
    template global gives it, found where Flask-WTF keeps it once made: its
    ``generate_csrf`` reads the config three times on every call, and a page
    of posts asks for the token once for each of its delete buttons."""
    return g.get("csrf_token") or generate_csrf()


def init_app(app: Flask) -> None:
    # Flask-WTF gives templates generate_csrf twice: as a global, and from a
    # context processor, which wins and runs on every render.
    processors = app.template_context_processors[None]
    processors[:] = [p for p in processors if p.__module__ != "flask_wtf.csrf"]
    app.jinja_env.globals["csrf_token"] = csrf_token


class EmptyForm(FlaskForm):
    """A form with nothing but the CSRF token, for POST-only buttons."""

    submit = SubmitField(_l("Submit"))
