"""The account page: identities linked, recent sign-ins, signing out everywhere,
deleting the account. Over real HTTP with the built-in provider, on both
databases."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.auth.openid.store import CLEANUP_INTERVAL, CleanupSchedule
from app.extensions import db
from app.models import Identity, Passkey, Post, SignIn, User, now_utc

from .helpers import Browser, csrf_token, dev_identifier, openids, submit_form

pytestmark = pytest.mark.both_databases


def link(browser, username):
    """Link the built-in provider's identity ``username`` from the account page."""
    page = browser.get("/account")
    page = submit_form(browser, page, "/account/link/openid", {"openid": dev_identifier(browser)})
    return browser.approve(page, username=username)


def sign_out(browser):
    browser.submit(browser.get("/logout"))


def identity_id(app, username):
    with app.app_context():
        return db.session.scalar(
            sa.select(Identity.id).where(Identity.subject.endswith(f"/id/{username}"))
        )


def test_the_account_page_needs_a_sign_in(browser):
    assert browser.get("/account").url.startswith(browser.url("/login"))


def test_the_account_page_lists_the_identity_and_the_sign_in(browser):
    browser.sign_in(dev_identifier(browser), username="alice")
    page = browser.get("/account")
    assert page.status_code == 200
    assert browser.url("/dev/openid/id/alice") in page.text
    assert "<td>OpenID</td><td>127.0.0.1</td>" in page.text


def test_a_linked_identity_signs_in_to_the_same_account(browser, users):
    browser.sign_in(dev_identifier(browser), username="alice")
    page = link(browser, "alice-at-work")
    assert page.url == browser.url("/account")
    assert "identity linked" in page.text
    sign_out(browser)
    page = browser.sign_in(dev_identifier(browser), username="alice-at-work")
    assert "Hi, alice!" in page.text
    [user] = users()
    assert openids(user) == [browser.url(f"/dev/openid/id/{u}") for u in ("alice", "alice-at-work")]


def test_linking_another_accounts_identity_is_refused_and_changes_nothing(browser, users):
    browser.sign_in(dev_identifier(browser), username="bob")
    sign_out(browser)
    browser.sign_in(dev_identifier(browser), username="alice")
    page = link(browser, "bob")
    assert "That identity signs in to another account" in page.text
    assert [(u.nickname, openids(u)) for u in users()] == [
        ("bob", [browser.url("/dev/openid/id/bob")]),
        ("alice", [browser.url("/dev/openid/id/alice")]),
    ]


def test_linking_an_identity_already_on_the_account_says_so(browser, users):
    browser.sign_in(dev_identifier(browser), username="alice")
    page = link(browser, "alice")
    assert "already linked to your account" in page.text
    assert len(openids(users()[0])) == 1


def test_a_new_identity_with_an_accounts_email_gets_an_account_of_its_own(browser, users):
    browser.sign_in(dev_identifier(browser), username="alice", email="alice@example.com")
    sign_out(browser)
    page = browser.sign_in(dev_identifier(browser), username="mallory", email="alice@example.com")
    assert "Hi, mallory!" in page.text
    assert [u.nickname for u in users()] == ["alice", "mallory"]


def test_unlinking_removes_an_identity(app, browser, users):
    browser.sign_in(dev_identifier(browser), username="alice")
    link(browser, "alice-at-work")
    page = browser.get("/account")
    page = submit_form(browser, page, f"/account/identities/{identity_id(app, 'alice')}/unlink")
    assert "identity unlinked" in page.text
    assert openids(users()[0]) == [browser.url("/dev/openid/id/alice-at-work")]
    sign_out(browser)
    assert "Hi, alice!" not in browser.sign_in(dev_identifier(browser), username="alice").text


def test_the_last_identity_cannot_be_unlinked(app, browser, users):
    browser.sign_in(dev_identifier(browser), username="alice")
    page = browser.get("/account")
    assert "/unlink" not in page.text
    page = browser.session.post(
        browser.url(f"/account/identities/{identity_id(app, 'alice')}/unlink"),
        data={"csrf_token": csrf_token(page)},
    )
    assert "This is your only way to sign in, so it stays." in page.text
    assert len(openids(users()[0])) == 1


def test_another_accounts_identity_cannot_be_unlinked(app, browser, users):
    browser.sign_in(dev_identifier(browser), username="bob")
    sign_out(browser)
    browser.sign_in(dev_identifier(browser), username="alice")
    link(browser, "alice-at-work")
    response = browser.session.post(
        browser.url(f"/account/identities/{identity_id(app, 'bob')}/unlink"),
        data={"csrf_token": csrf_token(browser.get("/account"))},
    )
    assert "That identity is not linked to your account." in response.text
    assert [len(openids(u)) for u in users()] == [1, 2]


def test_sign_out_everywhere_ends_every_session_and_remember_cookie(live_server, browser):
    laptop = Browser(live_server.url)
    laptop.sign_in(dev_identifier(laptop), username="alice", remember=True)
    browser.sign_in(dev_identifier(browser), username="alice")
    page = submit_form(browser, browser.get("/account"), "/account/sign-out-everywhere")
    assert "You have been signed out everywhere" in page.text
    assert browser.get("/index").url.startswith(browser.url("/login"))
    assert laptop.get("/index").url.startswith(laptop.url("/login"))
    laptop.restart()  # only the remember cookie is left
    assert laptop.get("/index").url.startswith(laptop.url("/login"))
    page = browser.sign_in(dev_identifier(browser), username="alice")
    assert "Hi, alice!" in page.text


def test_deleting_the_account_needs_its_nickname_typed(browser, users):
    browser.sign_in(dev_identifier(browser), username="alice")
    page = browser.submit(browser.get("/account/delete"), {"nickname": "bob"})
    assert page.status_code == 400
    assert "That is not your nickname; nothing was deleted." in page.text
    assert len(users()) == 1


def test_deleting_the_account_deletes_its_posts_and_identities_and_ends_its_sessions(
    app, live_server, browser, users
):
    browser.sign_in(dev_identifier(browser), username="alice")
    browser.submit(browser.get("/index"), {"post": "my only post"})
    laptop = Browser(live_server.url)
    laptop.sign_in(dev_identifier(laptop), username="alice", remember=True)
    sign_out(browser)
    browser.sign_in(dev_identifier(browser), username="bob")  # someone else's post stays
    browser.submit(browser.get("/index"), {"post": "bob's post"})
    page = laptop.submit(laptop.get("/account/delete"), {"nickname": "alice"})
    assert "Your account and its posts have been deleted." in page.text
    with app.app_context():
        assert db.session.scalars(sa.select(Post.body)).all() == ["bob's post"]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Identity)) == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SignIn)) == 1
    assert [u.nickname for u in users()] == ["bob"]
    laptop.restart()
    assert laptop.get("/index").url.startswith(laptop.url("/login"))
    page = laptop.sign_in(dev_identifier(laptop), username="alice")
    assert "Hi, alice!" in page.text  # a new account


@pytest.mark.both_databases
def test_deleting_the_account_deletes_its_passkeys(app, user, proved_client):
    with app.app_context():
        passkey = Passkey(
            user_id=user.id, credential_id=b"\x01" * 16, public_key=b"k", name="laptop"
        )
        db.session.add(passkey)
        db.session.commit()
    page = proved_client.get("/account/delete")
    proved_client.post(
        "/account/delete", data={"csrf_token": csrf_token(page), "nickname": "alice"}
    )
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Passkey)) == 0


def test_an_abandoned_link_does_not_hijack_the_next_sign_in(browser, users):
    browser.sign_in(dev_identifier(browser), username="alice")
    page = browser.get("/account")
    submit_form(browser, page, "/account/link/openid", {"openid": dev_identifier(browser)})
    sign_out(browser)  # never answered the provider
    page = browser.sign_in(dev_identifier(browser), username="bob")
    assert "Hi, bob!" in page.text
    assert [len(openids(u)) for u in users()] == [1, 1]


def test_sign_ins_older_than_ninety_days_are_not_listed_and_then_forgotten(app, browser, user):
    now = [1000.0]
    app.extensions.setdefault("sign_in_cleanup", CleanupSchedule()).clock = lambda: now[0]
    browser.sign_in(dev_identifier(browser), username="carol")
    long_ago = now_utc() - timedelta(days=91)
    with app.app_context():
        carol = db.session.scalar(sa.select(User).where(User.nickname == "carol"))
        db.session.add_all(
            [
                SignIn(user_id=carol.id, at=long_ago, way_kind="oidc", way_name="Forgotten"),
                SignIn(user_id=user.id, at=long_ago, way_kind="oidc", way_name="Someone else's"),
            ]
        )
        db.session.commit()
    assert "Forgotten" not in browser.get("/account").text
    sign_out(browser)
    now[0] += CLEANUP_INTERVAL  # a sign-in then deletes everyone's
    browser.sign_in(dev_identifier(browser), username="carol")
    with app.app_context():
        ways = [s.way for s in db.session.scalars(sa.select(SignIn).order_by(SignIn.id))]
    assert ways == ["OpenID", "OpenID"]
