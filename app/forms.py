"""Form pieces shared by the blueprints, and the templates' CSRF token."""

import hashlib
import os
from functools import cache

from flask import Flask, current_app, g, session
from flask_wtf import FlaskForm
from wtforms import SubmitField
from wtforms.validators import ValidationError

from .i18n import lazy_gettext as _l
from .security import KeptSignerSerializer


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


# Flask-WTF's salt for its tokens, with which its validate_csrf checks them.
CSRF_SALT = "wtf-csrf-token"


def csrf_token() -> str:
    """This request's CSRF token, as Flask-WTF's ``generate_csrf`` makes it: a
    random value kept in the session, signed with WTF_CSRF_SECRET_KEY (else
    SECRET_KEY) and Flask-WTF's salt, which its ``validate_csrf`` checks; and
    kept in ``g`` where Flask-WTF looks first, so a form made later in the
    request has the same. But signed by a serializer kept for the key, where
    Flask-WTF makes one (and derives its key) for each token: 20 µs a page.
    The field is the default ``csrf_token``, as the templates name it."""
    if (token := g.get("csrf_token")) is None:
        raw = session.get("csrf_token")
        if not isinstance(raw, str):
            raw = session["csrf_token"] = hashlib.sha1(os.urandom(64)).hexdigest()
        key = current_app.config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
        g.csrf_token = token = csrf_serializer(key).dumps(raw)
    return token


@cache
def csrf_serializer(key: str | bytes) -> KeptSignerSerializer:
    return KeptSignerSerializer(key, salt=CSRF_SALT)


def init_app(app: Flask) -> None:
    # Flask-WTF gives templates generate_csrf twice: as a global, and from a
    # context processor, which wins and runs on every render.
    processors = app.template_context_processors[None]
    processors[:] = [p for p in processors if p.__module__ != "flask_wtf.csrf"]
    app.jinja_env.globals["csrf_token"] = csrf_token


class EmptyForm(FlaskForm):
    """A form with nothing but the CSRF token, for POST-only buttons."""

    submit = SubmitField(_l("Submit"))
