"""Rate limits mean what they say: counted once for the whole site, in its
database by default (or in Redis), whichever process or host is asked."""

import re
import threading

import pytest
import requests
import sqlalchemy as sa
from limits import parse

from app.extensions import db, ratelimit
from app.models import Post, RateLimitCounter

from .helpers import csrf_token
from .serving import sign_in


def start_sign_in(client):
    """POST the login form as a browser would (an empty identifier: no provider asked)."""
    token = csrf_token(client.get("/login"))
    return client.post("/login", data={"openid": "", "csrf_token": token})


def use_storage(app, uri: str):
    app.config["RATELIMIT_STORAGE_URI"] = uri
    ratelimit.init_app(app)
    return app


@pytest.fixture(params=["database", "redis"])
def storage_uri(request):
    """Each storage the README offers for several processes and hosts."""
    return "database" if request.param == "database" else request.getfixturevalue("redis_url")


@pytest.mark.both_databases
def test_two_app_instances_on_one_database_share_the_counts(app, other_app, storage_uri):
    clients = [use_storage(instance, storage_uri).test_client() for instance in (app, other_app)]
    statuses = [start_sign_in(clients[i % 2]).status_code for i in range(11)]
    assert statuses[:10] == [200] * 10
    assert statuses[10] == 429


@pytest.mark.both_databases
def test_hits_at_the_same_moment_are_each_counted_once(app):
    limit = parse("50 per minute")
    allowed = []
    start = threading.Barrier(8)

    def hit():
        with app.app_context():
            start.wait(10)
            allowed.extend(app.extensions["ratelimit"].hit(limit, "racer") for _ in range(10))

    threads = [threading.Thread(target=hit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert allowed.count(True) == 50
    with app.app_context():
        assert app.extensions["ratelimit"].get_window_stats(limit, "racer").remaining == 0


@pytest.mark.both_databases
def test_a_new_window_starts_counting_from_one(app):
    limit = parse("2 per minute")
    with app.app_context():
        limiter = app.extensions["ratelimit"]
        assert [limiter.hit(limit, "k") for _ in range(3)] == [True, True, False]
        table = RateLimitCounter.__table__
        with db.engine.begin() as connection:  # as if the minute had passed
            connection.execute(table.update().values(expires=table.c.expires - 61))
        assert [limiter.hit(limit, "k") for _ in range(3)] == [True, True, False]


@pytest.mark.both_databases
def test_cleanup_removes_only_the_windows_that_ended(app):
    with app.app_context():
        storage = app.extensions["ratelimit"].storage
        storage.incr("ended", expiry=60)
        storage.incr("current", expiry=60)
        table = RateLimitCounter.__table__
        with db.engine.begin() as connection:
            connection.execute(
                table.update().where(table.c.key == "ended").values(expires=table.c.expires - 61)
            )
        assert storage.cleanup() == 1
        assert storage.get("current") == 1


# Each request on a connection of its own, as from many browsers, so that
# gunicorn hands it to whichever worker takes it.
NEW_CONNECTION = {"Connection": "close"}


@pytest.mark.both_databases
def test_the_eleventh_sign_in_start_in_a_minute_is_refused_across_workers(
    production_server, db_backend
):
    production = production_server()
    browser = requests.Session()
    token = csrf_token(browser.get(production.url + "/login", timeout=30))
    answers = [
        browser.post(production.url + "/login", data={"openid": "", "csrf_token": token},
                     headers=NEW_CONNECTION, timeout=30)
        for _ in range(11)
    ]  # fmt: skip
    assert [a.status_code for a in answers] == [200] * 10 + [429]
    refused = answers[10]
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert "You are doing that too often" in refused.text
    assert len(production.served_by("POST /login")) > 1


@pytest.mark.both_databases
def test_the_eleventh_post_in_a_minute_is_refused_and_not_stored(
    production_server, db_backend, provider
):
    production = production_server()
    browser, _ = sign_in(production.url, provider.identity("alice"))
    token = csrf_token(browser.get(production.url + "/index", timeout=30))
    answers = [
        browser.post(production.url + "/index", data={"post": f"post {i}", "csrf_token": token},
                     headers=NEW_CONNECTION, allow_redirects=False, timeout=30)
        for i in range(11)
    ]  # fmt: skip
    assert [a.status_code for a in answers] == [302] * 10 + [429]
    assert re.search(r"You are doing that too often", answers[10].text)
    engine = sa.create_engine(production.database_url)
    with engine.connect() as connection:
        bodies = connection.execute(sa.select(Post.__table__.c.body)).scalars().all()
    engine.dispose()
    assert sorted(bodies) == sorted(f"post {i}" for i in range(10))
    assert len(production.served_by("POST /index")) > 1
