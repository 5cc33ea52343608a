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
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from openid.association import Association
from openid.store import nonce
from openid.store.filestore import FileOpenIDStore
from openid.store.interface import OpenIDStore
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from ...extensions import autocommit, db

# Expired entries are deleted on the first nonce check of each app (so, of
# each process) and then at most this often.
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


# A nonce used: its row, which exists at most once. One statement built once,
# as every sign-in's answer sends it.
USE_NONCE = OpenIDNonce.__table__.insert()


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
    three (BEGIN, the statement, COMMIT or ROLLBACK). Associations found or
    stored are kept in the process too (AssociationCache).
    """

    def __init__(self):
        self.cache = association_cache()

    def storeAssociation(self, server_url, association):
        self.cache.put(server_url, association)
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
        if (held := self.cache.get(server_url, handle)) is not None:
            return held
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
        association = Association(row.handle, row.secret, row.issued, row.lifetime, row.assoc_type)
        self.cache.put(server_url, association)
        return association

    def removeAssociation(self, server_url, handle):
        self.cache.remove(server_url, handle)
        table = OpenIDAssociation.__table__
        with autocommit() as connection:
            result = connection.execute(
                table.delete().where(table.c.server_url == server_url, table.c.handle == handle)
            )
        return result.rowcount > 0

    def useNonce(self, server_url, timestamp, salt):
        if abs(timestamp - time.time()) > nonce.SKEW:
            return False
        clean_up_now_and_then(self, discoveries=self)
        try:
            with autocommit() as connection:
                connection.execute(
                    USE_NONCE, {"server_url": server_url, "timestamp": timestamp, "salt": salt}
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


class AssociationCache:
    """The associations a process has found or stored, so that a warm sign-in
    asks the database for none (two lookups: at the start, the newest with
    the provider; at the return, the one the answer names).

    An association never changes once made: it expires, or a provider says
    it no longer knows the handle and the store removes it. A process that
    still holds one another process removed sends it once more; the
    provider again says it does not know it, the answer is checked with the
    provider directly, and this process removes it too.
    """

    # Entries kept at most; past it, the cache starts again empty.
    SIZE = 1000

    def __init__(self):
        self._by_handle: dict[tuple[str, str], Association] = {}
        self._newest: dict[str, Association] = {}

    def get(self, server_url: str, handle: str | None) -> Association | None:
        if handle is None:
            held = self._newest.get(server_url)
        else:
            held = self._by_handle.get((server_url, handle))
        if held is None or held.expiresIn <= 0:
            return None
        return held

    def put(self, server_url: str, association: Association) -> None:
        if len(self._by_handle) >= self.SIZE:
            self._by_handle.clear()
            self._newest.clear()
        self._by_handle[server_url, association.handle] = association
        newest = self._newest.get(server_url)
        if (
            newest is None
            or newest.handle == association.handle
            or (association.issued >= newest.issued)
        ):
            self._newest[server_url] = association

    def remove(self, server_url: str, handle: str) -> None:
        self._by_handle.pop((server_url, handle), None)
        newest = self._newest.get(server_url)
        if newest is not None and newest.handle == handle:
            self._newest.pop(server_url, None)


def association_cache() -> AssociationCache:
    """The current app's association cache (each test's app has its own)."""
    return current_app.extensions.setdefault("openid_associations", AssociationCache())


class CleanupSchedule:
    """When an app's OpenID store next deletes what has expired.

    The first check finds the cleanup due, whatever the clock reads (a
    monotonic clock may start near zero at boot); after that, once every
    CLEANUP_INTERVAL. One thread at a time cleans up; the others go on.
    """

    clock = staticmethod(time.monotonic)

    def __init__(self):
        self._due: float | None = None  # never run: due now
        self._lock = threading.Lock()

    def run_if_due(self, cleanup: Callable[[], object]) -> bool:
        """Run ``cleanup`` if it is due and no other thread is running it."""
        if not self._lock.acquire(blocking=False):
            return False
        try:
            now = self.clock()
            if self._due is not None and now < self._due:
                return False
            # Set before running, so a failing cleanup is not retried on every sign-in.
            self._due = now + CLEANUP_INTERVAL
            cleanup()
            return True
        finally:
            self._lock.release()


def cleanup_schedule() -> CleanupSchedule:
    """The current app's schedule: each app (and each test's app) keeps its own."""
    # dict.setdefault is atomic, so two threads cannot each install one.
    return current_app.extensions.setdefault("openid_cleanup", CleanupSchedule())


def clean_up_now_and_then(store: OpenIDStore, discoveries) -> None:
    """On a nonce check: delete expired nonces, associations and discovery
    results if the app's cleanup is due. Both stores call this."""

    def clean_up():
        store.cleanupNonces()
        store.cleanupAssociations()
        discoveries.cleanupDiscoveries()

    cleanup_schedule().run_if_due(clean_up)


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
    return CleaningFileOpenIDStore(current_app.config["OPENID_FS_STORE_PATH"])


class CleaningFileOpenIDStore(FileOpenIDStore):
    """python3-openid's file store, which also deletes what has expired now
    and then, as the database store does; by itself it keeps a nonce file per
    sign-in until someone runs ``flask openid-cleanup``."""

    def __init__(self, directory: str):
        super().__init__(directory)
        self.discoveries = file_discoveries(directory)

    def useNonce(self, server_url, timestamp, salt):
        clean_up_now_and_then(self, discoveries=self.discoveries)
        return super().useNonce(server_url, timestamp, salt)


# The file a discovery is being written to until it is complete.
PARTIAL = ".partial-"


class FileDiscoveries:
    """Discovery results as files beside the file store, shared by the processes
    of one machine; the database store keeps them in a table instead."""

    def __init__(self, path: str):
        self.path = Path(path)

    def getDiscovery(self, url_hash: str) -> str | None:
        try:
            text = (self.path / url_hash).read_text(encoding="utf-8")
            expires, data = text.split("\n", 1)
            return data if int(expires) > time.time() else None
        except (OSError, ValueError):
            return None

    def storeDiscovery(self, url_hash: str, data: str, expires: int) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        # Write then rename, so a reader never sees half a file.
        handle, partial = tempfile.mkstemp(dir=self.path, prefix=PARTIAL)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                file.write(f"{expires}\n{data}")
            os.replace(partial, self.path / url_hash)
        except BaseException:
            Path(partial).unlink(missing_ok=True)
            raise

    def cleanupDiscoveries(self) -> int:
        removed = 0
        for entry in self.path.glob("*"):
            # Another thread or process may be writing a partial file right now.
            if not entry.name.startswith(PARTIAL) and self.getDiscovery(entry.name) is None:
                entry.unlink(missing_ok=True)
                removed += 1
        return removed


def file_discoveries(directory: str) -> FileDiscoveries:
    """The discovery results kept beside the file store in ``directory``."""
    return FileDiscoveries(os.path.join(directory, "discovery"))


def discovery_store():
    """Where DiscoveryCache shares results: the same place as the OpenID store."""
    if store_kind(current_app.config) == "database":
        return DatabaseOpenIDStore()
    return file_discoveries(current_app.config["OPENID_FS_STORE_PATH"])
