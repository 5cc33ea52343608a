"""Times in the reader's words and time zone: "3 minutes ago", and the exact
time in their zone, with the UTC value kept in <time datetime>.

Babel's formatting costs tens of microseconds a call, and a page of posts
makes dozens, so what it says is cached per process: a time in words by
(language, unit, count), and the whole <time> by (minute, language, zone, words).
"""

from datetime import UTC, datetime, timedelta
from functools import lru_cache

from babel import Locale
from babel.dates import format_date, format_time, format_timedelta
from markupsafe import Markup, escape

from ..models.clock import as_utc
from . import Reader, reader

UNITS = (("day", 86400), ("hour", 3600), ("minute", 60))
# Past this, a date says more than "5 weeks ago".
AS_A_DATE = timedelta(days=31)


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
def _date(moment: datetime, locale: str, zone) -> str:
    return format_date(moment.astimezone(zone), format="medium", locale=locale)


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
    return _words(as_utc(moment), reader(), now)


def _words(moment: datetime, found: Reader, now: datetime | None = None) -> str:
    seconds = ((now or datetime.now(UTC)) - moment).total_seconds()
    if seconds < 60:
        return found.translations.gettext("just now")
    if seconds >= AS_A_DATE.total_seconds():
        return _date(moment, found.locale, found.zone)
    for unit, size in UNITS:
        if seconds >= size:
            return _ago(found.locale, unit, int(seconds // size))


def time_tag(moment: datetime) -> Markup:
    """A <time> element: how long ago in words, the exact time in the reader's
    zone as its tooltip, and the UTC time as its machine-readable value."""
    moment = as_utc(moment)
    found = reader()
    minute = moment.replace(second=0, microsecond=0)
    return _tag(minute, found.locale, found.zone, _words(moment, found))


@lru_cache(maxsize=16384)
def _tag(minute: datetime, locale: str, zone, words: str) -> Markup:
    exact = _exact(minute, locale, zone)
    return Markup(
        f'<time datetime="{minute.isoformat()[:16]}Z" title="{escape(exact)}">'
        f"{escape(words)}</time>"
    )


def init_app(app) -> None:
    app.add_template_filter(timeago)
    app.add_template_filter(time_tag)
