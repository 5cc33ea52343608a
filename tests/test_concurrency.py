"""Simultaneous first sign-ins, on SQLite and PostgreSQL."""

import re
import threading
from datetime import UTC, datetime

import pytest

from app.auth import accounts
from app.auth.accounts import Claim, find_or_create_user
from app.extensions import db
from app.models import Identity, User

from .helpers import Browser, csrf_token, openids

pytestmark = pytest.mark.both_databases
ALICE = "https://openid.example/alice"


def insert_user(nickname, openid):
    """Insert a user through a connection of its own, as another request would."""
    now = datetime.now(UTC)
    with db.engine.begin() as connection:
        [user_id] = connection.execute(
            User.__table__.insert().values(nickname=nickname, created=now, active=True)
        ).inserted_primary_key
        connection.execute(
            Identity.__table__.insert().values(
                user_id=user_id,
                kind="openid",
                issuer="",
                subject=openid,
                provider="OpenID",
                created=now,
            )
        )


def test_the_loser_of_a_race_for_one_identity_takes_the_winners_account(app, monkeypatch):
    real = accounts.unique_nickname

    def racing(base):
        insert_user("winner", ALICE)  # between our lookup and our insert
        return real(base)

    monkeypatch.setattr(accounts, "unique_nickname", racing)
    with app.app_context():
        user = find_or_create_user(Claim("openid", "", ALICE, "OpenID", "alice"))
        assert user.nickname == "winner"
        assert db.session.scalar(db.select(db.func.count(User.id))) == 1


def test_the_loser_of_a_race_for_a_nickname_gets_the_next_one(app, monkeypatch):
    real = accounts.unique_nickname
    raced = []

    def racing(base):
        nickname = real(base)
        if not raced:
            raced.append(nickname)
            insert_user(nickname, "https://elsewhere.example/alice")
        return nickname

    monkeypatch.setattr(accounts, "unique_nickname", racing)
    with app.app_context():
        user = find_or_create_user(Claim("openid", "", ALICE, "OpenID", "alice"))
        assert (raced, user.nickname) == (["alice"], "alice-2")


def test_a_nickname_that_keeps_being_taken_gets_a_random_suffix(app, monkeypatch):
    with app.app_context():
        insert_user("alice", "https://elsewhere.example/alice")
        # As if every other racer always took the next free nickname first.
        monkeypatch.setattr(accounts, "unique_nickname", lambda base: "alice")
        user = find_or_create_user(Claim("openid", "", ALICE, "OpenID", "alice"))
        assert openids(db.session.get(User, user.id)) == [ALICE]
        assert re.fullmatch(r"alice-\d{1,6}", user.nickname)


def sign_in_all_at_once(base_urls, identities) -> list:
    """Sign in with each identity from its own browser, all released at once."""
    barrier = threading.Barrier(len(identities))
    pages = [None] * len(identities)

    def sign_in(i, identity):
        browser = Browser(base_urls[i % len(base_urls)])
        login = browser.get("/login")
        barrier.wait(timeout=30)
        pages[i] = browser.submit(login, {"openid": identity})

    threads = [threading.Thread(target=sign_in, args=(i, x)) for i, x in enumerate(identities)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return pages


@pytest.fixture
def unlimited(app):
    app.config["SIGNIN_RATE_LIMIT"] = "10000 per minute"  # every browser is 127.0.0.1


def test_simultaneous_first_sign_ins_of_one_identity_create_one_account(
    unlimited, live_server, provider, users
):
    identity = provider.identity("alice", nickname="alice")
    pages = sign_in_all_at_once([live_server.url], [identity] * 6)
    assert all(page.status_code == 200 and "Hi, alice!" in page.text for page in pages)
    assert [openids(u) for u in users()] == [[identity]]


def test_new_people_wanting_one_nickname_at_once_all_get_accounts(
    unlimited, live_server, provider, users
):
    identities = [provider.identity(f"person{i}", nickname="alice") for i in range(6)]
    pages = sign_in_all_at_once([live_server.url], identities)
    assert all(page.status_code == 200 and "Hi, alice" in page.text for page in pages)
    accounts_made = users()
    assert sorted(i for u in accounts_made for i in openids(u)) == sorted(identities)
    assert len({u.nickname for u in accounts_made}) == 6
    assert "alice" in {u.nickname for u in accounts_made}


def test_simultaneous_first_openid_connect_sign_ins_share_one_client_safely(
    unlimited, live_server, oidc_provider, users
):
    # The app's first sign-ins with this provider: Authlib's client, its
    # discovery document and keys are all made by these racing threads.
    barrier = threading.Barrier(12)
    pages = [None] * 12

    def sign_in(i):
        browser = Browser(live_server.url)
        token = csrf_token(browser.get("/login"))
        barrier.wait(timeout=30)
        pages[i] = browser.session.post(
            browser.url("/login/oidc/test-sso"), data={"csrf_token": token}, timeout=30
        )

    threads = [threading.Thread(target=sign_in, args=(i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert [page.url for page in pages] == [live_server.url + "/index"] * 12
    assert all("Hi, alice" in page.text for page in pages)
    [account] = users()
    assert [i.subject for i in account.identities] == [oidc_provider.subject]
