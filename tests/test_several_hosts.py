"""Two app instances, one PostgreSQL database, as behind a load balancer."""

import logging
import threading
from urllib.parse import urlsplit, urlunsplit

import pytest
import sqlalchemy as sa

from app import create_app
from app.cli import init_db
from app.extensions import db
from app.models import User
from config import TestingConfig

from .helpers import Browser, LiveServer, openids

PUBLIC = "microblog.lb"  # the name both hosts serve, as a load balancer's


@pytest.fixture
def hosts(postgres, monkeypatch, tmp_path):
    monkeypatch.setenv("FLASK_SQLALCHEMY_DATABASE_URI", postgres.create_database("hosts"))
    monkeypatch.setenv("FLASK_OPENID_STORE", "database")
    monkeypatch.setenv("FLASK_SERVER_NAME", PUBLIC)
    monkeypatch.setenv("FLASK_SIGNIN_RATE_LIMIT", "10000 per minute")
    apps = []
    for name in "ab":  # separate file stores: only the database is shared
        monkeypatch.setenv("FLASK_OPENID_FS_STORE_PATH", str(tmp_path / name))
        apps.append(create_app(TestingConfig))
    with apps[0].app_context():
        init_db()
    with LiveServer(apps[0]) as a, LiveServer(apps[1]) as b:
        yield a, b
    for app in apps:
        with app.app_context():
            db.engine.dispose()


def to_host(url: str, host: LiveServer) -> str:
    """``url`` on the public name, sent to one host, as the balancer would."""
    return urlunsplit(urlsplit(url)._replace(scheme="http", netloc=urlsplit(host.url).netloc))


def start(browser, identity) -> str:
    """Start a sign-in on the browser's host; return the provider's answer URL."""
    to_provider = browser.start_sign_in(identity, allow_redirects=False).headers["Location"]
    return browser.session.get(to_provider, allow_redirects=False).headers["Location"]


def finish(browser, answer, host):
    page = browser.session.get(to_host(answer, host), allow_redirects=False)
    if page.is_redirect and page.headers["Location"].startswith("/"):
        page = browser.session.get(host.url + page.headers["Location"])
    return page


def test_a_sign_in_started_on_one_host_completes_on_the_other(hosts, provider):
    a, b = hosts
    browser = Browser(a.url)
    answer = start(browser, provider.identity("alice"))
    page = finish(browser, answer, b)
    assert "Hi, alice!" in page.text
    # B checked the signature with the association A made: it asked the
    # provider nothing (with separate stores it would call check_authentication).
    assert provider.hits.count("/endpoint") == 2  # A's associate, the browser's request


def test_an_answer_used_on_one_host_is_refused_on_the_other(hosts, provider, caplog):
    caplog.set_level(logging.INFO, logger="app")
    a, b = hosts
    browser = Browser(a.url)
    answer = start(browser, provider.identity("alice"))
    assert "Hi, alice!" in finish(browser, answer, a).text
    browser.submit(browser.get("/logout"))
    start(browser, provider.identity("alice"))  # a new sign-in waits on B's side too
    page = finish(browser, answer, b)
    assert "Hi, alice!" not in page.text
    assert any("Nonce already used" in r.getMessage() for r in caplog.records)


def test_many_simultaneous_first_sign_ins_across_two_hosts(hosts, provider):
    a, b = hosts
    people = 12
    identities = [provider.identity(f"person{i}", nickname="alice") for i in range(people)]
    identities += identities  # everyone signs in twice at once, once from each host
    barrier = threading.Barrier(len(identities))
    pages = [None] * len(identities)

    def sign_in(i, identity):
        first, second = (a, b) if i % 2 else (b, a)
        browser = Browser(first.url)
        browser.get("/login")
        barrier.wait(timeout=30)
        try:
            pages[i] = finish(browser, start(browser, identity), second)
        except Exception as error:  # reported by the assertion below
            pages[i] = error

    threads = [threading.Thread(target=sign_in, args=(i, x)) for i, x in enumerate(identities)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    assert [page for page in pages if not hasattr(page, "status_code")] == []
    assert [(page.status_code, page.url) for page in pages if page.status_code != 200] == []
    assert all("Hi, alice" in page.text for page in pages)
    app = a.server.app
    with app.app_context():
        accounts = db.session.scalars(sa.select(User)).all()
        assert sorted(i for u in accounts for i in openids(u)) == sorted(set(identities))
        assert len({u.nickname for u in accounts}) == people
