"""The reader's language and time zone.

Flask-Babel translates; this package chooses the language (the account's
choice, else the ``locale`` cookie, else the browser's Accept-Language among
LANGUAGES, else English) and the time zone (the account's, else UTC), and
says times in the reader's words (``times.py``). ``views.py`` serves the
footer's language menu.
"""

from functools import cache

import pytz
from babel import Locale
from flask import current_app, has_request_context, request
from flask_babel import get_locale
from flask_login import current_user

from ..extensions import babel

# The zones a person can choose: the tz database's current ones, which
# pytz (Flask-Babel's) knows by these names.
TIMEZONES = frozenset(pytz.common_timezones)
DEFAULT_TIMEZONE = "UTC"
LOCALE_COOKIE = "locale"
LOCALE_COOKIE_SECONDS = 365 * 24 * 3600


def languages() -> list[str]:
    return current_app.config["LANGUAGES"]


def select_locale() -> str:
    if not has_request_context():  # a command, or a fetch in an app context
        return languages()[0]
    chosen = getattr(current_user, "locale", None)
    if chosen in languages():
        return chosen
    chosen = request.cookies.get(LOCALE_COOKIE)
    if chosen in languages():
        return chosen
    return request.accept_languages.best_match(languages(), default=languages()[0])


def select_timezone() -> str | None:
    return getattr(current_user, "timezone", None) if has_request_context() else None


@cache
def language_name(code: str) -> str:
    """A language's name in that language ("Deutsch", "Español", "العربية")."""
    name = Locale.parse(code).get_display_name(code)
    return name[:1].upper() + name[1:]


@cache
def timezone_choices() -> list[tuple[str, str]]:
    return [(zone, zone.replace("_", " ")) for zone in sorted(TIMEZONES)]


@cache
def text_direction(code: str) -> str:
    return Locale.parse(code).text_direction


def page_language() -> dict:
    """What every template needs for <html lang dir> and the language menu."""
    locale = str(get_locale())
    return {
        "page_locale": locale.replace("_", "-"),
        "page_dir": text_direction(locale),
        "language_choices": [(code, language_name(code)) for code in languages()],
        "current_language": locale,
    }


def init_app(app) -> None:
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.context_processor(page_language)
    from . import times
    from .views import bp

    times.init_app(app)
    app.register_blueprint(bp)
