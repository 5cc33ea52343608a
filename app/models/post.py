"""What people write, and whom they follow."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .clock import now_utc
from .user import User

POST_MAX_LENGTH = 140


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
