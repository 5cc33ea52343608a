"""Where an account is signed in: one row per sign-in, until it ends."""

import logging
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import autocommit, db, login
from ..i18n import gettext
from .clock import as_utc, now_utc
from .identity import WayIn
from .user import LAST_SEEN_INTERVAL, SignedInUser, User

DEVICE_MAX_LENGTH = 64
KEY_MAX_LENGTH = 64

log = logging.getLogger(__name__)


class LiveSession(WayIn, db.Model):
    """A signed-in browser. Its session and remember cookies carry a random
    key; only a keyed hash of it (HMAC-SHA256 with SECRET_KEY) is stored, so
    a copy of the database signs no one in. Deleting the row ends the
    session, remember cookie included, at its next request."""

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[bytes] = mapped_column(sa.LargeBinary(32), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey(User.id, ondelete="CASCADE"), index=True)
    # The browser's and system's names ("Chromium", "Linux") from the
    # User-Agent, none when unknown; put in words in the reader's language.
    browser: Mapped[str | None] = mapped_column(sa.String(DEVICE_MAX_LENGTH))
    system: Mapped[str | None] = mapped_column(sa.String(DEVICE_MAX_LENGTH))
    address: Mapped[str | None] = mapped_column(sa.String(64))
    # Sessions end SESSION_MAX_AGE after this, whatever their cookies say.
    created: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=now_utc, index=True
    )
    # Written by the user loader at most once every LAST_SEEN_INTERVAL.
    last_seen: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=now_utc)
    remembered: Mapped[bool] = mapped_column(default=False)
    # A session begun by an OpenID Connect provider: its issuer, subject and
    # session id (``sid``), which its back-channel logout names, and the ID
    # token, the hint its logout endpoint asks for (kept here, never in a cookie).
    oidc_issuer: Mapped[str | None] = mapped_column(sa.String(255))
    oidc_subject: Mapped[str | None] = mapped_column(sa.String(255))
    oidc_sid: Mapped[str | None] = mapped_column(sa.String(255))
    id_token: Mapped[str | None] = mapped_column(sa.Text)

    # Leading with sid and subject: the naming convention names an index by
    # its first column.
    __table_args__ = (
        sa.Index(None, "oidc_sid", "oidc_issuer"),
        sa.Index(None, "oidc_subject", "oidc_issuer"),
    )

    @property
    def device(self) -> str:
        """The browser and system in words: "Chromium on Linux"."""
        if self.browser and self.system:
            return gettext("%(browser)s on %(system)s", browser=self.browser, system=self.system)
        if self.browser:
            return self.browser
        if self.system:
            return gettext("An unknown browser on %(system)s", system=self.system)
        return gettext("An unknown browser")

    def __repr__(self) -> str:
        return f"<LiveSession {self.id} of {self.user_id}>"


_user, _live = User.__table__, LiveSession.__table__
# One statement per request: the session, its account, and whether both
# still hold. Core columns, not User.id...: the ORM would add its own work.
SIGNED_IN_USER = (
    sa.select(
        _user.c.id,
        _user.c.nickname,
        _user.c.locale,
        _user.c.timezone,
        _live.c.id.label("session_id"),
        _live.c.last_seen,
    )
    .join_from(_live, _user, _live.c.user_id == _user.c.id)
    .where(
        _live.c.key_hash == sa.bindparam("key_hash"),
        _live.c.created >= sa.bindparam("oldest"),
        _user.c.active,
    )
)
SEEN_USER = (
    sa.update(_user)
    .where(_user.c.id == sa.bindparam("user_id"))
    .values(last_seen=sa.bindparam("now"))
)
SEEN_SESSION = (
    sa.update(_live)
    .where(_live.c.id == sa.bindparam("session_id"))
    .values(last_seen=sa.bindparam("now"))
)


@login.user_loader
def load_user(key: str) -> SignedInUser | None:
    """Return who a session or remember cookie's key signs in; None for a key
    that is malformed, or of an ended or expired session, or of a disabled
    account.

    Flask-Login checks ``is_active`` only at ``login_user``; checking it here,
    on every request, ends a disabled account's sessions and remember cookies
    at once.
    """
    from ..auth.sessions import key_hash, max_age

    if not isinstance(key, str) or not 0 < len(key) <= KEY_MAX_LENGTH:
        return None
    now = now_utc()
    params = {"key_hash": key_hash(key), "oldest": now - max_age()}
    row = db.session().read(SIGNED_IN_USER, params).first()
    if row is None:
        return None
    if now - as_utc(row.last_seen) > LAST_SEEN_INTERVAL:
        record_seen(row.id, row.session_id, now)
    return SignedInUser(row.id, row.nickname, key, row.session_id, row.locale, row.timezone)


def record_seen(user_id: int, session_id: int, now: datetime) -> None:
    """Write when the account and this session were last seen, in a commit of
    their own, so the page's own transaction stays as it was. A page that
    only reads is not refused because this write could not be made."""
    try:
        with autocommit() as connection:
            connection.execute(SEEN_USER, {"user_id": user_id, "now": now})
            connection.execute(SEEN_SESSION, {"session_id": session_id, "now": now})
    except SQLAlchemyError:
        log.warning("could not record when account %s was last seen", user_id, exc_info=True)
