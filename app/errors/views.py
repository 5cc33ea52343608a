"""Error pages in the site's layout, for every HTTP error a visitor can meet."""

import sqlite3

from flask import Blueprint, current_app, g, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError, SecurityError

from ..extensions import db, login
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l

bp = Blueprint("errors", __name__)

# The names of the errors a visitor can meet, as Werkzeug gives them, to be
# translated; any other error keeps Werkzeug's name and description.
NAMES = {
    400: _l("Bad Request"),
    403: _l("Forbidden"),
    404: _l("Not Found"),
    405: _l("Method Not Allowed"),
    413: _l("Request Entity Too Large"),
    429: _l("Too Many Requests"),
    500: _l("Internal Server Error"),
    503: _l("Service Unavailable"),
}
MESSAGES = {
    400: _l("The request could not be understood. Go back and try again."),
    403: _l("You may not do that here."),
    404: _l("There is no page at this address."),
    405: _l("This page cannot be used that way."),
    413: _l("That was more than this site takes at once. Send less and try again."),
    429: _l("You are doing that too often. Wait a minute and try again."),
    500: _l("Something went wrong on our side. It has been logged; please try again later."),
    503: _l("The site is briefly unavailable. Please try again in a minute."),
}
# Seconds after which a 503's cause (a restart, a long write) is likely over.
RETRY_AFTER_SECONDS = 10


def render_error(code: int, name, message, headers=()):
    # Lazy texts become the reader's words here, once.
    name, message = str(name), str(message)
    return (
        render_template("errors/error.html", title=name, code=code, name=name, message=message),
        code,
        headers,
    )


@bp.app_errorhandler(CSRFError)
def csrf_error(error):
    return render_error(
        400,
        _("Form expired"),
        _(
            "The form has expired or was not sent from this site. "
            "Go back, reload the page and try again."
        ),
    )


@bp.app_errorhandler(SecurityError)
def untrusted_host(error):
    # A Host outside TRUSTED_HOSTS: no URL can be built for it, so no layout.
    return (
        _("400 Bad Request: this site is not served under that host name.") + "\n",
        400,
        {"Content-Type": "text/plain; charset=utf-8"},
    )


@bp.app_errorhandler(HTTPException)
def http_error(error):
    if error.code is None or error.code < 400:
        return error
    # Keep what the error says in headers: Retry-After (429), Allow (405).
    headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
    return render_error(
        error.code,
        NAMES.get(error.code, error.name),
        MESSAGES.get(error.code, error.description),
        headers,
    )


@bp.app_errorhandler(InternalServerError)
def internal_error(error):
    # The failed request may have left the session mid-transaction.
    db.session.rollback()
    return render_error(500, NAMES[500], MESSAGES[500])


@bp.app_errorhandler(OperationalError)
@bp.app_errorhandler(InterfaceError)
def database_error(error):
    """A database that is down, restarting or busy gets a 503; the next request
    retries. Other errors of these classes ("no such table") are bugs: 500."""
    try:
        db.session.rollback()
    except Exception:  # the connection is gone; the pool replaces it
        pass
    # The layout asks who is signed in; do not ask the database again.
    g._login_user = login.anonymous_user()
    if not (unreachable(error) or busy(error.orig)):
        current_app.logger.error(
            "Exception on %s [%s]", request.path, request.method, exc_info=error
        )
        return render_error(500, NAMES[500], MESSAGES[500])
    current_app.logger.warning("database unavailable: %s", error.orig or error)
    return render_error(503, NAMES[503], MESSAGES[503], {"Retry-After": str(RETRY_AFTER_SECONDS)})


def unreachable(error) -> bool:
    # A lost connection is flagged invalidated; a refused one fails before
    # any statement.
    return error.connection_invalidated or error.statement is None


def busy(orig) -> bool:
    """Whether another transaction held a lock past the wait allowed for it."""
    if isinstance(orig, sqlite3.Error):
        # SQLITE_BUSY and its extended codes, after SQLITE_BUSY_TIMEOUT.
        return orig.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY
    # PostgreSQL's lock_not_available: a lock_timeout the operator set ran out.
    return getattr(orig, "sqlstate", None) == "55P03"
