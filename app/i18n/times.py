"""Times in the reader's words and time zone: "3 minutes ago", and the exact
time in their zone, with the UTC value kept in <time datetime>.

Babel's formatting costs tens of microseconds a call, and a page of posts
makes dozens, so what it says is cached per process: a time in words by
(language, unit, count), and the whole <time> by (minute, language, zone, words).
"""

import time
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from babel import Locale
from babel.dates import format_date, format_time, format_timedelta
from jinja2 import pass_context
from markupsafe import Markup, escape

from . import Reader, reader

UNITS = (("day", 86400), ("hour", 3600), ("minute", 60))
# Past this, a date says more than "5 weeks ago".
AS_A_DATE = timedelta(days=31).total_seconds()

# Times as seconds since the epoch: a subtraction, where making the naive
# datetimes that SQLite hands back aware would cost a microsecond each.
EPOCH = datetime(1970, 1, 1)
EPOCH_UTC = EPOCH.replace(tzinfo=UTC)


@lru_cache(maxsize=1024)
def _ago(locale: str, unit: str, count: int) -> str:
    return format_timedelta(
        timedelta(seconds=-count * dict(UNITS)[unit]),
        granularity=unit,
        threshold=1000,  # "36 hours ago" stays hours, as the unit chosen says
        add_direction=True,
        locale=locale,
    )


@lru_cache(maxsize=4096)
def _date(minute: int, locale: str, zone) -> str:
    return format_date(datetime.fromtimestamp(minute * 60, zone), format="medium", locale=locale)


def _exact(moment: datetime, locale: str, zone) -> str:
    """The medium date and short time in the reader's way ("30.11.2026, 10:30"),
    and the zone's name."""
    local = moment.astimezone(zone)
    pattern = Locale.parse(locale).datetime_formats["medium"]
    when = pattern.format(
        format_time(local, "short", locale=locale), format_date(local, "medium", locale=locale)
    )
    return f"{when} {local.tzname()}"


def timeago(moment: datetime, now: datetime | None = None) -> str:
    """How long ago ``moment`` was, in words; past a month, its date."""
    return _words(_seconds(moment), reader(), now and _seconds(now))


def _seconds(moment: datetime) -> float:
    return (moment - (EPOCH if moment.tzinfo is None else EPOCH_UTC)).total_seconds()


def _words(moment: float, found: Reader, now: float | None = None) -> str:
    seconds = (now or time.time()) - moment
    if seconds < 60:
        return found.translations.gettext("just now")
    if seconds >= AS_A_DATE:
        return _date(int(moment // 60), found.locale, found.zone)
    for unit, size in UNITS:
        if seconds >= size:
            return _ago(found.locale, unit, int(seconds // size))


@pass_context
def time_tag(context, moment: datetime) -> Markup:
    """A <time> element: how long ago in words, the exact time in the reader's
    zone as its tooltip, and the UTC time as its machine-readable value."""
    # The page's reader from its context: a page of posts has dozens of
    # times, and the context is nearer than the request's globals.
    found = context.get("page_reader") or reader()
    seconds = _seconds(moment)
    return _tag(int(seconds // 60), found.locale, found.zone, _words(seconds, found))


@lru_cache(maxsize=16384)
def _tag(minute: int, locale: str, zone, words: str) -> Markup:
    at = datetime.fromtimestamp(minute * 60, UTC)
    exact = _exact(at, locale, zone)
    return Markup(
        f'<time datetime="{at.isoformat()[:16]}Z" title="{escape(exact)}">{escape(words)}</time>'
    )


def init_app(app) -> None:
    app.add_template_filter(timeago)
    app.add_template_filter(time_tag)
