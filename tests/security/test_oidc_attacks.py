"""OpenID Connect: every check on the provider's answer, proved by a test
provider that gets one thing wrong at a time; and the defences of the
OpenID 2.0 path (CSRF, open redirect, unsolicited answers) on this path."""

from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest

from ..helpers import Browser, csrf_token
from ..test_oidc import start_oidc

VERIFICATION = "Test SSO's answer could not be verified, so you were not signed in."


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("wrong signature", VERIFICATION),
        ("wrong audience", VERIFICATION),
        ("wrong issuer", VERIFICATION),
        ("expired", VERIFICATION),
        ("unknown kid", VERIFICATION),
        ("alg none", VERIFICATION),
        ("no id token", "Test SSO sent no ID token, so you were not signed in."),
        ("discovery issuer", "its discovery document names another issuer"),
        ("denied", "You cancelled the sign-in at Test SSO."),
    ],
)
def test_a_bad_answer_signs_nobody_in(browser, oidc_provider, users, mode, message):
    oidc_provider.mode = mode
    page = start_oidc(browser, "test-sso")
    assert page.status_code == 200
    assert page.url == browser.url("/login")
    assert message in unescape(page.text)
    assert users() == []
    assert browser.get("/index").url.startswith(browser.url("/login"))


def test_an_unknown_kid_makes_the_client_fetch_the_keys_again_once(browser, oidc_provider):
    oidc_provider.mode = "unknown kid"
    start_oidc(browser, "test-sso")
    assert oidc_provider.hits.count("/jwks") == 2


def test_an_id_token_replayed_from_an_earlier_sign_in_is_refused(browser, oidc_provider, users):
    start_oidc(browser, "test-sso")  # a good sign-in; the provider keeps its ID token
    browser.submit(browser.get("/logout"))
    oidc_provider.mode = "replay"
    page = start_oidc(browser, "test-sso")
    assert VERIFICATION in unescape(page.text)  # its nonce belongs to the first sign-in
    assert browser.get("/index").url.startswith(browser.url("/login"))


def answer_url(browser, oidc_provider) -> str:
    """Start a sign-in and stop where the provider sends the browser back."""
    page = browser.get("/login")
    response = browser.session.post(
        browser.url("/login/oidc/test-sso"),
        data={"csrf_token": csrf_token(page)},
        allow_redirects=False,
    )
    response = browser.session.get(response.headers["Location"], allow_redirects=False)
    return response.headers["Location"]


def test_an_answer_for_a_sign_in_started_in_another_browser_is_refused(
    live_server, browser, oidc_provider, users
):
    # The attacker starts a sign-in and gets the victim's browser to finish it.
    attacker = Browser(live_server.url)
    url = answer_url(attacker, oidc_provider)
    page = browser.session.get(url)
    assert "That sign-in was not started in this browser" in page.text
    assert users() == []


def test_a_changed_state_is_refused(browser, oidc_provider, users):
    url = answer_url(browser, oidc_provider)
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    page = browser.session.get(
        parts._replace(query=f"code={query['code'][0]}&state=forged").geturl()
    )
    assert "That sign-in was not started in this browser" in page.text
    assert users() == []


def test_an_answer_is_used_once(browser, oidc_provider, users):
    url = answer_url(browser, oidc_provider)
    assert "Hi, alice!" in browser.session.get(url).text
    browser.submit(browser.get("/logout"))
    page = browser.session.get(url)
    assert "That sign-in was not started in this browser" in page.text


@pytest.mark.parametrize("query", ["", "?code=x", "?state=x", "?error=server_error&state=x"])
def test_a_callback_without_a_started_sign_in_gets_a_message(browser, oidc_provider, query):
    page = browser.get(f"/login/oidc/test-sso/callback{query}")
    assert page.status_code == 200
    assert page.url == browser.url("/login")


def test_an_unknown_provider_key_is_not_found(browser):
    assert browser.get("/login/oidc/nobody/callback").status_code == 404
    page = browser.get("/login")
    response = browser.session.post(
        browser.url("/login/oidc/nobody"), data={"csrf_token": csrf_token(page)}
    )
    assert response.status_code == 404


def test_starting_a_sign_in_needs_the_forms_csrf_token(browser, oidc_provider):
    browser.get("/login")
    response = browser.session.post(browser.url("/login/oidc/test-sso"), allow_redirects=False)
    assert response.status_code == 400
    assert "The form has expired" in response.text
    assert "/authorize" not in oidc_provider.hits


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example"])
def test_next_cannot_leave_the_site_after_an_oidc_sign_in(browser, oidc_provider, target):
    page = start_oidc(browser, "test-sso", next_path=target)
    assert page.url == browser.url("/index")


@pytest.mark.parametrize(
    ("sub", "message"),
    [
        ("x" * 256, "Test SSO sent an unusable identity"),
        ("ünïcode", "Test SSO sent an unusable identity"),
        (42, VERIFICATION),  # not a string: the token's claims are invalid
    ],
)
def test_an_unusable_subject_is_refused(browser, oidc_provider, users, sub, message):
    oidc_provider.claims = {**oidc_provider.claims, "sub": sub}
    page = start_oidc(browser, "test-sso")
    assert message in unescape(page.text)
    assert users() == []


def test_claims_of_the_wrong_type_are_ignored(browser, oidc_provider, users):
    oidc_provider.claims = {"preferred_username": ["alice"], "email": {"a": 1}, "name": 7}
    page = start_oidc(browser, "test-sso")
    assert "Hi, user!" in page.text
    [user] = users()
    assert user.email is None


@pytest.mark.parametrize(
    ("advertised", "iss"),
    [
        (True, None),  # it says it sends iss, and this answer has none
        (True, "https://elsewhere.example"),
        (False, "https://elsewhere.example"),  # not advertised, and still wrong
    ],
)
def test_an_answer_with_a_missing_or_wrong_iss_is_refused(
    browser, oidc_provider, users, advertised, iss
):
    oidc_provider.advertise_iss = advertised
    oidc_provider.iss = iss
    page = start_oidc(browser, "test-sso")
    assert page.url == browser.url("/login")
    assert "That answer did not come from Test SSO, so you were not signed in." in page.text
    assert users() == []
    assert "/token" not in oidc_provider.hits  # refused before the code was used


@pytest.mark.parametrize("advertised", [True, False])
def test_an_answer_with_the_providers_iss_signs_in(browser, oidc_provider, advertised):
    oidc_provider.advertise_iss = advertised
    oidc_provider.iss = oidc_provider.url
    assert "Hi, alice!" in start_oidc(browser, "test-sso").text
