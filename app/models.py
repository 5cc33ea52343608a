"""Database models: people who sign in, and what they post."""

import logging
import secrets
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import autocommit, db, login

NICKNAME_MAX_LENGTH = 64
POST_MAX_LENGTH = 140
ABOUT_ME_MAX_LENGTH = 140
PASSKEY_NAME_MAX_LENGTH = 64
SESSION_TOKEN_MAX_LENGTH = 64
# How stale "last seen" may be: writing it on every request would make every
# page a write.
LAST_SEEN_INTERVAL = timedelta(minutes=5)

log = logging.getLogger(__name__)


def now_utc() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; they were stored in UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


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


class Identity(db.Model):
    """A verified identity that signs in to an account.

    OpenID 2.0: kind "openid", issuer "", subject the claimed identifier.
    OpenID Connect: kind "oidc", issuer the provider's issuer URL, subject
    its ``sub`` claim. Only the three together name an identity.
    """

    __table_args__ = (sa.UniqueConstraint("kind", "issuer", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey(User.id, ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    issuer: Mapped[str] = mapped_column(sa.String(255))
    subject: Mapped[str] = mapped_column(sa.String(2048))
    # The provider's name when linked ("Example SSO"), for the account page.
    provider: Mapped[str] = mapped_column(sa.String(255))
    created: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=now_utc)
    last_used: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    user: Mapped[User] = relationship(back_populates="identities")

    def __repr__(self) -> str:
        return f"<Identity {self.kind} {self.issuer} {self.subject}>"


class SignIn(db.Model):
    """One sign-in to an account, for its owner to review."""

    __table_args__ = (sa.Index(None, "user_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey(User.id, ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=now_utc)
    provider: Mapped[str] = mapped_column(sa.String(255))
    address: Mapped[str | None] = mapped_column(sa.String(64))


class Post(db.Model):
    """A post. Pages list posts by id, newest first: ids are given in the order
    posts are written, and unlike timestamps they never tie, so a page's last
    id is where the next page starts (keyset pagination)."""

    # A profile's and the home timeline's posts, newest first, straight from
    # the index (SQLite's indexes end in the rowid by themselves).
    __table_args__ = (sa.Index(None, "user_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    body: Mapped[str] = mapped_column(sa.String(POST_MAX_LENGTH))
    timestamp: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=now_utc)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey(User.id, ondelete="CASCADE"))

    author: Mapped[User] = relationship(back_populates="posts")

    def __repr__(self) -> str:
        return f"<Post {self.id} by {self.user_id}>"


class Passkey(db.Model):
    """A WebAuthn credential of an account: a way in that needs no provider.

    The checks themselves (challenge, origin, RP ID, signature, sign count)
    are the webauthn library's; this keeps what they need between sign-ins.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey(User.id, ondelete="CASCADE"), index=True)
    # At most 1,023 bytes (WebAuthn Level 3, credential ID).
    credential_id: Mapped[bytes] = mapped_column(sa.LargeBinary(1023), unique=True)
    public_key: Mapped[bytes] = mapped_column(sa.LargeBinary)
    # An unsigned 32-bit counter in the authenticator: past a signed INTEGER.
    sign_count: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    # What the browser said the authenticator speaks ("internal,hybrid").
    transports: Mapped[str] = mapped_column(sa.String(255), default="")
    name: Mapped[str] = mapped_column(sa.String(PASSKEY_NAME_MAX_LENGTH))
    created: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=now_utc)
    last_used: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    def __repr__(self) -> str:
        return f"<Passkey {self.id} of {self.user_id}>"


class Follow(db.Model):
    """One person following another: the followed person's posts are on the
    follower's home timeline."""

    __table_args__ = (
        sa.CheckConstraint("follower_id <> followed_id", name="not_oneself"),
        # Who follows someone; the primary key serves whom someone follows.
        sa.Index(None, "followed_id", "follower_id"),
    )

    follower_id: Mapped[int] = mapped_column(
        sa.ForeignKey(User.id, ondelete="CASCADE"), primary_key=True
    )
    followed_id: Mapped[int] = mapped_column(
        sa.ForeignKey(User.id, ondelete="CASCADE"), primary_key=True
    )
    created: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=now_utc)


class RateLimitCounter(db.Model):
    """One rate limit's count in its current window (see app/ratelimit.py)."""

    __tablename__ = "rate_limit"
    # limits' own key: the limit and who is counted ("LIMITER/signin:192.0.2.1/10/1/minute").
    key: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    hits: Mapped[int]
    # When the window ends, in seconds since the epoch.
    expires: Mapped[float] = mapped_column(sa.Double, index=True)


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
