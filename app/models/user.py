"""The account, and who is signed in: the user loader reads one row per request."""

import logging
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import autocommit, db, login
from .clock import as_utc, now_utc

if TYPE_CHECKING:  # relationships name them; they import this module
    from .identity import Identity, Passkey, SignIn
    from .post import Post

NICKNAME_MAX_LENGTH = 64
ABOUT_ME_MAX_LENGTH = 140
SESSION_TOKEN_MAX_LENGTH = 64
# How stale "last seen" may be: writing it on every request would make every
# page a write.
LAST_SEEN_INTERVAL = timedelta(minutes=5)

log = logging.getLogger(__name__)


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


class User(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    nickname: Mapped[str] = mapped_column(sa.String(NICKNAME_MAX_LENGTH), unique=True)
    # Shown to nobody and never used to find an account: any provider can
    # assert any email.
    email: Mapped[str | None] = mapped_column(sa.String(254))
    created: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=now_utc)
    about_me: Mapped[str | None] = mapped_column(sa.String(ABOUT_ME_MAX_LENGTH))
    # Written by the user loader at most once every LAST_SEEN_INTERVAL.
    last_seen: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # The WebAuthn user handle: random, so a passkey tells no one the
    # account's id; made with the account's first passkey.
    webauthn_handle: Mapped[bytes | None] = mapped_column(
        sa.LargeBinary(64), unique=True, index=True
    )
    # A disabled account cannot sign in and loses any live session.
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    # What sessions and remember cookies hold instead of the id (Flask-Login's
    # alternative token): a new one signs the account out everywhere.
    session_token: Mapped[str] = mapped_column(
        sa.String(SESSION_TOKEN_MAX_LENGTH), unique=True, default=new_session_token
    )

    identities: Mapped[list["Identity"]] = relationship(
        back_populates="user",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Identity.id",
    )
    passkeys: Mapped[list["Passkey"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="Passkey.id"
    )
    sign_ins: Mapped[list["SignIn"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="SignIn.at.desc()"
    )
    posts: Mapped[list["Post"]] = relationship(
        back_populates="author", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return self.session_token

    def sign_out_everywhere(self) -> None:
        """End every session and remember cookie of this account."""
        self.session_token = new_session_token()

    def __repr__(self) -> str:
        return f"<User {self.nickname}>"


class SignedInUser(UserMixin):
    """Who is signed in, as every request sees them through ``current_user``.

    Read as one plain row rather than a User object: the ORM's object
    bookkeeping was a fifth of a signed-in page's time. Views that change the
    account load the User by ``id``. Right after sign-in, within the same
    request, ``current_user`` is the User itself; both have what pages use.
    """

    __slots__ = ("id", "nickname", "session_token")

    def __init__(self, id: int, nickname: str, session_token: str):
        self.id = id
        self.nickname = nickname
        self.session_token = session_token

    def get_id(self) -> str:
        return self.session_token

    def __repr__(self) -> str:
        return f"<SignedInUser {self.nickname}>"


_user_table = User.__table__
# Core columns, not User.id...: the ORM would add its own work to each query.
SIGNED_IN_USER = sa.select(_user_table.c.id, _user_table.c.nickname, _user_table.c.last_seen).where(
    _user_table.c.session_token == sa.bindparam("token"), _user_table.c.active
)
SEEN = (
    sa.update(_user_table)
    .where(_user_table.c.id == sa.bindparam("user_id"))
    .values(last_seen=sa.bindparam("now"))
)


@login.user_loader
def load_user(token: str) -> SignedInUser | None:
    """Return the user whose session token a session or remember cookie holds;
    None for a token that is malformed, rotated, or of a deleted or disabled
    account.

    Flask-Login checks ``is_active`` only at ``login_user``; checking it here,
    on every request, ends a disabled account's sessions and remember cookies
    at once.
    """
    if not isinstance(token, str) or not 0 < len(token) <= SESSION_TOKEN_MAX_LENGTH:
        return None
    row = db.session.execute(SIGNED_IN_USER, {"token": token}).first()
    if row is None:
        return None
    now = now_utc()
    if row.last_seen is None or now - as_utc(row.last_seen) > LAST_SEEN_INTERVAL:
        record_seen(row.id, now)
    return SignedInUser(row.id, row.nickname, token)


def record_seen(user_id: int, now: datetime) -> None:
    """Write when the account was last seen, in a commit of its own, so the
    page's own transaction stays as it was. A page that only reads is not
    refused because this write could not be made."""
    try:
        with autocommit() as connection:
            connection.execute(SEEN, {"user_id": user_id, "now": now})
    except SQLAlchemyError:
        log.warning("could not record when account %s was last seen", user_id, exc_info=True)
