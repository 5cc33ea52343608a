import sqlite3

import jinja2
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app import create_app
from app.extensions import db
from app.models import User
from config import TestingConfig

from .helpers import (
    BACKENDS,
    PUBLIC_HOST,
    STRONG_KEY,
    Browser,
    LiveServer,
    SignedInClient,
    missing,
    openid_identity,
    proved,
)
from .messages import catalog_message, flashes_checked
from .oidc_provider import OIDCTestProvider
from .openid_provider import TestProvider
from .postgres import PostgresServer, postgres_bin
from .redis_server import RedisServer, redis_bin
from .serving import Gunicorn, create_database, production_environ


def pytest_generate_tests(metafunc):
    """Run tests marked both_databases, that use the database, on each backend."""
    if "db_backend" in metafunc.fixturenames and metafunc.definition.get_closest_marker(
        "both_databases"
    ):
        metafunc.parametrize("db_backend", BACKENDS, indirect=True)


def running_postgres():
    """Start a PostgreSQL server, yield it, destroy it; skip (outside CI) if absent."""
    if postgres_bin() is None:
        missing("PostgreSQL", "sudo apt-get install postgresql")
    server = PostgresServer().init()
    yield server
    server.destroy()


@pytest.fixture(scope="session")
def postgres():
    """One PostgreSQL server for the whole run."""
    yield from running_postgres()


@pytest.fixture
def own_postgres():
    """A PostgreSQL server of the test's own, to stop and start."""
    yield from running_postgres()


@pytest.fixture(scope="session")
def redis_server():
    """One Redis server for the whole run; skip (outside CI) if absent."""
    if redis_bin() is None:
        missing("Redis", "sudo apt-get install redis-server")
    server = RedisServer()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server):
    """The Redis server's URL, emptied for each test."""
    redis_server.client.flushall()
    return redis_server.url


@pytest.fixture
def db_backend(request):
    return getattr(request, "param", "sqlite")


@pytest.fixture
def database_url(request, db_backend, tmp_path):
    if db_backend == "postgresql":
        return request.getfixturevalue("postgres").create_database("microblog_test")
    # A file, not :memory:, so the live server's threads share one database.
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture(autouse=True)
def sqlite_connections_closed():
    """Close every SQLite connection a test opened when it ends. An app made
    in a test keeps its pooled connections until the garbage collector takes
    them, which Python 3.13 reports (ResourceWarning) in whichever later test
    it happens to run. File databases allow closing from another thread."""
    opened = []

    def record(dbapi_connection, _connection_record):
        if isinstance(dbapi_connection, sqlite3.Connection):
            opened.append(dbapi_connection)

    sa.event.listen(sa.pool.Pool, "connect", record)
    yield
    sa.event.remove(sa.pool.Pool, "connect", record)
    for connection in opened:
        connection.close()


@pytest.fixture(autouse=True)
def flashes_are_translated():
    """Every message any test makes the app flash is a catalog's."""
    with flashes_checked(catalog_message()):
        yield


class CompiledTemplates(jinja2.BytecodeCache):
    """The templates compiled once for the whole run, not again by each test's
    new app: Jinja checks each template's source against what it compiled.
    Each language has its own (app/i18n/templates.py); the catalogs do not
    change during a run."""

    def __init__(self):
        self.compiled = {}

    @staticmethod
    def key(bucket):
        return bucket.environment.language, bucket.key

    def load_bytecode(self, bucket):
        if self.key(bucket) in self.compiled:
            bucket.bytecode_from_string(self.compiled[self.key(bucket)])

    def dump_bytecode(self, bucket):
        self.compiled[self.key(bucket)] = bucket.bytecode_to_string()


COMPILED_TEMPLATES = CompiledTemplates()


def new_app():
    """The app in its testing configuration, as the environment sets it."""
    app = create_app(TestingConfig)
    app.jinja_env.bytecode_cache = COMPILED_TEMPLATES
    return app


@pytest.fixture
def app(tmp_path, monkeypatch, database_url):
    """A new app on its own empty database and OpenID store for every test."""
    monkeypatch.setenv("FLASK_SQLALCHEMY_DATABASE_URI", database_url)
    monkeypatch.setenv("FLASK_OPENID_FS_STORE_PATH", str(tmp_path / "openid"))
    app = new_app()
    app.test_client_class = SignedInClient
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.drop_all()
        db.engine.dispose()


@pytest.fixture
def other_app(app):
    """A second instance of the app on the same database, as another process
    or host would be: nothing in memory shared with ``app``."""
    other = new_app()
    yield other
    with other.app_context():
        db.engine.dispose()


@pytest.fixture
def timed(monkeypatch, database_url, tmp_path):
    """A live app that sends Server-Timing: its time and outgoing requests."""
    monkeypatch.setenv("FLASK_SERVER_TIMING", "true")
    monkeypatch.setenv("FLASK_SQLALCHEMY_DATABASE_URI", database_url)
    monkeypatch.setenv("FLASK_OPENID_FS_STORE_PATH", str(tmp_path / "timed"))
    app = new_app()
    with app.app_context():
        db.create_all()
    with LiveServer(app) as server:
        server.app = app
        yield server
    with app.app_context():
        db.drop_all()
        db.engine.dispose()


@pytest.fixture
def production_server(database_url, tmp_path):
    """Start the production app under the project's gunicorn.conf.py, every
    worker of it, on the test's database: ``production_server(FLASK_KEY="value")``.
    Its access log says which worker served each request."""
    servers = []

    def start(**settings: str) -> Gunicorn:
        env = production_environ(database_url, tmp_path / "openid", **settings)
        create_database(env)
        server = Gunicorn("app:create_app()", env, access_log=tmp_path / "access.log")
        server.database_url = database_url
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def production_env(app, monkeypatch):
    """What the production configuration needs to start: a strong key, the
    public host; and the test's database (made by ``app``), not the project's."""
    monkeypatch.setenv("FLASK_SECRET_KEY", STRONG_KEY)
    monkeypatch.setenv("FLASK_SERVER_NAME", PUBLIC_HOST)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def user(app):
    with app.app_context():
        user = User(nickname="alice", identities=[openid_identity("https://openid.example/alice")])
        db.session.add(user)
        db.session.commit()
        return db.session.get(User, user.id)


@pytest.fixture
def user_client(app, user):
    """A test client signed in as ``user`` without the OpenID round trip."""
    return app.test_client(user=user)


@pytest.fixture
def proved_client(user_client, user):
    """``user_client``, as if ``user`` had just signed in: what needs a recent
    proof that it is them (deleting, unlinking) goes through at once."""
    return proved(user_client)


@pytest.fixture
def live_server(app):
    with LiveServer(app) as server:
        yield server


@pytest.fixture
def browser(live_server):
    return Browser(live_server.url)


@pytest.fixture
def provider():
    with TestProvider() as provider:
        yield provider


@pytest.fixture
def oidc_provider(app, request):
    """An OpenID Connect provider on loopback, configured as "Test SSO" (key
    test-sso); with the live server, its callback is the registered redirect URI."""
    with OIDCTestProvider() as provider:
        app.config["OIDC_PROVIDERS"] = [provider.config()]
        if "live_server" in request.fixturenames:
            callback = "/login/oidc/test-sso/callback"
            provider.redirect_uri = request.getfixturevalue("live_server").url + callback
        yield provider


@pytest.fixture
def users(app):
    """Read the accounts in the database: ``users()`` returns them all."""

    def read():
        with app.app_context():
            query = db.select(User).options(selectinload(User.identities)).order_by(User.id)
            return list(db.session.scalars(query))

    return read
