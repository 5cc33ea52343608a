"""python3-openid's store (associations and nonces) in the site's database.

The file store in tmp/ serves one machine. When several processes or hosts
serve one site they must share associations (a sign-in started on host A is
checked on host B) and nonces (an answer used on A is refused on B), so the
store lives in the database instead. ``OPENID_STORE`` chooses: "file",
"database", or unset for the database unless it is SQLite.
"""

import os
import tempfile
import threading
import time
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from openid.association import Association
from openid.store import nonce
from openid.store.filestore import FileOpenIDStore
from openid.store.interface import OpenIDStore
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from . import db

# Expired rows are deleted at most this often per process, on a nonce check.
CLEANUP_INTERVAL = 600.0


class OpenIDAssociation(db.Model):
    __tablename__ = "openid_association"
    server_url: Mapped[str] = mapped_column(sa.String(2048), primary_key=True)
    handle: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    secret: Mapped[bytes] = mapped_column(sa.LargeBinary(128))
    issued: Mapped[int]
    lifetime: Mapped[int]
    assoc_type: Mapped[str] = mapped_column(sa.String(64))
    expires: Mapped[int] = mapped_column(index=True)


class OpenIDNonce(db.Model):
    __tablename__ = "openid_nonce"
    server_url: Mapped[str] = mapped_column(sa.String(2048), primary_key=True)
    timestamp: Mapped[int] = mapped_column(primary_key=True, index=True)
    salt: Mapped[str] = mapped_column(sa.String(40), primary_key=True)


class OpenIDDiscovery(db.Model):
    """Recent discovery results, shared by every process (see DiscoveryCache)."""

    __tablename__ = "openid_discovery"
    url_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    expires: Mapped[int] = mapped_column(index=True)
    data: Mapped[str] = mapped_column(sa.Text)


class DatabaseOpenIDStore(OpenIDStore):
    """An ``OpenIDStore`` on the app's database, safe for many processes.

    Each call runs on a connection of its own, apart from the ORM session, so
    a used nonce is recorded even if the sign-in then fails. A call of one
    statement runs it in autocommit: one round trip to the server instead of
    three (BEGIN, the statement, COMMIT or ROLLBACK).
    """

    _last_cleanup = 0.0
    _cleanup_lock = threading.Lock()

    def storeAssociation(self, server_url, association):
        table = OpenIDAssociation.__table__
        with db.engine.begin() as connection:
            connection.execute(
                table.delete().where(
                    table.c.server_url == server_url, table.c.handle == association.handle
                )
            )
            connection.execute(
                table.insert().values(
                    server_url=server_url,
                    handle=association.handle,
                    secret=association.secret,
                    issued=association.issued,
                    lifetime=association.lifetime,
                    assoc_type=association.assoc_type,
                    expires=association.issued + association.lifetime,
                )
            )

    def getAssociation(self, server_url, handle=None):
        table = OpenIDAssociation.__table__
        query = sa.select(table).where(
            table.c.server_url == server_url, table.c.expires > int(time.time())
        )
        if handle is not None:
            query = query.where(table.c.handle == handle)
        with autocommit() as connection:
            row = connection.execute(query.order_by(table.c.issued.desc()).limit(1)).first()
        if row is None:
            return None
        return Association(row.handle, row.secret, row.issued, row.lifetime, row.assoc_type)

    def removeAssociation(self, server_url, handle):
        table = OpenIDAssociation.__table__
        with autocommit() as connection:
            result = connection.execute(
                table.delete().where(table.c.server_url == server_url, table.c.handle == handle)
            )
        return result.rowcount > 0

    def useNonce(self, server_url, timestamp, salt):
        if abs(timestamp - time.time()) > nonce.SKEW:
            return False
        self._cleanup_now_and_then()
        try:
            with autocommit() as connection:
                connection.execute(
                    OpenIDNonce.__table__.insert().values(
                        server_url=server_url, timestamp=timestamp, salt=salt
                    )
                )
        except IntegrityError:
            return False  # seen before, here or on another host
        return True

    def cleanupNonces(self):
        table = OpenIDNonce.__table__
        with autocommit() as connection:
            result = connection.execute(
                table.delete().where(table.c.timestamp < int(time.time()) - nonce.SKEW)
            )
        return result.rowcount

    def cleanupAssociations(self):
        table = OpenIDAssociation.__table__
        with autocommit() as connection:
            result = connection.execute(table.delete().where(table.c.expires <= int(time.time())))
        return result.rowcount

    def cleanupDiscoveries(self):
        table = OpenIDDiscovery.__table__
        with autocommit() as connection:
            result = connection.execute(table.delete().where(table.c.expires <= int(time.time())))
        return result.rowcount

    def getDiscovery(self, url_hash: str) -> str | None:
        table = OpenIDDiscovery.__table__
        query = sa.select(table.c.data).where(
            table.c.url_hash == url_hash, table.c.expires > int(time.time())
        )
        with autocommit() as connection:
            return connection.execute(query).scalar()

    def storeDiscovery(self, url_hash: str, data: str, expires: int) -> None:
        table = OpenIDDiscovery.__table__
        try:
            with db.engine.begin() as connection:
                connection.execute(table.delete().where(table.c.url_hash == url_hash))
                connection.execute(
                    table.insert().values(url_hash=url_hash, data=data, expires=expires)
                )
        except IntegrityError:
            pass  # another process stored the same discovery at the same moment

    def _cleanup_now_and_then(self):
        cls = type(self)
        now = time.monotonic()
        if now - cls._last_cleanup < CLEANUP_INTERVAL or not cls._cleanup_lock.acquire(False):
            return
        try:
            cls._last_cleanup = now
            self.cleanup()
            self.cleanupDiscoveries()
        finally:
            cls._cleanup_lock.release()


def autocommit() -> sa.Connection:
    """A connection of the app's engine on which each statement commits by itself."""
    return db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")


STORE_KINDS = ("file", "database")


def store_kind(config) -> str:
    """The store the configuration asks for: OPENID_STORE, else by database."""
    kind = config.get("OPENID_STORE")
    if kind:
        return kind
    return "file" if config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") else "database"


def make_store() -> OpenIDStore:
    """The configured store, for Flask-OpenID's ``store_factory``."""
    if store_kind(current_app.config) == "database":
        return DatabaseOpenIDStore()
    return FileOpenIDStore(current_app.config["OPENID_FS_STORE_PATH"])


class FileDiscoveries:
    """Discovery results as files beside the file store, shared by the processes
    of one machine; the database store keeps them in a table instead."""

    def __init__(self, path: str):
        self.path = Path(path)

    def getDiscovery(self, url_hash: str) -> str | None:
        try:
            expires, data = (self.path / url_hash).read_text().split("\n", 1)
        except (OSError, ValueError):
            return None
        return data if int(expires) > time.time() else None

    def storeDiscovery(self, url_hash: str, data: str, expires: int) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        # Write then rename, so a reader never sees half a file.
        handle, temporary = tempfile.mkstemp(dir=self.path)
        with os.fdopen(handle, "w") as file:
            file.write(f"{expires}\n{data}")
        os.replace(temporary, self.path / url_hash)

    def cleanupDiscoveries(self) -> int:
        removed = 0
        for entry in self.path.glob("*"):
            if self.getDiscovery(entry.name) is None:
                entry.unlink(missing_ok=True)
                removed += 1
        return removed


def discovery_store():
    """Where DiscoveryCache shares results: the same place as the OpenID store."""
    if store_kind(current_app.config) == "database":
        return DatabaseOpenIDStore()
    return FileDiscoveries(os.path.join(current_app.config["OPENID_FS_STORE_PATH"], "discovery"))
