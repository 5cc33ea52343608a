"""Proving it is you again before deleting, unlinking or linking: over real
HTTP, with the built-in providers and the tests' own, on both databases."""

import pytest
import sqlalchemy as sa

from app.auth.reauth import PROVED
from app.extensions import db
from app.models import Identity, User

from .helpers import Browser, dev_identifier, forms, submit_form
from .test_oidc import oidc_sign_in, start_oidc

pytestmark = pytest.mark.both_databases


def remembered(browser, sign_in):
    """Sign in with Remember me, then restart the browser: the account is
    signed in again by its remember cookie, and nobody has proved anything."""
    sign_in(remember=True)
    browser.restart()
    return browser


def age_proof(app, browser, seconds):
    """Make this browser's last sign-in ``seconds`` older, in its session cookie."""
    serializer = app.session_interface.get_signing_serializer(app)
    cookie = browser.cookie("session")
    data = serializer.loads(cookie.value)
    data[PROVED]["at"] -= seconds
    cookie.value = serializer.dumps(data)


def delete_account(browser, nickname="alice"):
    return browser.submit(browser.get("/account/delete"), {"nickname": nickname})


def unlink_first(browser):
    """Press Unlink beside the account's first identity."""
    page = browser.get("/account")
    [form] = [f for f in forms(page) if f.action.endswith("/unlink")][:1]
    return browser.session.post(form.action, data=form.fields, timeout=30)


def prove_with(browser, page, identity_id, kind="openid"):
    """Press the reauthentication page's button for identity ``identity_id``."""
    return submit_form(browser, page, f"/account/reauthenticate/{kind}/{identity_id}")


def resume(browser, page):
    """What the browser's script does on the "Continuing" page: post the form."""
    assert "You have proved it is you" in page.text, page.text
    [index] = [i for i, f in enumerate(forms(page)) if not f.action.endswith("/logout")]
    return browser.submit(page, form_index=index)


def identity_ids(app, nickname="alice"):
    with app.app_context():
        return db.session.scalars(
            sa.select(Identity.id).join(User).where(User.nickname == nickname).order_by(Identity.id)
        ).all()


def start_link(browser):
    values = {"openid": dev_identifier(browser)}
    return submit_form(browser, browser.get("/account"), "/account/link/openid", values)


def link_dev_openid(browser, username):
    page = submit_form(
        browser,
        browser.get("/account"),
        "/account/link/openid",
        {"openid": dev_identifier(browser)},
    )
    return browser.approve(page, username=username)


@pytest.fixture
def alice(browser):
    """alice, who signs in with the built-in OpenID 2.0 provider."""
    return lambda **kwargs: browser.sign_in(dev_identifier(browser), username="alice", **kwargs)


def test_a_fresh_sign_in_deletes_without_asking_again(browser, alice, users):
    alice()
    page = delete_account(browser)
    assert "Your account and its posts have been deleted." in page.text
    assert users() == []


def test_a_remembered_session_must_prove_it_is_you_before_deleting(browser, alice, users):
    remembered(browser, alice)
    page = delete_account(browser)
    assert page.url == browser.url("/account/reauthenticate")
    assert "To delete your account, sign in again" in page.text
    assert "Nothing has been changed yet" in page.text
    assert [u.nickname for u in users()] == ["alice"]


def test_the_action_waits_for_the_proof_and_then_runs_once(app, browser, alice, users):
    remembered(browser, alice)
    page = delete_account(browser)
    [identity_id] = identity_ids(app)
    approval = prove_with(browser, page, identity_id)
    assert "asks you to sign in again" in approval.text
    page = browser.approve(approval)
    assert page.url == browser.url("/account/reauthenticate/continue")
    assert [u.nickname for u in users()] == ["alice"]  # not before the browser posts it
    page = resume(browser, page)
    assert "Your account and its posts have been deleted." in page.text
    assert users() == []
    page = browser.get("/account/reauthenticate/continue")
    assert "You have proved it is you" not in page.text


def test_the_continuing_page_posts_the_action_only_once(app, browser, alice):
    alice()
    link_dev_openid(browser, "alice-at-work")
    age_proof(app, browser, app.config["REAUTH_SECONDS"] + 1)
    unlink_first(browser)
    approval = prove_with(browser, browser.get("/account/reauthenticate"), identity_ids(app)[0])
    continuing = browser.approve(approval)
    resume(browser, continuing)
    assert len(identity_ids(app)) == 1
    again = browser.get("/account/reauthenticate/continue")
    assert again.url == browser.url("/account")
    assert len(identity_ids(app)) == 1


def test_a_sign_in_older_than_reauth_seconds_asks_again(app, browser, alice):
    alice()
    link_dev_openid(browser, "alice-at-work")
    age_proof(app, browser, app.config["REAUTH_SECONDS"] + 1)
    page = unlink_first(browser)
    assert "To unlink an identity, sign in again" in page.text
    assert len(identity_ids(app)) == 2


def test_a_sign_in_within_reauth_seconds_is_proof_enough(app, browser, alice):
    alice()
    link_dev_openid(browser, "alice-at-work")
    age_proof(app, browser, app.config["REAUTH_SECONDS"] - 30)
    page = unlink_first(browser)
    assert "OpenID identity unlinked." in page.text


def test_linking_a_new_identity_needs_a_proof(app, browser, alice):
    remembered(browser, alice)
    page = submit_form(
        browser,
        browser.get("/account"),
        "/account/link/openid",
        {"openid": dev_identifier(browser)},
    )
    assert "To link another identity, sign in again" in page.text
    page = browser.approve(prove_with(browser, page, identity_ids(app)[0]))
    approval = resume(browser, page)  # the link starts only now
    assert "Approve sign-in" in approval.text
    page = browser.approve(approval, username="alice-at-work")
    assert "OpenID identity linked." in page.text
    assert len(identity_ids(app)) == 2


def test_the_pending_action_survives_a_failed_proof(app, browser, alice, users):
    remembered(browser, alice)
    page = delete_account(browser)
    page = prove_with(browser, page, identity_ids(app)[0])
    page = browser.approve(page, cancel=True)
    assert page.url == browser.url("/account/reauthenticate")
    assert "You cancelled the sign-in at your provider." in page.text
    assert "To delete your account" in page.text
    page = resume(browser, browser.approve(prove_with(browser, page, identity_ids(app)[0])))
    assert users() == []


def test_cancelling_the_proof_changes_nothing(app, browser, alice, users):
    remembered(browser, alice)
    page = delete_account(browser)
    page = submit_form(browser, page, "/account/reauthenticate/cancel")
    assert "Nothing was changed." in page.text
    assert browser.get("/account/reauthenticate/continue").url == browser.url("/account")
    assert [u.nickname for u in users()] == ["alice"]


def test_another_accounts_identity_proves_nothing(app, browser, users):
    oidc_sign_in(browser, username="bob")
    browser.submit(browser.get("/logout"))
    remembered(browser, lambda **kw: oidc_sign_in(browser, username="alice", **kw))
    page = delete_account(browser)
    approval = prove_with(browser, page, identity_ids(app)[0], "oidc")
    assert "asks you to sign in again" in approval.text
    page = browser.approve(approval, username="bob")  # bob's identity, not alice's
    assert "That identity is not one of this account&#39;s" in page.text
    assert page.url == browser.url("/account/reauthenticate")
    assert sorted(u.nickname for u in users()) == ["alice", "bob"]


def test_the_built_in_oidc_provider_is_asked_to_sign_in_again(app, browser, users):
    remembered(browser, lambda **kw: oidc_sign_in(browser, username="alice", **kw))
    page = delete_account(browser)
    approval = prove_with(browser, page, identity_ids(app)[0], "oidc")
    assert "prompt=login" in approval.url and "max_age=0" in approval.url
    page = resume(browser, browser.approve(approval, username="alice"))
    assert "Your account and its posts have been deleted." in page.text
    assert users() == []


@pytest.fixture
def remembered_at_test_sso(browser, oidc_provider):
    start_oidc(browser, "test-sso", remember=True)
    browser.restart()
    return oidc_provider


def test_an_oidc_provider_that_signs_you_in_again_proves_it(
    app, browser, remembered_at_test_sso, users
):
    page = delete_account(browser)
    page = prove_with(browser, page, identity_ids(app)[0], "oidc")
    asked = remembered_at_test_sso.authorize_args[-1]
    assert (asked["prompt"], asked["max_age"]) == ("login", "0")
    page = resume(browser, page)
    assert "Your account and its posts have been deleted." in page.text
    assert users() == []


@pytest.mark.parametrize(
    ("behaviour", "message"),
    [
        ("ignore", "Test SSO did not say when you signed in"),
        ("stale", "Test SSO did not ask you to sign in again"),
    ],
)
def test_an_oidc_provider_that_does_not_sign_you_in_again_proves_nothing(
    app, browser, remembered_at_test_sso, users, behaviour, message
):
    remembered_at_test_sso.reauth = behaviour
    page = delete_account(browser)
    page = prove_with(browser, page, identity_ids(app)[0], "oidc")
    assert message in page.text
    assert page.url == browser.url("/account/reauthenticate")
    assert "To delete your account" in page.text  # still waiting
    assert [u.nickname for u in users()] == ["alice"]


@pytest.fixture
def remembered_at_provider(browser, provider):
    identity = provider.identity("alice", nickname="alice")
    browser.sign_in(identity, remember=True)
    browser.restart()
    return provider


def test_an_openid_provider_is_asked_by_pape_to_sign_you_in_again(
    app, browser, remembered_at_provider, users
):
    page = delete_account(browser)
    page = prove_with(browser, page, identity_ids(app)[0])
    assert remembered_at_provider.checkids[-1]["openid.pape.max_auth_age"] == "0"
    resume(browser, page)
    assert users() == []


def test_an_openid_provider_without_pape_is_taken_at_its_word(
    app, browser, remembered_at_provider, users
):
    remembered_at_provider.pape = "ignore"
    page = delete_account(browser)
    resume(browser, prove_with(browser, page, identity_ids(app)[0]))
    assert users() == []


@pytest.mark.parametrize(
    ("behaviour", "message"),
    [
        ("stale", "OpenID did not ask you to sign in again"),
        ("no auth_time", "OpenID did not say when you signed in"),
    ],
)
def test_an_openid_provider_whose_pape_answer_is_not_recent_proves_nothing(
    app, browser, remembered_at_provider, users, behaviour, message
):
    remembered_at_provider.pape = behaviour
    page = delete_account(browser)
    page = prove_with(browser, page, identity_ids(app)[0])
    assert message in page.text
    assert [u.nickname for u in users()] == ["alice"]


def test_a_proof_is_no_proof_for_the_next_account_in_the_browser(app, live_server, browser):
    browser.sign_in(dev_identifier(browser), username="alice")
    # bob signs in on another device with Remember me; his remember cookie
    # then reaches this browser, whose session still holds alice's proof.
    laptop = Browser(live_server.url)
    laptop.sign_in(dev_identifier(laptop), username="bob", remember=True)
    browser.submit(browser.get("/logout"))
    remember = laptop.cookie("remember_token")
    browser.session.cookies.set(remember.name, remember.value, domain=remember.domain)
    page = delete_account(browser, "bob")
    assert "To delete your account" in page.text
