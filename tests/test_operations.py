"""Running the site: health checks, a database outage, reverse proxies."""

import gc
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from app import create_app
from app.cli import init_db
from app.extensions import db
from app.models import Post, User
from config import TestingConfig

from .helpers import SignedInClient, csrf_token


def test_healthz_answers_200_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


@pytest.fixture
def outage_client(own_postgres, monkeypatch, tmp_path):
    """A client signed in as alice, on an app whose PostgreSQL server the test
    may stop and start."""
    monkeypatch.setenv("FLASK_SQLALCHEMY_DATABASE_URI", own_postgres.create_database("outage"))
    monkeypatch.setenv("FLASK_OPENID_FS_STORE_PATH", str(tmp_path))
    app = create_app(TestingConfig)
    app.test_client_class = SignedInClient
    with app.app_context():
        init_db()
        user = User(nickname="alice")
        db.session.add(user)
        db.session.commit()
        client = app.test_client(user=db.session.get(User, user.id))
    yield client
    with app.app_context():
        db.engine.dispose()
    # The pool's connections die with the server; psycopg warns when such a
    # connection object is collected. Collect them here, where that is expected.
    gc.collect()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_database_outage_gives_503_pages_and_the_site_recovers_by_itself(
    outage_client, own_postgres
):
    client = outage_client
    token = csrf_token(client.get("/index"))

    own_postgres.stop()
    for response in (
        client.get("/index"),
        client.post("/index", data={"post": "lost?", "csrf_token": token}),
    ):
        assert response.status_code == 503
        assert response.headers["Retry-After"].isdigit()
        assert "The site is briefly unavailable." in response.text
        assert "Traceback" not in response.text and "psycopg" not in response.text
    assert client.get("/healthz").status_code == 503

    own_postgres.start()
    assert client.get("/healthz").status_code == 200
    assert "Hi, alice!" in client.get("/index").text
    with client.application.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Post.id))) == 0  # nothing half-written


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_the_first_page_after_a_database_restart_is_served_on_a_new_connection(
    outage_client, own_postgres
):
    # Every thread's pooled connection was opened before the restart.
    assert "Hi, alice!" in outage_client.get("/index").text
    own_postgres.stop()
    own_postgres.start()
    assert "Hi, alice!" in outage_client.get("/index").text
    assert outage_client.get("/healthz").status_code == 200


@pytest.fixture
def proxied_app(monkeypatch, tmp_path):
    monkeypatch.setenv("FLASK_PROXY_HOPS", "1")
    monkeypatch.setenv("FLASK_SQLALCHEMY_DATABASE_URI", f"sqlite:///{tmp_path / 'p.db'}")
    monkeypatch.setenv("FLASK_OPENID_FS_STORE_PATH", str(tmp_path))
    app = create_app(TestingConfig)
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.engine.dispose()  # else its SQLite connections are left for the garbage collector


def test_behind_a_proxy_return_urls_use_the_public_scheme_and_host(proxied_app, provider):
    client = proxied_app.test_client()
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "microblog.example"}
    token = csrf_token(client.get("/login", headers=forwarded))
    response = client.post(
        "/login",
        data={"openid": provider.identity("alice"), "csrf_token": token},
        headers=forwarded,
    )
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert query["openid.realm"] == ["https://microblog.example/"]
    assert query["openid.return_to"][0].startswith("https://microblog.example/login?")


def test_behind_a_proxy_rate_limits_count_each_client_address(proxied_app):
    proxied_app.config["SIGNIN_RATE_LIMIT"] = "2 per minute"
    client = proxied_app.test_client()

    def attempt(address):
        return client.post("/login", data={"openid": ""}, headers={"X-Forwarded-For": address})

    assert [attempt("203.0.113.7").status_code for _ in range(3)][-1] == 429
    assert attempt("203.0.113.8").status_code != 429
