import pytest
from flask_login import FlaskLoginClient
from sqlalchemy.orm import selectinload

from app import create_app, db
from app.models import User
from config import TestingConfig

from .helpers import (
    BACKENDS,
    PUBLIC_HOST,
    STRONG_KEY,
    Browser,
    LiveServer,
    missing,
    openid_identity,
)
from .oidc_provider import OIDCTestProvider
from .openid_provider import TestProvider
from .postgres import PostgresServer, postgres_bin


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


@pytest.fixture
def db_backend(request):
    return getattr(request, "param", "sqlite")


@pytest.fixture
def database_url(request, db_backend, tmp_path):
    if db_backend == "postgresql":
        return request.getfixturevalue("postgres").create_database("microblog_test")
    # A file, not :memory:, so the live server's threads share one database.
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def app(tmp_path, monkeypatch, database_url):
    """A new app on its own empty database and OpenID store for every test."""
    monkeypatch.setenv("FLASK_SQLALCHEMY_DATABASE_URI", database_url)
    monkeypatch.setenv("FLASK_OPENID_FS_STORE_PATH", str(tmp_path / "openid"))
    app = create_app(TestingConfig)
    app.test_client_class = FlaskLoginClient
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.drop_all()
        db.engine.dispose()


@pytest.fixture
def production_env(monkeypatch):
    """What the production configuration needs to start: a strong key, the public host."""
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
