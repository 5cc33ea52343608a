"""Database models: people who sign in, and what they post."""

from datetime import UTC, datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from . import db, login

NICKNAME_MAX_LENGTH = 64
POST_MAX_LENGTH = 140


def now_utc() -> datetime:
    return datetime.now(UTC)


class User(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    nickname: Mapped[str] = mapped_column(sa.String(NICKNAME_MAX_LENGTH), unique=True)
    email: Mapped[str | None] = mapped_column(sa.String(254))
    # The verified OpenID claimed identifier: the only thing that says who
    # someone is. Never the email, which any provider can assert.
    openid: Mapped[str] = mapped_column(sa.String(2048), unique=True)
    created: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=now_utc)
    # A disabled account cannot sign in and loses any live session.
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())

    posts: Mapped[list["Post"]] = relationship(
        back_populates="author", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def is_active(self) -> bool:
        return self.active

    def __repr__(self) -> str:
        return f"<User {self.nickname}>"


class Post(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    body: Mapped[str] = mapped_column(sa.String(POST_MAX_LENGTH))
    timestamp: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=now_utc, index=True
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey(User.id, ondelete="CASCADE"), index=True)

    author: Mapped[User] = relationship(back_populates="posts")

    def __repr__(self) -> str:
        return f"<Post {self.id} by {self.user_id}>"


class SignedInUser(UserMixin):
    """Who is signed in, as every request sees them through ``current_user``.

    Read as one plain row rather than a User object: the ORM's object
    bookkeeping was a fifth of a signed-in page's time. Views that change the
    account load the User by ``id``. Right after sign-in, within the same
    request, ``current_user`` is the User itself; both have what pages use.
    """

    __slots__ = ("id", "nickname")

    def __init__(self, id: int, nickname: str):
        self.id = id
        self.nickname = nickname

    def __repr__(self) -> str:
        return f"<SignedInUser {self.nickname}>"


_user_table = User.__table__
# Core columns, not User.id...: the ORM would add its own work to each query.
SIGNED_IN_USER = sa.select(_user_table.c.id, _user_table.c.nickname).where(
    _user_table.c.id == sa.bindparam("id"), _user_table.c.active
)


@login.user_loader
def load_user(user_id: str) -> SignedInUser | None:
    """Return the user for a session's id; None for one malformed, gone or disabled.

    Flask-Login checks ``is_active`` only at ``login_user``; checking it here,
    on every request, ends a disabled account's sessions and remember cookies
    at once.
    """
    try:
        uid = int(user_id)
    except (TypeError, ValueError):
        return None
    # An id no integer column can hold would be a database error, not a miss.
    if not 0 < uid < 2**63:
        return None
    row = db.session.execute(SIGNED_IN_USER, {"id": uid}).first()
    return SignedInUser(row.id, row.nickname) if row is not None else None
