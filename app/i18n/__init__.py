"""The reader's language and time zone.

Flask-Babel translates; this package chooses the language (the account's
choice, else the ``locale`` cookie, else the browser's Accept-Language among
LANGUAGES, else English) and the time zone (the account's, else UTC), and
says times in the reader's words (``times.py``). ``views.py`` serves the
footer's language menu.
"""

from datetime import tzinfo
from functools import cache, lru_cache
from typing import NamedTuple

import flask_babel
import pytz
from babel import Locale
from babel.support import NullTranslations
from flask import current_app, g, has_request_context, request
from flask_babel import force_locale, get_translations
from flask_babel.speaklater import LazyString
from flask_login import current_user
from markupsafe import Markup
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

# The zones a person can choose: the tz database's current ones, which
# pytz (Flask-Babel's) knows by these names.
TIMEZONES = frozenset(pytz.common_timezones)
DEFAULT_TIMEZONE = "UTC"
LOCALE_COOKIE = "locale"
LOCALE_COOKIE_SECONDS = 365 * 24 * 3600


def languages() -> list[str]:
    return current_app.config["LANGUAGES"]


@lru_cache(maxsize=256)
def best_match(header: str, shipped: tuple[str, ...]) -> str:
    """The shipped language an Accept-Language header prefers: browsers send
    few distinct headers, and parsing one costs more than the rest of the
    choice."""
    return parse_accept_header(header, LanguageAccept).best_match(shipped, default=shipped[0])


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
    """This request's language, time zone and catalog, chosen once: a page
    says dozens of messages and times. Flask-Babel asks for them here too
    (``init_app``), so a message it says is in the same language."""
    try:
        return g._reader
    except AttributeError:
        g._reader = found = choose()
        return found
    except RuntimeError:  # no app context: a fetch or a model used on its own
        return Reader("en", pytz.utc, NullTranslations())


def choose() -> Reader:
    """The account's language, else the footer's (the cookie), else the
    browser's best among the shipped ones, else the first; the account's
    zone, else UTC."""
    app = current_app._get_current_object()
    shipped = app.config["LANGUAGES"]
    if not has_request_context():  # a command, or a fetch in an app context
        return Reader(shipped[0], pytz.utc, catalog(app, shipped[0]))
    user = current_user._get_current_object()
    code = getattr(user, "locale", None)
    if code not in shipped:
        code = request.cookies.get(LOCALE_COOKIE)
        if code not in shipped:
            header = request.environ.get("HTTP_ACCEPT_LANGUAGE", "")
            code = best_match(header, tuple(shipped))
    return Reader(code, zone(getattr(user, "timezone", None)), catalog(app, code))


@cache
def zone(name: str | None) -> tzinfo:
    return pytz.timezone(name) if name else pytz.utc


def catalog(app, code: str) -> NullTranslations:
    """A language's messages, loaded by Flask-Babel once per app: it would
    otherwise parse the language's name (and stat its locale data) again
    for each request."""
    catalogs = app.extensions["i18n.catalogs"]
    try:
        return catalogs[code]
    except KeyError:
        with force_locale(code):
            found = catalogs[code] = get_translations()
        return found


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
    """What every template needs for <html lang dir> and the language menu,
    which sends the reader back to this page."""
    found = reader()
    return {
        "page_locale": found.locale.replace("_", "-"),
        "page_dir": text_direction(found.locale),
        "language_choices": language_choices(tuple(languages())),
        "current_language": found.locale,
        "page_reader": found,
        "this_page": request.script_root + request.full_path.rstrip("?")
        if has_request_context()
        else None,
    }


@cache
def language_choices(codes: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(code, language_name(code)) for code in codes]


def init_app(app) -> None:
    # Imported here: the extensions' modules import this one for gettext.
    from ..extensions import babel

    babel.init_app(
        app,
        locale_selector=lambda: reader().locale,
        timezone_selector=lambda: reader().zone,
    )
    app.extensions["i18n.catalogs"] = {}
    # Jinja's "new style" gettext: the values escaped, then put in.
    app.jinja_env.globals.update(gettext=template_gettext, _=template_gettext,
                                 ngettext=template_ngettext)  # fmt: skip
    app.jinja_env.newstyle_gettext = True
    app.context_processor(page_language)
    from . import times
    from .views import bp

    times.init_app(app)
    app.register_blueprint(bp)
