"""OpenID Connect sign-in over real HTTP: the built-in provider (Authlib's
authorization server) and, for what a provider can get wrong, a test
provider in tests/oidc_provider.py."""

from urllib.parse import quote

import pytest

from .helpers import csrf_token, dev_identifier, openids

pytestmark = pytest.mark.both_databases


def start_oidc(browser, key="dev", remember=False, next_path=None):
    """Press the OpenID Connect button ``key`` on the login page."""
    page = browser.get("/login", params={"next": next_path} if next_path else None)
    data = {"csrf_token": csrf_token(page)}
    if remember:
        data["remember_me"] = "y"
    params = {"next": next_path} if next_path else None
    return browser.session.post(browser.url(f"/login/oidc/{key}"), data=data, params=params)


def oidc_sign_in(browser, username="alice", email=None, **kwargs):
    page = start_oidc(browser, **kwargs)
    assert "Approve sign-in" in page.text, page.text
    return browser.approve(page, username=username, email=email)


def test_signing_in_with_the_built_in_provider_creates_an_account(browser, users):
    page = oidc_sign_in(browser, username="alice", email="alice@example.com")
    assert page.url == browser.url("/index")
    assert "Hi, alice!" in page.text
    [user] = users()
    [identity] = user.identities
    assert (identity.kind, identity.issuer, identity.subject) == (
        "oidc",
        browser.url("/dev/oidc"),
        "alice",
    )
    assert user.email == "alice@example.com"
    assert openids(user) == []


def test_a_returning_person_keeps_their_account(browser, users):
    oidc_sign_in(browser, username="alice")
    browser.submit(browser.get("/logout"))
    page = oidc_sign_in(browser, username="alice")
    assert "Hi, alice!" in page.text
    assert len(users()) == 1


def test_the_login_page_has_a_button_per_provider(browser, oidc_provider):
    page = browser.get("/login")
    assert 'formaction="/login/oidc/dev"' in page.text
    assert 'formaction="/login/oidc/test-sso"' in page.text
    assert "Test SSO</button>" in page.text


def test_any_standard_issuer_works_by_its_discovery_document(browser, oidc_provider, users):
    page = start_oidc(browser, "test-sso")
    assert page.url == browser.url("/index")
    assert "Hi, alice!" in page.text
    [user] = users()
    [identity] = user.identities
    assert (identity.issuer, identity.subject, identity.provider) == (
        oidc_provider.url,
        oidc_provider.subject,
        "Test SSO",
    )
    assert oidc_provider.hits[:2] == ["/.well-known/openid-configuration", "/authorize"]


def test_one_subject_at_two_issuers_is_two_people(browser, oidc_provider, users):
    oidc_provider.subject = "alice"  # the built-in provider's subject for alice
    start_oidc(browser, "test-sso")
    browser.submit(browser.get("/logout"))
    oidc_sign_in(browser, username="alice")
    assert [u.nickname for u in users()] == ["alice", "alice-2"]


def test_remember_me_keeps_an_oidc_sign_in_across_a_browser_restart(browser):
    oidc_sign_in(browser, username="alice", remember=True)
    assert browser.cookie("remember_token") is not None
    browser.restart()
    assert "Hi, alice!" in browser.get("/index").text


def test_without_remember_me_a_browser_restart_signs_out(browser):
    oidc_sign_in(browser, username="alice")
    assert browser.cookie("remember_token") is None
    browser.restart()
    assert browser.get("/index").url.startswith(browser.url("/login"))


def test_next_is_followed_after_an_oidc_sign_in(browser):
    page = oidc_sign_in(browser, username="alice", next_path="/account")
    assert page.url == browser.url("/account")


def test_cancelling_at_the_provider_says_so(browser, users):
    page = start_oidc(browser)
    page = browser.approve(page, cancel=True)
    assert page.url == browser.url("/login")
    assert "You cancelled the sign-in at Built-in OpenID Connect (development)." in page.text
    assert users() == []


def test_an_oidc_identity_links_to_an_openid_account_and_either_signs_in(browser, users):
    browser.sign_in(dev_identifier(browser), username="alice")
    page = browser.get("/account")
    page = browser.session.post(
        browser.url("/account/link/oidc/dev"), data={"csrf_token": csrf_token(page)}
    )
    page = browser.approve(page, username="alice-sso")
    assert page.url == browser.url("/account")
    assert "Built-in OpenID Connect (development) identity linked." in page.text
    browser.submit(browser.get("/logout"))
    assert "Hi, alice!" in oidc_sign_in(browser, username="alice-sso").text
    browser.submit(browser.get("/logout"))
    assert "Hi, alice!" in browser.sign_in(dev_identifier(browser), username="alice").text
    [user] = users()
    assert sorted(i.kind for i in user.identities) == ["oidc", "openid"]


def test_a_failed_link_goes_back_to_the_account_page(browser, oidc_provider, users):
    browser.sign_in(dev_identifier(browser), username="alice")
    oidc_provider.mode = "expired"
    page = browser.session.post(
        browser.url("/account/link/oidc/test-sso"),
        data={"csrf_token": csrf_token(browser.get("/account"))},
    )
    assert page.url == browser.url("/account")
    assert "could not be verified" in page.text
    assert len(users()[0].identities) == 1


def test_a_provider_that_cannot_be_reached_gets_a_message(app, browser):
    app.config["OIDC_PROVIDERS"] = [
        {"name": "Gone", "issuer": "http://127.0.0.1:9", "client_id": "c", "client_secret": "s"}
    ]
    page = start_oidc(browser, "gone")
    assert page.url == browser.url("/login")
    assert "Could not reach Gone. Try again later." in page.text


def authorize_params(browser, **changes):
    params = {
        "client_id": "microblog-dev",
        "response_type": "code",
        "redirect_uri": browser.url("/login/oidc/dev/callback"),
        "scope": "openid",
        "state": "s",
        "nonce": "n",
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method": "S256",
    }
    params.update(changes)
    return {k: v for k, v in params.items() if v is not None}


def test_the_built_in_provider_publishes_a_discovery_document_and_keys(browser):
    document = browser.get("/dev/oidc/.well-known/openid-configuration").json()
    assert document["issuer"] == browser.url("/dev/oidc")
    assert document["code_challenge_methods_supported"] == ["S256"]
    [key] = browser.get(document["jwks_uri"].removeprefix(browser.url(""))).json()["keys"]
    assert key["kty"] == "RSA" and "d" not in key


def test_the_built_in_provider_sends_nobody_to_another_site(browser):
    params = authorize_params(browser, redirect_uri="https://evil.example/callback")
    page = browser.get("/dev/oidc/authorize", params=params, allow_redirects=False)
    assert page.status_code == 400
    assert "Location" not in page.headers


def test_the_built_in_provider_requires_pkce(browser):
    params = authorize_params(browser, code_challenge=None, code_challenge_method=None)
    page = browser.get("/dev/oidc/authorize", params=params, allow_redirects=False)
    assert page.status_code == 400
    assert "PKCE with S256 is required." in page.text


def test_the_built_in_provider_refuses_a_wrong_client_secret(browser):
    response = browser.session.post(
        browser.url("/dev/oidc/token"),
        data={"grant_type": "authorization_code", "code": "x", "redirect_uri": "y"},
        auth=("microblog-dev", "wrong"),
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_an_oidc_identity_with_an_accounts_email_gets_an_account_of_its_own(
    browser, oidc_provider, users
):
    browser.sign_in(dev_identifier(browser), username="alice", email="alice@example.com")
    browser.submit(browser.get("/logout"))
    oidc_provider.claims = {"preferred_username": "mallory", "email": "alice@example.com"}
    page = start_oidc(browser, "test-sso")
    assert "Hi, mallory!" in page.text
    assert [u.nickname for u in users()] == ["alice", "mallory"]


def test_starting_oidc_sign_ins_is_rate_limited_per_client_address(app, browser, oidc_provider):
    app.config["SIGNIN_RATE_LIMIT"] = "2 per minute"
    for _ in range(2):
        start_oidc(browser, "test-sso")
        browser.submit(browser.get("/logout"))
    assert start_oidc(browser, "test-sso").status_code == 429


def test_the_built_in_provider_names_itself_in_its_answer(browser):
    page = start_oidc(browser)
    approval = browser.submit(page, {"username": "alice"}, button="approve", allow_redirects=False)
    assert f"iss={quote(browser.url('/dev/oidc'), safe='')}" in approval.headers["Location"]
