"""Passkeys: adding, signing in, proving it is you, renaming, removing; and
every answer the webauthn library must refuse. The browser's half is played
by tests/authenticator.py; Chromium's runs in tests/browser/test_passkeys.py."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.auth import passkeys
from app.auth.passkeys import CEREMONY, CHALLENGE_SECONDS
from app.extensions import db
from app.models import Identity, Passkey, SignIn, User

from .authenticator import UV, SoftAuthenticator, unb64url
from .helpers import (
    STRONG_KEY,
    Browser,
    LiveServer,
    add_user,
    csrf_token,
    forms,
    proved,
    submit_form,
)
from .openid_provider import TestProvider

pytestmark = pytest.mark.both_databases

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def named_host(app):
    """The site's configured name, as a passkey needs: the test client's "localhost"."""
    app.config["TRUSTED_HOSTS"] = ["localhost"]


@pytest.fixture
def authenticator():
    return SoftAuthenticator()


def token(client, path="/account") -> str:
    return csrf_token(client.get(path))


def add_passkey(client, authenticator, name="laptop"):
    """Name a passkey on the account page, make it, and send it back."""
    page = client.post("/account/passkeys/new", data={"csrf_token": token(client), "name": name})
    assert page.status_code == 200, page.text
    options = re.search(r'id="passkey-options">(.*?)</script>', page.text, re.S).group(1)
    credential = authenticator.create(json.loads(options))
    data = {"csrf_token": csrf_token(page), "name": name, "credential": credential}
    return client.post("/account/passkeys", data=data, follow_redirects=True)


def sign_in_options(client) -> dict:
    headers = {"X-CSRFToken": token(client, "/login")}
    return client.post("/login/passkey/options", headers=headers).get_json()


def send_sign_in(client, credential, remember=False, next_path=None):
    data = {"csrf_token": token(client, "/login"), "credential": credential}
    if remember:
        data["remember_me"] = "y"
    query = f"?next={next_path}" if next_path else ""
    return client.post(f"/login/passkey{query}", data=data, follow_redirects=True)


def sign_in(client, authenticator, **kwargs):
    return send_sign_in(client, authenticator.get(sign_in_options(client)), **kwargs)


@pytest.fixture
def with_passkey(proved_client, authenticator):
    """alice, signed in, with the passkey "laptop"."""
    page = add_passkey(proved_client, authenticator)
    assert "Passkey “laptop” added." in page.text, page.text
    return proved_client


def passkeys_of(app) -> list[Passkey]:
    with app.app_context():
        return db.session.scalars(sa.select(Passkey).order_by(Passkey.id)).all()


def test_a_passkey_is_added_named_and_listed_on_the_account_page(app, user, with_passkey):
    page = with_passkey.get("/account").text
    assert '<strong>Passkey</strong> <span class="hint">laptop</span>' in page
    assert "not used yet" in page
    [passkey] = passkeys_of(app)
    assert (passkey.user_id, passkey.name, passkey.transports) == (user.id, "laptop", "internal")


def test_the_first_passkey_gives_the_account_a_random_user_handle(
    app, user, authenticator, with_passkey
):
    with app.app_context():
        handle = db.session.get(User, user.id).webauthn_handle
    assert handle == authenticator.user_handle
    assert len(handle) == 64  # random bytes, WebAuthn's longest, not the account's id


def test_a_passkey_signs_in_to_its_account(app, client, authenticator, with_passkey):
    page = sign_in(client, authenticator)
    assert "Hi, alice!" in page.text
    [passkey] = passkeys_of(app)
    assert passkey.last_used is not None and passkey.sign_count == 1
    with app.app_context():
        last = db.session.scalars(sa.select(SignIn).order_by(SignIn.id.desc())).first()
    assert (last.way_kind, last.way_name) == ("passkey", "laptop")


def test_remember_me_with_a_passkey_sets_the_remember_cookie(client, authenticator, with_passkey):
    sign_in(client, authenticator, remember=True)
    assert client.get_cookie("remember_token") is not None


def test_without_remember_me_a_passkey_sets_no_remember_cookie(client, authenticator, with_passkey):
    sign_in(client, authenticator)
    assert client.get_cookie("remember_token") is None


def test_a_passkey_sign_in_follows_next(client, authenticator, with_passkey):
    page = sign_in(client, authenticator, next_path="/explore")
    assert page.request.path == "/explore"


def test_a_passkey_of_a_disabled_account_does_not_sign_in(
    app, user, client, authenticator, with_passkey
):
    with app.app_context():
        db.session.get(User, user.id).active = False
        db.session.commit()
    page = sign_in(client, authenticator)
    assert "This account has been disabled." in page.text
    assert "Hi, alice!" not in client.get("/index", follow_redirects=True).text


def test_a_passkey_never_makes_an_account(app, client, users):
    page = sign_in(client, SoftAuthenticator())  # a credential no account has
    assert "That passkey is not one of this site" in page.text
    assert [u.nickname for u in users()] == []


@pytest.fixture
def synced(proved_client):
    """A passkey whose sign count stays 0, as synced passkeys' do: the
    challenge, used once, is all that stops a replay."""
    authenticator = SoftAuthenticator(counts=False)
    add_passkey(proved_client, authenticator)
    return authenticator


def test_a_replayed_answer_is_refused(client, synced):
    authenticator = synced
    options = sign_in_options(client)
    before = client.get_cookie("session").value
    answer = authenticator.get(options)
    assert "Hi, alice!" in send_sign_in(client, answer).text
    client.post("/logout", data={"csrf_token": token(client, "/logout")})
    client.set_cookie("session", before)  # the cookie that held the challenge, again
    page = send_sign_in(client, answer)
    assert "That passkey answer was already used." in page.text
    assert "Hi, alice!" not in page.text


def test_an_answer_with_an_old_sign_count_is_refused(client, authenticator, with_passkey):
    answer = authenticator.get(sign_in_options(client))
    authenticator.sign_count = 0  # a cloned authenticator, say
    assert "Hi, alice!" in send_sign_in(client, answer).text
    client.post("/logout", data={"csrf_token": token(client, "/logout")})
    page = send_sign_in(client, authenticator.get(sign_in_options(client)))
    assert "did not verify" in page.text


def test_a_challenge_answered_too_late_is_refused(client, authenticator, with_passkey):
    options = sign_in_options(client)
    with client.session_transaction() as session:
        session[CEREMONY] = {
            **session[CEREMONY],
            "at": session[CEREMONY]["at"] - CHALLENGE_SECONDS - 1,
        }
    page = send_sign_in(client, authenticator.get(options))
    assert "That passkey request timed out." in page.text


def test_tampered_client_data_is_refused(client, authenticator, with_passkey):
    def tamper(client_data):
        return client_data.replace(b'"crossOrigin": false', b'"crossOrigin": false, "x": 1')

    page = send_sign_in(client, authenticator.get(sign_in_options(client), tamper=tamper))
    assert "answer did not verify, so you were not signed in." in page.text


def test_an_answer_made_on_another_origin_is_refused(client, authenticator, with_passkey):
    answer = authenticator.get(sign_in_options(client), origin="http://evil.example")
    page = send_sign_in(client, answer)
    assert "did not verify" in page.text and "Hi, alice!" not in page.text


def test_a_credential_of_another_site_is_refused(client, authenticator, with_passkey):
    answer = authenticator.get(sign_in_options(client), rp_id="evil.example")
    page = send_sign_in(client, answer)
    assert "did not verify" in page.text and "Hi, alice!" not in page.text


def test_an_answer_without_user_verification_is_refused(client, authenticator, with_passkey):
    answer = authenticator.get(sign_in_options(client), flags=0x01)
    assert "did not verify" in send_sign_in(client, answer).text


def test_an_answer_to_no_request_is_refused(client, authenticator, with_passkey):
    options = {"challenge": "bm90LWFza2Vk"}
    page = send_sign_in(client, authenticator.get(options))
    assert "That passkey request was not started here." in page.text


@pytest.mark.parametrize("sent", ["", "not json", '{"id": 1}', "[]", "x" * 20000])
def test_what_no_browser_sends_is_a_sentence(client, sent):
    sign_in_options(client)
    page = send_sign_in(client, sent)
    assert page.status_code == 200
    assert "flash-error" in page.text and "Hi," not in page.text


def test_options_ask_for_a_discoverable_passkey_with_user_verification(proved_client):
    page = proved_client.post(
        "/account/passkeys/new", data={"csrf_token": token(proved_client), "name": "laptop"}
    )
    options = json.loads(re.search(r'id="passkey-options">(.*?)</script>', page.text).group(1))
    assert options["rp"]["id"] == "localhost"
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"


def test_a_passkey_is_added_once(proved_client, authenticator, with_passkey):
    # A browser would refuse, from the options' excludeCredentials; this one does not.
    page = add_passkey(proved_client, authenticator, "again")
    assert "That passkey is already added." in page.text
    assert len(passkeys_of(proved_client.application)) == 1


def test_a_passkey_name_is_required_and_short(proved_client):
    page = proved_client.post(
        "/account/passkeys/new", data={"csrf_token": token(proved_client), "name": " "}
    )
    assert page.status_code == 400 and "Name the passkey" in page.text
    page = proved_client.post(
        "/account/passkeys/new", data={"csrf_token": token(proved_client), "name": "x" * 65}
    )
    assert "at most 64 characters" in page.text


def test_a_passkey_is_renamed(app, with_passkey):
    [passkey] = passkeys_of(app)
    data = {"csrf_token": token(with_passkey), "name": "work laptop"}
    page = with_passkey.post(
        f"/account/passkeys/{passkey.id}/rename", data=data, follow_redirects=True
    )
    assert "Passkey renamed “work laptop”." in page.text
    assert [p.name for p in passkeys_of(app)] == ["work laptop"]


def test_a_removed_passkey_no_longer_signs_in(app, client, authenticator, with_passkey):
    [passkey] = passkeys_of(app)
    data = {"csrf_token": token(with_passkey)}
    page = with_passkey.post(
        f"/account/passkeys/{passkey.id}/remove", data=data, follow_redirects=True
    )
    assert "Passkey “laptop” removed." in page.text
    page = sign_in(client, authenticator)
    assert "That passkey is not one of this site" in page.text


def test_a_passkey_counts_as_a_way_in_and_the_last_one_stays(app, user, with_passkey):
    with app.app_context():
        [identity_id] = db.session.scalars(sa.select(Identity.id)).all()
    data = {"csrf_token": token(with_passkey)}
    page = with_passkey.post(
        f"/account/identities/{identity_id}/unlink", data=data, follow_redirects=True
    )
    assert "identity unlinked" in page.text  # the passkey is left
    assert "Add another way to sign in before you can remove this one." in page.text
    [passkey] = passkeys_of(app)
    page = with_passkey.post(
        f"/account/passkeys/{passkey.id}/remove", data=data, follow_redirects=True
    )
    assert "This is your only way to sign in, so it stays." in page.text
    assert len(passkeys_of(app)) == 1


def test_removing_a_passkey_needs_a_proof_and_the_passkey_gives_it(app, user, authenticator):
    client = app.test_client(user=user)  # signed in long ago: no proof
    add_passkey(proved(client, user), authenticator)
    with client.session_transaction() as session:
        session.pop("reauth_proved")
    [passkey] = passkeys_of(app)
    page = client.post(
        f"/account/passkeys/{passkey.id}/remove",
        data={"csrf_token": token(client)},
        follow_redirects=True,
    )
    assert "To remove a passkey, sign in again" in page.text
    assert "Use a passkey" in page.text
    options = client.post(
        "/account/reauthenticate/passkey/options", headers={"X-CSRFToken": csrf_token(page)}
    ).get_json()
    assert [unb64url(c["id"]) for c in options["allowCredentials"]] == [authenticator.credential_id]
    assert options["userVerification"] == "required"
    data = {"csrf_token": csrf_token(page), "credential": authenticator.get(options)}
    page = client.post("/account/reauthenticate/passkey", data=data, follow_redirects=True)
    assert "You have proved it is you" in page.text
    [form] = [f for f in forms(page) if f.action.endswith("/remove")]
    page = client.post(form.action, data=form.fields, follow_redirects=True)
    assert "Passkey “laptop” removed." in page.text


def test_another_accounts_passkey_proves_nothing(app, user, authenticator):
    bob = add_user(app, "bob")
    bobs = app.test_client(user=bob)
    add_passkey(proved(bobs, bob), authenticator)
    alices = app.test_client(user=user)
    mine = SoftAuthenticator()
    add_passkey(proved(alices, user), mine)
    with alices.session_transaction() as session:
        session.pop("reauth_proved")
    page = alices.get("/account/reauthenticate")
    options = alices.post(
        "/account/reauthenticate/passkey/options", headers={"X-CSRFToken": csrf_token(page)}
    ).get_json()
    data = {"csrf_token": csrf_token(page), "credential": authenticator.get(options)}  # bob's
    page = alices.post("/account/reauthenticate/passkey", data=data, follow_redirects=True)
    assert "That passkey is not one of this account" in page.text


def test_without_a_configured_host_name_passkeys_are_off_and_say_why(app, user_client):
    app.config["TRUSTED_HOSTS"] = None
    page = user_client.get("/account").text
    assert "Passkeys are off" in page and 'action="/account/passkeys/new"' not in page
    assert "Sign in with a passkey" not in app.test_client().get("/login").text


def unavailable_at(app, url, **headers):
    with app.test_request_context(base_url=url, headers=headers):
        return passkeys.unavailable()


def test_an_ip_address_is_no_rp_id(app):
    app.config["TRUSTED_HOSTS"] = ["127.0.0.1"]
    reason = unavailable_at(app, "http://127.0.0.1:5000")
    assert reason == (
        "Passkeys are off: they need a site name, and this site is configured as 127.0.0.1."
    )


def test_on_another_address_the_page_says_where_passkeys_work(app):
    app.config["TRUSTED_HOSTS"] = ["localhost", "127.0.0.1"]
    reason = unavailable_at(app, "http://127.0.0.1:5000")
    assert (
        reason
        == "Passkeys work at http://localhost:5000, the site's own name, not at this address."
    )
    assert unavailable_at(app, "http://localhost:5000") is None


def test_the_rp_id_is_the_configured_name_whatever_the_host_header(app):
    app.config["TRUSTED_HOSTS"] = None
    app.config["SERVER_NAME"] = "microblog.example"
    with app.test_request_context(base_url="http://evil.example"):
        rp = passkeys.relying_party()
    assert (rp.id, rp.origin) == ("microblog.example", "http://microblog.example")


def test_a_passkey_made_with_user_verification_off_is_refused(proved_client):
    authenticator = SoftAuthenticator()
    original = authenticator.authenticator_data

    def without_uv(rp_id, flags, attested=b""):
        return original(rp_id, flags & ~UV, attested)

    authenticator.authenticator_data = without_uv
    page = add_passkey(proved_client, authenticator)
    assert "did not verify, so no passkey was added" in page.text


def test_make_runs_configuration_has_passkeys_at_localhost_only(tmp_path):
    from app import create_app
    from config import DevelopmentConfig

    class Development(DevelopmentConfig):
        SECRET_KEY = STRONG_KEY
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'app.db'}"

    app = create_app(Development)
    with app.test_request_context(base_url="http://localhost:5000"):
        rp = passkeys.relying_party()
    assert (rp.id, rp.origin) == ("localhost", "http://localhost:5000")
    assert unavailable_at(app, "http://127.0.0.1:5000") == (
        "Passkeys work at http://localhost:5000, the site's own name, not at this address."
    )


LAZY_IMPORT = """
import sys
from app import create_app
from config import TestingConfig

class Config(TestingConfig):
    TRUSTED_HOSTS = ["localhost"]

app = create_app(Config)
client = app.test_client()
page = client.get("/login")
assert "Sign in with a passkey" in page.text
print("webauthn" in sys.modules)
"""


def test_pages_that_offer_passkeys_do_not_load_the_webauthn_library():
    # 14 MB per worker, for the ceremonies only.
    done = subprocess.run(
        [sys.executable, "-c", LAZY_IMPORT], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "False"


def test_with_the_provider_gone_the_passkey_still_signs_in(app, users):
    """Over real HTTP: alice signs in with her OpenID provider, adds a passkey;
    the provider closes for good; the passkey still gets her in."""
    with LiveServer(app, host="localhost") as server:
        browser = Browser(server.url)
        laptop = SoftAuthenticator(origin=server.url)
        with TestProvider() as provider:
            browser.sign_in(provider.identity("alice", nickname="alice"))
            page = browser.get("/account")
            values = {"name": "laptop"}
            page = submit_form(browser, page, "/account/passkeys/new", values)
            options = re.search(r'id="passkey-options">(.*?)</script>', page.text).group(1)
            values = {"credential": laptop.create(json.loads(options))}
            page = submit_form(browser, page, "/account/passkeys", values)
            assert "Passkey “laptop” added." in page.text
            browser.submit(browser.get("/logout"))
        page = browser.get("/login")
        options = browser.session.post(
            browser.url("/login/passkey/options"), headers={"X-CSRFToken": csrf_token(page)}
        ).json()
        data = {"csrf_token": csrf_token(page), "credential": laptop.get(options)}
        page = browser.session.post(browser.url("/login/passkey"), data=data)
        assert "Hi, alice!" in page.text
        assert [u.nickname for u in users()] == ["alice"]


def test_a_click_before_the_script_is_ready_is_told_what_passkeys_need(client):
    # The form posted by the browser itself: no options asked, no answer.
    page = send_sign_in(client, "")
    assert "Your browser sent no passkey. Passkeys need a browser that supports them" in page.text
