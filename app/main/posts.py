"""Pages of posts, newest first: everyone's, one author's, a home timeline.

Keyset pagination: a page starts after the id where the one before it ended,
so a deep page costs what the first does, and a post written meanwhile never
shows twice or pushes another out of sight.
"""

from dataclasses import dataclass

import sqlalchemy as sa

from ..extensions import db
from ..models import Follow, Post, User

_post, _user, _follow = Post.__table__, User.__table__, Follow.__table__

# Table columns, not the mapped classes: a page only shows the rows, and the
# ORM layer was a large share of its cost.
COLUMNS = (_post.c.id, _post.c.body, _post.c.timestamp, _post.c.user_id, _user.c.nickname)

# The reader's own posts and those of whom they follow.
FOLLOWED = sa.select(_follow.c.followed_id).where(_follow.c.follower_id == sa.bindparam("user_id"))

WHICH = {
    "everyone": None,
    "author": _post.c.user_id == sa.bindparam("user_id"),
    # One list of authors, so the database walks each author's (user_id, id)
    # index: what the home timeline falls back to (see RECENT).
    "timeline": _post.c.user_id.in_(
        FOLLOWED.union_all(sa.select(sa.bindparam("user_id", type_=sa.Integer)))
    ),
}

# The home timeline looks first among the RECENT newest posts (older than the
# cursor): their ids straight from the primary key, each checked against the
# reader's list. That costs the same at a thousand posts as at a million,
# whenever the people a reader follows wrote a page's worth lately. Only when
# they did not (a new reader, the last page) does it ask each author's index,
# whose cost grows with what those authors ever wrote. Measured at a million
# posts, following 1,000 of 10,000 people: the window 0.7 ms on SQLite and
# 1.0 ms on PostgreSQL; asking every author's index 3.2 ms and 11 ms.
RECENT = 500


@dataclass(frozen=True)
class Statements:
    newest: sa.Select
    older: sa.Select  # older than the cursor, newest first
    newer: sa.Select  # newer than the cursor, oldest first


def statements(which: sa.ColumnElement | None) -> Statements:
    base = sa.select(*COLUMNS).join_from(_post, _user)
    if which is not None:
        base = base.where(which)
    newest = base.order_by(_post.c.id.desc()).limit(sa.bindparam("limit"))
    return Statements(
        newest=newest,
        older=newest.where(_post.c.id < sa.bindparam("cursor")),
        newer=base.where(_post.c.id > sa.bindparam("cursor"))
        .order_by(_post.c.id)
        .limit(sa.bindparam("limit")),
    )


def recent_timeline(older: bool) -> sa.Select:
    """The timeline's page among the RECENT newest posts (older than the cursor)."""
    recent = sa.select(*COLUMNS[:4]).order_by(_post.c.id.desc()).limit(RECENT)
    if older:
        recent = recent.where(_post.c.id < sa.bindparam("cursor"))
    recent = recent.subquery("recent")
    # An OR of an equality and IN (subquery), not IN (... UNION ALL ...):
    # PostgreSQL then hashes the reader's list once instead of scanning it
    # for every post.
    mine = sa.or_(recent.c.user_id == sa.bindparam("user_id"), recent.c.user_id.in_(FOLLOWED))
    return (
        sa.select(recent, _user.c.nickname)
        .join(_user, _user.c.id == recent.c.user_id)
        .where(mine)
        .order_by(recent.c.id.desc())
        .limit(sa.bindparam("limit"))
    )


# Built once, with everything else as parameters: building a statement and
# its cache key on every request showed up in profiles.
STATEMENTS = {name: statements(which) for name, which in WHICH.items()}
# Newer pages are rare (the Newer link) and always go to the authors' indexes.
RECENT_NEWEST, RECENT_OLDER = recent_timeline(older=False), recent_timeline(older=True)


@dataclass
class PostPage:
    posts: list[sa.Row]
    older: int | None  # where the next older page starts, if there is one
    newer: int | None  # where the next newer page starts, if this is not the newest


def page_of_posts(
    which: str,
    per_page: int,
    before: int | None = None,
    after: int | None = None,
    user_id: int | None = None,
    connection: sa.Connection | None = None,
) -> PostPage:
    """One page of ``which`` posts (rows of COLUMNS): the newest, or those just
    older than ``before``, or just newer than ``after``.

    One row more than a page tells whether the list goes on, without a
    COUNT(*) that grows with the table. ``connection``: run on it rather than
    the request's session (bench/floor.py does).
    """
    execute = connection.execute if connection else db.session().read
    chosen = STATEMENTS[which]
    params = {"user_id": user_id, "limit": per_page + 1}
    if after is not None:
        rows = execute(chosen.newer, {**params, "cursor": after}).all()
        if len(rows) > per_page:
            posts = rows[per_page - 1 :: -1]
            return PostPage(posts, older=posts[-1].id, newer=posts[0].id)
        before = None  # less than a page is newer: that is the newest page
    statement, params = (
        (chosen.newest, params) if before is None else (chosen.older, {**params, "cursor": before})
    )
    rows = []
    if which == "timeline":
        recent = RECENT_NEWEST if before is None else RECENT_OLDER
        rows = execute(recent, params).all()
    if len(rows) <= per_page:  # not a page and a row more among the recent ones
        rows = execute(statement, params).all()
    posts = rows[:per_page]
    older = posts[-1].id if len(rows) > per_page else None
    newer = (posts[0].id if posts else before) if before is not None else None
    return PostPage(posts, older=older, newer=newer)
