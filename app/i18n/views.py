"""Choosing the language from the footer, signed in or not."""

from flask import Blueprint, current_app, flash, redirect, url_for
from flask_login import current_user

from ..extensions import db
from ..models import User
from ..urls import safe_next
from . import LOCALE_COOKIE, LOCALE_COOKIE_SECONDS, languages
from . import gettext as _
from .forms import LanguageForm

bp = Blueprint("i18n", __name__)


@bp.route("/language", methods=["POST"])
def choose_language():
    """Keep the chosen language in a cookie and, when signed in, with the
    account; then back to the page the menu was on."""
    form = LanguageForm()
    back = safe_next(form.next.data) or url_for("main.index")
    # CSRFProtect has checked the token before this view.
    if form.locale.data not in languages():
        flash(_("That language is not one this site speaks."), "error")
        return redirect(back)
    response = redirect(back)
    response.set_cookie(
        LOCALE_COOKIE,
        form.locale.data,
        max_age=LOCALE_COOKIE_SECONDS,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )
    if current_user.is_authenticated:
        db.session.get(User, current_user.id).locale = form.locale.data
        db.session.commit()
    return response
