"""The reader's language and time zone.

Flask-Babel translates; this package chooses the language (the account's
choice, else the ``locale`` cookie, else the browser's Accept-Language among
LANGUAGES, else English) and the time zone (the account's, else UTC), and
says times in the reader's words (``times.py``). ``views.py`` serves the
footer's language menu.
"""

from datetime import tzinfo
from functools import cache
from typing import NamedTuple

import flask_babel
import pytz
from babel import Locale
from babel.support import NullTranslations
from flask import current_app, g, has_request_context, request
from flask_babel import get_locale, get_timezone, get_translations
from flask_babel.speaklater import LazyString
from flask_login import current_user
from markupsafe import Markup

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


# The shipped languages' names in their own language, as Babel gives them
# (tests/test_languages.py checks): asking Babel loads each language's whole
# locale data, megabytes a worker keeps, for a menu of four words.
NAMES = {"en": "English", "de": "Deutsch", "es": "Español", "ar": "العربية"}


@cache
def language_name(code: str) -> str:
    """A language's name in that language ("Deutsch", "Español", "العربية")."""
    if code in NAMES:
        return NAMES[code]
    name = Locale.parse(code).get_display_name(code)
    return name[:1].upper() + name[1:]


@cache
def timezone_choices() -> list[tuple[str, str]]:
    return [(zone, zone.replace("_", " ")) for zone in sorted(TIMEZONES)]


@cache
def text_direction(code: str) -> str:
    return Locale.parse(code).text_direction


class Reader(NamedTuple):
    locale: str
    zone: tzinfo
    translations: NullTranslations


def reader() -> Reader:
    """This request's language, time zone and catalog, looked up once: a page
    says dozens of messages and times, and Flask-Babel finds all three
    afresh for each."""
    try:
        return g._reader
    except AttributeError:
        g._reader = found = Reader(str(get_locale()), get_timezone(), get_translations())
        return found
    except RuntimeError:  # no app context: a fetch or a model used on its own
        return Reader("en", pytz.utc, NullTranslations())


def gettext(string: str, **variables) -> str:
    """Flask-Babel's gettext, with this request's catalog found once."""
    translated = reader().translations.gettext(string)
    return translated % variables if variables else translated


def ngettext(singular: str, plural: str, num: int, **variables) -> str:
    variables.setdefault("num", num)
    return reader().translations.ngettext(singular, plural, num) % variables


def lazy_gettext(string: str, **variables) -> LazyString:
    """A message for import time (a form's label), said when it is shown."""
    return LazyString(gettext, string, **variables)


def fill_in(translated: str, **variables) -> Markup:
    """A template's translated message with its values put in, escaped: the
    catalog's messages are the site's own markup; the values are not."""
    return Markup(translated) % variables


def template_gettext(string: str, **variables) -> Markup:
    # Said per page only where the message is not a constant (templates.py).
    return fill_in(reader().translations.gettext(string), **variables)


def template_ngettext(singular: str, plural: str, num: int, **variables) -> Markup:
    variables.setdefault("num", num)
    return fill_in(reader().translations.ngettext(singular, plural, num), **variables)


def refresh() -> None:
    """Choose the language and zone again, as after the account changed them."""
    flask_babel.refresh()
    g.pop("_reader", None)


def page_language() -> dict:
    """What every template needs for <html lang dir> and the language menu."""
    found = reader()
    return {
        "page_locale": found.locale.replace("_", "-"),
        "page_dir": text_direction(found.locale),
        "language_choices": language_choices(tuple(languages())),
        "current_language": found.locale,
    }


@cache
def language_choices(codes: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(code, language_name(code)) for code in codes]


def init_app(app) -> None:
    # Imported here: the extensions' modules import this one for gettext.
    from ..extensions import babel

    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    # Jinja's "new style" gettext: the values escaped, then put in.
    app.jinja_env.globals.update(gettext=template_gettext, _=template_gettext,
                                 ngettext=template_ngettext)  # fmt: skip
    app.jinja_env.newstyle_gettext = True
    app.context_processor(page_language)
    from . import times
    from .views import bp

    times.init_app(app)
    app.register_blueprint(bp)
