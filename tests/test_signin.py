"""The whole sign-in, over real HTTP, against real OpenID providers."""

from datetime import UTC, datetime, timedelta

import pytest
import requests

from app import db
from app.models import User

from .helpers import forms


def dev_identifier(browser):
    return browser.url("/dev/openid/")


def test_first_sign_in_creates_the_account(browser, users):
    page = browser.sign_in(dev_identifier(browser), username="alice", email="alice@example.com")
    assert page.url == browser.url("/index")
    assert "Hi, alice!" in page.text
    [user] = users()
    assert user.nickname == "alice"
    assert user.openid == browser.url("/dev/openid/id/alice")
    assert user.email == "alice@example.com"


def test_second_sign_in_reuses_the_account(browser, users):
    browser.sign_in(dev_identifier(browser), username="alice")
    browser.submit(browser.get("/logout"))
    page = browser.sign_in(dev_identifier(browser), username="alice")
    assert "Hi, alice!" in page.text
    assert len(users()) == 1


def test_sign_in_with_an_identity_url_skips_choosing_a_username(browser, users):
    approval = browser.start_sign_in(browser.url("/dev/openid/id/bob"))
    assert "You will sign in as <strong>bob</strong>" in approval.text
    page = browser.approve(approval)
    assert "Hi, bob!" in page.text
    assert [u.openid for u in users()] == [browser.url("/dev/openid/id/bob")]


def test_remember_me_sets_a_persistent_remember_cookie(browser):
    browser.sign_in(dev_identifier(browser), username="alice", remember=True)
    cookie = browser.cookie("remember_token")
    assert cookie is not None
    expires = datetime.fromtimestamp(cookie.expires, UTC)
    assert timedelta(days=29) < expires - datetime.now(UTC) <= timedelta(days=30)
    assert cookie.has_nonstandard_attr("HttpOnly")


def test_without_remember_me_no_remember_cookie_is_set(browser):
    browser.sign_in(dev_identifier(browser), username="alice")
    assert browser.cookie("remember_token") is None
    assert browser.cookie("session").expires is None


def test_browser_restart_keeps_the_sign_in_with_remember_me(browser):
    browser.sign_in(dev_identifier(browser), username="alice", remember=True)
    browser.restart()
    page = browser.get("/index")
    assert page.url == browser.url("/index")
    assert "Hi, alice!" in page.text


def test_browser_restart_signs_out_without_remember_me(browser):
    browser.sign_in(dev_identifier(browser), username="alice")
    browser.restart()
    page = browser.get("/index")
    assert page.url.startswith(browser.url("/login"))


def test_logout_ends_the_session_and_the_remember_cookie(browser):
    browser.sign_in(dev_identifier(browser), username="alice", remember=True)
    page = browser.submit(browser.get("/index"), form_index=0)
    assert page.url == browser.url("/login")
    assert "You have been signed out." in page.text
    assert browser.cookie("remember_token") is None
    browser.restart()
    assert browser.get("/index").url.startswith(browser.url("/login"))


def test_next_page_is_honoured_after_sign_in(browser):
    login = browser.get("/index?page=1")
    assert login.url == browser.url("/login?next=%2Findex%3Fpage%3D1")
    page = browser.submit(login, {"openid": dev_identifier(browser)})
    page = browser.approve(page, username="alice")
    assert page.url == browser.url("/index?page=1")


@pytest.mark.parametrize(
    "next_path",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "\\/evil.example/",
        "/\\/evil.example/",
        "///evil.example/",
        "%2F%2Fevil.example/",
        "javascript:alert(1)",
        "/index\r\nLocation: https://evil.example/",
        "/\tevil.example",
        "http:evil.example",
    ],
)
def test_unsafe_next_is_refused(browser, next_path):
    page = browser.sign_in(dev_identifier(browser), username="alice", next_path=next_path)
    assert page.url == browser.url("/index")


def test_a_long_answer_posted_cross_site_is_posted_again_from_the_site(browser):
    long_next = "/index?" + "x" * 2000  # too long an answer for a redirect URL
    approval = browser.start_sign_in(dev_identifier(browser), next_path=long_next)
    answer_page = browser.approve(approval, username="alice")
    assert "data-autosubmit" in answer_page.text  # the provider POSTs the answer
    answer = forms(answer_page)[-1]
    # A SameSite=Lax session cookie is not sent with a cross-site POST.
    cross_site = requests.post(answer.action, data=answer.fields, timeout=30)
    assert "Signing in" in cross_site.text
    page = browser.submit(cross_site)
    assert page.url == browser.url(long_next)
    assert "Hi, alice!" in page.text


def test_a_foreign_referer_is_not_followed(browser):
    login = browser.get("/login")
    evil = {"Referer": "https://evil.example/phish"}
    page = browser.submit(login, {"openid": dev_identifier(browser)}, headers=evil)
    page = browser.approve(page, username="alice", headers=evil)
    assert page.url == browser.url("/index")


def test_cancel_at_the_provider_ends_on_login_with_a_message(browser, users):
    identity = dev_identifier(browser)
    page = browser.approve(browser.start_sign_in(identity), cancel=True)
    assert page.url.startswith(browser.url("/login"))
    assert "You cancelled the sign-in at your provider." in page.text
    assert f'value="{identity}"' in page.text
    assert users() == []


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter your OpenID, or choose a provider below."),
        ("   ", "Enter your OpenID, or choose a provider below."),
        ("not an openid", "An OpenID cannot contain spaces."),
        ("nodots", "That does not look like an OpenID."),
        ("ftp://example.com/me", "Only http:// and https:// OpenIDs are supported."),
        ("javascript:alert(1)", "Only http:// and https:// OpenIDs are supported."),
        ("=example", "XRI i-names are not supported."),
        ("http://example.com:99999/", "That OpenID has an invalid port number."),
        ("http://" + "a" * 2000 + ".example", "That OpenID is too long."),
    ],
)
def test_malformed_identifier_is_refused_next_to_the_field(browser, typed, message):
    page = browser.start_sign_in(typed)
    assert page.status_code == 200
    assert message in page.text
    assert 'class="field-error"' in page.text
    if typed.strip():
        assert f'value="{typed.strip()}"' in page.text


def test_unreachable_host_ends_on_login_with_a_message(browser):
    import socket

    with socket.socket() as closed:  # bound, not listening: connections are refused
        closed.bind(("127.0.0.1", 0))
        identity = f"http://127.0.0.1:{closed.getsockname()[1]}/me"
        page = browser.start_sign_in(identity)
    assert page.url.startswith(browser.url("/login"))
    assert "refused the connection" in page.text
    assert f'value="{identity}"' in page.text


def test_host_that_never_answers_ends_on_login_within_the_timeout(app, browser):
    import socket

    app.config["OPENID_FETCH_TIMEOUT"] = 1
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        identity = f"http://127.0.0.1:{silent.getsockname()[1]}/me"
        page = browser.start_sign_in(identity)
    assert page.url.startswith(browser.url("/login"))
    assert "did not answer in time" in page.text


def test_page_without_openid_ends_on_login_with_a_message(browser, provider):
    identity = f"{provider.url}/plain"
    page = browser.start_sign_in(identity)
    assert page.url.startswith(browser.url("/login"))
    assert f"No OpenID provider was found at {identity}" in page.text
    assert f'value="{identity}"' in page.text


def test_loopback_identifier_is_refused_when_private_networks_are_off(app, browser, provider):
    app.config["OPENID_ALLOW_PRIVATE_NETWORKS"] = False
    identity = provider.identity("mallory")
    page = browser.start_sign_in(identity)
    assert page.url.startswith(browser.url("/login"))
    assert "private or local network" in page.text
    assert provider.hits == []


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">]>
<xrds:XRDS xmlns:xrds="xri://$xrds" xmlns="xri://$xrd*($v*2.0)"><XRD><Service>
<Type>&lol5;</Type><URI>http://127.0.0.1:1/</URI></Service></XRD></xrds:XRDS>"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<xrds:XRDS xmlns:xrds="xri://$xrds" xmlns="xri://$xrd*($v*2.0)"><XRD><Service>
<Type>http://specs.openid.net/auth/2.0/signon</Type><URI>&xxe;</URI></Service></XRD></xrds:XRDS>"""


@pytest.mark.parametrize("document", [BILLION_LAUGHS, EXTERNAL_ENTITY, "<xrds:XRDS><unclosed"])
def test_hostile_xrds_document_ends_on_login_with_a_message(browser, provider, document):
    provider.documents["/hostile"] = (document, "application/xrds+xml")
    identity = f"{provider.url}/hostile"
    page = browser.start_sign_in(identity)
    assert page.url.startswith(browser.url("/login"))
    assert f"No OpenID provider was found at {identity}" in page.text


def test_provider_that_sends_no_email_gets_an_account(browser, provider, users):
    page = browser.start_sign_in(provider.identity("steamer"))
    assert "Hi, steamer!" in page.text
    [user] = users()
    assert user.email is None
    assert user.openid == f"{provider.url}/id/steamer"


def test_require_email_refuses_a_provider_that_sends_none(app, browser, provider, users):
    app.config["OPENID_REQUIRE_EMAIL"] = True
    page = browser.start_sign_in(provider.identity("steamer"))
    assert page.url == browser.url("/login")
    assert "Invalid login" in page.text
    assert users() == []


def test_provider_asserting_another_accounts_email_gets_a_separate_account(
    app, browser, provider, users
):
    browser.sign_in(dev_identifier(browser), username="alice", email="alice@example.com")
    browser.submit(browser.get("/logout"))
    intruder = provider.identity("intruder", email="alice@example.com")
    page = browser.start_sign_in(intruder)
    # The nickname comes from the email, but the account is a new one.
    assert "Hi, alice-2!" in page.text
    alice, other = users()
    assert alice.openid == browser.url("/dev/openid/id/alice")
    assert other.openid == intruder


def test_nickname_taken_by_another_account_gets_a_suffix(app, browser, provider, users):
    browser.sign_in(dev_identifier(browser), username="alice")
    browser.submit(browser.get("/logout"))
    page = browser.start_sign_in(provider.identity("someone", nickname="alice"))
    assert "Hi, alice-2!" in page.text
    assert [u.nickname for u in users()] == ["alice", "alice-2"]


def test_replayed_assertion_signs_nobody_in(browser, provider):
    from .helpers import Browser

    page = browser.start_sign_in(provider.identity("carol"))
    assertion = next(
        r.headers["Location"] for r in page.history if "openid_complete" in r.headers["Location"]
    )
    browser.submit(browser.get("/logout"))
    for replayer in (browser, Browser(browser.base_url)):
        replayed = replayer.session.get(assertion)
        assert replayed.url.startswith(browser.url("/login"))
        assert "expired or was already used" in replayed.text


def test_tampered_assertion_ends_on_login_with_a_message(browser, provider, users):
    to_provider = browser.start_sign_in(provider.identity("dave"), allow_redirects=False)
    assertion = browser.session.get(to_provider.headers["Location"], allow_redirects=False)
    forged = assertion.headers["Location"].replace("%2Fid%2Fdave", "%2Fid%2Feve")
    page = browser.session.get(forged)
    assert page.url.startswith(browser.url("/login"))
    assert "could not be verified" in page.text
    assert f'value="{provider.url}/id/dave"' in page.text
    assert users() == []


def test_sign_in_form_without_a_csrf_token_is_refused(browser, users):
    login = browser.get("/login")
    page = browser.submit(login, {"openid": dev_identifier(browser), "csrf_token": None})
    assert page.status_code == 400
    assert "The sign-in form expired" in page.text
    assert "/dev/openid/" not in page.url


def test_signing_in_starts_a_fresh_session(app, browser):
    @app.route("/plant")
    def plant():
        from flask import session

        session["planted"] = "by a visitor"
        return "planted"

    @app.route("/planted")
    def planted():
        from flask import session

        return session.get("planted", "gone")

    browser.get("/plant")
    browser.sign_in(dev_identifier(browser), username="alice")
    assert browser.get("/planted").text == "gone"


def test_a_deleted_users_cookies_give_an_anonymous_visitor(app, browser):
    browser.sign_in(dev_identifier(browser), username="alice", remember=True)
    with app.app_context():
        db.session.execute(db.delete(User))
        db.session.commit()
    page = browser.get("/index")
    assert page.url.startswith(browser.url("/login"))
    browser.restart()
    page = browser.get("/index")
    assert page.status_code == 200
    assert page.url.startswith(browser.url("/login"))
