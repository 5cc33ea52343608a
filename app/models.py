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


@login.user_loader
def load_user(user_id: str) -> User | None:
    """Return the user for a session's id; None for one malformed, gone or disabled.

    Flask-Login checks ``is_active`` only at ``login_user``; checking it here
    too ends a disabled account's sessions and remember cookies at once.
    """
    try:
        uid = int(user_id)
    except (TypeError, ValueError):
        return None
    # An id no integer column can hold would be a database error, not a miss.
    if not 0 < uid < 2**63:
        return None
    user = db.session.get(User, uid)
    return user if user is not None and user.active else None
