"""Choosing the language from the footer, signed in or not."""

from flask import Blueprint, current_app, flash, redirect, request, url_for
from flask_login import current_user

from ..extensions import db
from ..models import User
from ..urls import safe_next
from . import LOCALE_COOKIE, LOCALE_COOKIE_SECONDS, languages
from . import gettext as _

bp = Blueprint("i18n", __name__)


@bp.route("/language", methods=["POST"])
def choose_language():
    """Keep the chosen language in a cookie and, when signed in, with the
    account; then back to the page the menu was on."""
    # CSRFProtect has checked the form's token before this view.
    chosen = request.form.get("locale")
    back = safe_next(request.form.get("next")) or url_for("main.index")
    if chosen not in languages():
        flash(_("That language is not one this site speaks."), "error")
        return redirect(back)
    response = redirect(back)
    response.set_cookie(
        LOCALE_COOKIE,
        chosen,
        max_age=LOCALE_COOKIE_SECONDS,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )
    if current_user.is_authenticated:
        db.session.get(User, current_user.id).locale = chosen
        db.session.commit()
    return response
