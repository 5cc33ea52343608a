"""Rate limits for the few actions that cost: starting a sign-in, posting.

The counting is the `limits` library's (the one under Flask-Limiter). The
views call ``ratelimit.hit`` for the action they limit, so other requests pay
nothing: Flask-Limiter checked every request and cost signed-in pages about a
seventh of their time.

The counts live where RATELIMIT_STORAGE_URI says: "database" (the default),
the app's own database, so every process and host that shares it counts
together with no server of its own; or any storage `limits` knows, such as
redis://host:6379 for a large site. ("memory://" counts per process, so
each gunicorn worker would allow the whole limit again.)
"""

import math
import time

import sqlalchemy as sa
from flask import Flask, current_app
from limits import parse_many
from limits.storage import Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import TooManyRequests

DATABASE = "database"


class RateLimit:
    def init_app(self, app: Flask) -> None:
        uri = app.config.setdefault("RATELIMIT_STORAGE_URI", DATABASE)
        storage = DatabaseStorage() if uri == DATABASE else storage_from_string(uri)
        app.extensions["ratelimit"] = FixedWindowRateLimiter(storage)

    def hit(self, limits: str, key: str) -> None:
        """Count one action by ``key``; past ``limits``, answer 429 with Retry-After.

        :param limits: e.g. "10 per minute; 100 per hour"
        :param key: who acts, and on what: "signin:192.0.2.1"
        """
        limiter = current_app.extensions["ratelimit"]
        for limit in parse_many(limits):
            if not limiter.hit(limit, key):
                reset = limiter.get_window_stats(limit, key).reset_time
                raise TooManyRequests(retry_after=max(1, math.ceil(reset - time.time())))


class DatabaseStorage(Storage):
    """A `limits` storage in the app's database, for the fixed-window strategy.

    Each hit is one statement, an upsert that starts a new window or adds to
    the current one and returns the count, so two processes counting at the
    same moment cannot both read the same old count. It runs in autocommit,
    apart from the request's transaction: the count stands even if the
    request then fails, and no lock is held beyond the statement.
    """

    STORAGE_SCHEME = None  # made by RateLimit, not from a URI

    def __init__(self):
        super().__init__()
        # Here, not at the top: this module is imported before the app's db.
        from .auth.openid.store import CleanupSchedule
        from .extensions import autocommit
        from .models import RateLimitCounter

        self.table = RateLimitCounter.__table__
        self.connect = autocommit
        self._statements = {}
        # Ended windows are deleted on a hit, now and then, as the OpenID store's rows are.
        self._cleanups = CleanupSchedule()

    @property
    def base_exceptions(self):
        return SQLAlchemyError

    def upsert(self, dialect: str):
        """The hit statement in ``dialect``'s words: both say ON CONFLICT."""
        if dialect not in self._statements:
            table = self.table
            insert = (postgresql if dialect == "postgresql" else sqlite).insert(table).values(
                key=sa.bindparam("key"),
                hits=sa.bindparam("amount"),
                expires=sa.bindparam("expires"),
            )  # fmt: skip
            expired = table.c.expires <= sa.bindparam("now")
            self._statements[dialect] = insert.on_conflict_do_update(
                index_elements=[table.c.key],
                set_={
                    "hits": sa.case(
                        (expired, insert.excluded.hits), else_=table.c.hits + insert.excluded.hits
                    ),
                    "expires": sa.case((expired, insert.excluded.expires), else_=table.c.expires),
                },
            ).returning(table.c.hits)
        return self._statements[dialect]

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        self._cleanups.run_if_due(self.cleanup)
        now = time.time()
        params = {"key": key, "amount": amount, "expires": now + expiry, "now": now}
        with self.connect() as connection:
            statement = self.upsert(connection.dialect.name)
            return connection.execute(statement, params).scalar_one()

    def get(self, key: str) -> int:
        row = self._row(key)
        return row.hits if row is not None else 0

    def get_expiry(self, key: str) -> float:
        row = self._row(key)
        return row.expires if row is not None else time.time()

    def _row(self, key: str):
        table = self.table
        query = sa.select(table.c.hits, table.c.expires).where(
            table.c.key == key, table.c.expires > time.time()
        )
        with self.connect() as connection:
            return connection.execute(query).first()

    def check(self) -> bool:
        try:
            with self.connect() as connection:
                connection.execute(sa.text("SELECT 1"))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int:
        return self._delete()

    def clear(self, key: str) -> None:
        self._delete(self.table.c.key == key)

    def cleanup(self) -> int:
        """Delete the counters whose window has ended; return how many."""
        return self._delete(self.table.c.expires <= time.time())

    def _delete(self, *where) -> int:
        with self.connect() as connection:
            return connection.execute(self.table.delete().where(*where)).rowcount
