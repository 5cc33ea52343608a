"""OpenID Connect names and email from UserInfo, when the ID token leaves them out.

OpenID Connect Core 5.4 lets a provider answer the profile and email scopes
in the UserInfo response alone; the tests' provider does so when
``claims_in_id_token`` is false.
"""

import pytest

from .test_oidc import start_oidc

pytestmark = pytest.mark.both_databases


@pytest.fixture
def userinfo_only(oidc_provider):
    """A provider that puts the name and email only in UserInfo."""
    oidc_provider.claims_in_id_token = False
    return oidc_provider


def test_names_and_email_only_in_userinfo_make_the_account(browser, userinfo_only, users):
    page = start_oidc(browser, "test-sso")
    assert "Hi, alice!" in page.text
    [user] = users()
    assert (user.nickname, user.email) == ("alice", "alice@example.com")
    assert "/userinfo" in userinfo_only.hits


def test_userinfo_is_not_asked_when_the_id_token_has_the_claims(browser, oidc_provider):
    page = start_oidc(browser, "test-sso")
    assert "Hi, alice!" in page.text
    assert "/userinfo" not in oidc_provider.hits


def test_an_address_userinfo_marks_unverified_is_dropped(browser, userinfo_only, users):
    userinfo_only.claims = {**userinfo_only.claims, "email_verified": False}
    page = start_oidc(browser, "test-sso")
    assert "Hi, alice!" in page.text
    [user] = users()
    assert user.email is None


def test_the_id_tokens_verification_flag_does_not_vouch_for_userinfos_address(
    browser, oidc_provider, users
):
    # Only the ID token says verified; UserInfo's own address says it is not.
    oidc_provider.claims = {"preferred_username": "alice", "email_verified": True}
    oidc_provider.userinfo_claims = {"email": "alice@example.com", "email_verified": False}
    page = start_oidc(browser, "test-sso")
    assert "Hi, alice!" in page.text
    [user] = users()
    assert user.email is None


def test_userinfo_claims_that_are_not_strings_are_ignored(browser, userinfo_only, users):
    userinfo_only.claims = {"preferred_username": ["alice"], "email": {"a": 1}, "name": 7}
    page = start_oidc(browser, "test-sso")
    assert "Hi, user!" in page.text
    [user] = users()
    assert user.email is None


@pytest.mark.parametrize(
    "mode",
    [
        "userinfo other sub",
        "userinfo error",
        "userinfo garbage",
        "userinfo not an object",
        "no userinfo",
    ],
)
def test_without_a_usable_userinfo_the_sign_in_goes_on_with_the_id_token(
    browser, userinfo_only, users, mode
):
    userinfo_only.mode = mode
    page = start_oidc(browser, "test-sso")
    assert page.status_code == 200
    assert "Hi, user!" in page.text
    [user] = users()
    assert user.email is None
    assert [i.subject for i in user.identities] == [userinfo_only.subject]
    assert ("/userinfo" in userinfo_only.hits) == (mode != "no userinfo")


def test_a_userinfo_endpoint_that_never_answers_costs_only_the_names(
    app, browser, userinfo_only, users
):
    app.config["OIDC_TIMEOUT"] = 1.0
    userinfo_only.mode = "userinfo silent"
    page = start_oidc(browser, "test-sso")
    assert "Hi, user!" in page.text
    assert "/userinfo" in userinfo_only.hits
