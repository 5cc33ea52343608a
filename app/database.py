"""How the app talks to its database: what each connection is set up with,
how a dead one is noticed, and when PostgreSQL is asked for a transaction."""

import select
import sqlite3
import weakref

import sqlalchemy as sa
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool

# A connection of the app's sessions on PostgreSQL: reads each commit by
# themselves, and the first write begins a transaction (see begin_at_write).
READS_ALONE = {"isolation_level": "AUTOCOMMIT", "begin_at_write": True}


class Session(FlaskSession):
    """Flask-SQLAlchemy's session, which on PostgreSQL sends BEGIN only before
    the first statement that writes or locks.

    Under READ COMMITTED, PostgreSQL's level here, each statement of a
    transaction sees what was committed before it began, in a transaction
    or out of one: reads lose nothing by being sent alone, and a page that
    only reads is spared a BEGIN and a ROLLBACK. pysqlite already works this
    way, beginning only before an INSERT, UPDATE or DELETE. Writes stay
    atomic: from the first one to the session's commit or rollback, it is
    one transaction, as before.
    """

    def read(self, statement: sa.Executable, params: dict | None = None) -> sa.CursorResult:
        """Run a Core statement (not an ORM query) on the session's connection,
        without the ORM's execution around it (2-3% of a signed-in page's
        time). Pending changes are flushed first, as ``execute`` would."""
        if self.autoflush:
            self.flush()
        return self.connection().execute(statement, params)

    def get_bind(self, *args, **kwargs):
        bind = super().get_bind(*args, **kwargs)
        if isinstance(bind, Engine) and bind.dialect.name == "postgresql":
            return reads_alone(bind)
        return bind


_reads_alone = weakref.WeakKeyDictionary()


def reads_alone(engine: Engine) -> Engine:
    """``engine`` with READS_ALONE, sharing its pool; made once per engine."""
    if (options_engine := _reads_alone.get(engine)) is None:
        options_engine = _reads_alone[engine] = engine.execution_options(**READS_ALONE)
    return options_engine


def only_reads(context) -> bool:
    """Whether a statement neither writes nor locks: a SELECT without FOR UPDATE or SHARE."""
    statement = getattr(context.compiled, "statement", None)
    return isinstance(statement, sa.Select) and statement._for_update_arg is None


@sa.event.listens_for(Engine, "before_cursor_execute")
def begin_at_write(connection, cursor, statement, parameters, context, executemany):
    """On a READS_ALONE connection, leave autocommit before a statement that
    writes or locks: psycopg then sends BEGIN, and the session's commit or
    rollback ends the transaction. The pool sets autocommit again for the
    connection's next checkout."""
    if not connection.get_execution_options().get("begin_at_write") or only_reads(context):
        return
    dbapi_connection = connection.connection.dbapi_connection
    if dbapi_connection.autocommit:
        dbapi_connection.autocommit = False


@sa.event.listens_for(Pool, "checkout")
def drop_if_hung_up(dbapi_connection, connection_record, connection_proxy):
    """Replace a pooled PostgreSQL connection that the server has closed.

    An idle connection has nothing to read until it sends a query; when the
    server restarts or ends the session it writes its goodbye (or closes the
    socket), so the socket turns readable. Polling it costs no round trip,
    unlike pool_pre_ping's query before every checkout. The pool takes
    DisconnectionError as its cue to connect afresh. A server that dies
    without a word is found by the query that fails: SQLAlchemy then
    invalidates the pool, and the page is a 503 (app/errors).
    """
    # By module, not isinstance: a site on SQLite need not load psycopg (9 MB).
    if not type(dbapi_connection).__module__.startswith("psycopg"):
        return
    if dbapi_connection.closed:
        raise sa.exc.DisconnectionError("the connection was closed")
    poll = select.poll()
    poll.register(dbapi_connection.fileno(), select.POLLIN)
    if poll.poll(0):
        raise sa.exc.DisconnectionError("the server closed the connection")


@sa.event.listens_for(Engine, "connect")
def configure_sqlite(dbapi_connection, connection_record):
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # SQLite ignores foreign keys, ON DELETE CASCADE included, unless asked
    # on each connection; PostgreSQL always enforces them.
    dbapi_connection.execute("PRAGMA foreign_keys=ON")
    # In write-ahead-log mode (set by init-db), syncing at checkpoints is
    # what SQLite recommends: no corruption on power loss, far fewer syncs.
    if dbapi_connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
        dbapi_connection.execute("PRAGMA synchronous=NORMAL")
