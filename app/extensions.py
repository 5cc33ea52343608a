"""The extensions every part of the app uses, made here and bound to an app
by ``create_app`` (Flask's application factory pattern): blueprints import
them from here, never from the package that makes the app."""

import sqlalchemy as sa
from flask import has_app_context
from flask_babel import Babel, lazy_gettext
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase

from .auth.openid.consumer import SafeOpenID
from .auth.reauth import PAPEAnswer
from .database import Session
from .ratelimit import RateLimit


class Base(DeclarativeBase):
    # Named constraints, so migrations can find them again on every database.
    metadata = sa.MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


db = SQLAlchemy(model_class=Base, session_options={"class_": Session})
# The reader's language and time zone are chosen in app/i18n/.
babel = Babel()
login = LoginManager()
csrf = CSRFProtect()
# Limits on starting sign-ins and on posting, counted by the views that act.
ratelimit = RateLimit()
# Flask-OpenID, with the redirect after sign-in kept on this site and every
# failure turned into a message (see auth/openid/consumer.py); PAPE's answer
# read for reauthentication.
oid = SafeOpenID(extension_responses=[PAPEAnswer])

login.login_view = "auth.login"
login.login_message = lazy_gettext("Please sign in to see this page.")
login.login_message_category = "info"


def autocommit() -> sa.Connection:
    """A connection of the app's engine on which each statement commits by itself."""
    return db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")


def end_idle_transaction() -> None:
    """Give the request's database connection back to the pool while it waits
    on another host, unless its session holds changes not yet written.

    A sign-in can wait seconds on a provider; holding a pooled connection (and
    on PostgreSQL an open transaction) meanwhile would let enough slow
    sign-ins empty the pool for everyone.
    """
    if not has_app_context():
        return
    session = db.session()  # the request's own Session, not the scoped proxy
    if session.in_transaction() and not (session.new or session.dirty or session.deleted):
        session.rollback()
