"""The account, and who is signed in as every request sees them."""

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .clock import now_utc

if TYPE_CHECKING:  # relationships name them; they import this module
    from .identity import Identity, Passkey, SignIn
    from .post import Post

NICKNAME_MAX_LENGTH = 64
ABOUT_ME_MAX_LENGTH = 140
LOCALE_MAX_LENGTH = 16
TIMEZONE_MAX_LENGTH = 64
# How stale "last seen" may be: writing it on every request would make every
# page a write.
LAST_SEEN_INTERVAL = timedelta(minutes=5)

log = logging.getLogger(__name__)


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
    # The reader's choices: a language code of LANGUAGES, and an IANA time
    # zone; none means the browser's language and UTC.
    locale: Mapped[str | None] = mapped_column(sa.String(LOCALE_MAX_LENGTH))
    timezone: Mapped[str | None] = mapped_column(sa.String(TIMEZONE_MAX_LENGTH))
    # A disabled account cannot sign in and loses any live session.
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
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
        # What the session and remember cookies carry (Flask-Login's
        # alternative token) is a live session's key, never the account's id.
        raise RuntimeError("sign in the SignedInUser of a live session (sessions.start)")

    def __repr__(self) -> str:
        return f"<User {self.nickname}>"


class SignedInUser(UserMixin):
    """Who is signed in, as every request sees them through ``current_user``.

    Read as one plain row rather than a User object: the ORM's object
    bookkeeping was a fifth of a signed-in page's time. Views that change the
    account load the User by ``id``. A sign-in makes one too
    (``sessions.start``), for login_user.
    """

    __slots__ = ("id", "nickname", "session_key", "session_id", "locale", "timezone")

    def __init__(
        self,
        id: int,
        nickname: str,
        session_key: str,
        session_id: int,
        locale: str | None = None,
        timezone: str | None = None,
    ):
        self.id = id
        self.nickname = nickname
        self.session_key = session_key
        self.session_id = session_id
        self.locale = locale
        self.timezone = timezone

    def get_id(self) -> str:
        return self.session_key

    def __repr__(self) -> str:
        return f"<SignedInUser {self.nickname}>"
