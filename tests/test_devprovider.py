"""The built-in development OpenID provider, as a relying party sees it."""

import pytest
from openid.consumer.discover import OPENID_2_0_TYPE, OPENID_IDP_2_0_TYPE, discover


def test_identity_url_is_discovered_by_xrds(app, browser):
    identity = browser.url("/dev/openid/id/alice")
    with app.app_context():  # the app's fetcher reaches loopback in testing
        claimed, [service] = discover(identity)
    assert claimed == identity
    assert service.type_uris[0] == OPENID_2_0_TYPE
    assert service.server_url == browser.url("/dev/openid/endpoint")


def test_identity_page_carries_html_discovery_links(browser):
    text = browser.get("/dev/openid/id/alice").text
    endpoint = browser.url("/dev/openid/endpoint")
    assert f'<link rel="openid2.provider" href="{endpoint}">' in text
    assert f'<link rel="openid2.local_id" href="{browser.url("/dev/openid/id/alice")}">' in text


def test_op_identifier_is_discovered_as_a_server(app, browser):
    with app.app_context():
        _, [service] = discover(browser.url("/dev/openid/"))
    assert service.type_uris[0] == OPENID_IDP_2_0_TYPE


@pytest.mark.parametrize("username", ["has space", "a" * 65, "semi;colon"])
def test_identity_url_with_an_invalid_username_is_404(browser, username):
    assert browser.get(f"/dev/openid/id/{username}").status_code == 404


def test_approval_page_approves_with_its_default_values(browser, users):
    page = browser.start_sign_in(browser.url("/dev/openid/"))
    assert page.url.startswith(browser.url("/dev/openid/endpoint"))
    assert "asks to know who you are" in page.text
    page = browser.submit(page, button="approve")
    assert "Hi, demo!" in page.text
    [user] = users()
    assert user.email is None


def test_approval_page_refuses_an_invalid_username_and_keeps_the_request(browser):
    approval = browser.start_sign_in(browser.url("/dev/openid/"))
    page = browser.approve(approval, username="no spaces please")
    assert page.status_code == 200
    assert "Use letters, digits, _ . and - only." in page.text
    page = browser.approve(page, username="fixed")
    assert "Hi, fixed!" in page.text


def test_approval_without_a_csrf_token_is_refused(browser, users):
    approval = browser.start_sign_in(browser.url("/dev/openid/"))
    page = browser.submit(approval, {"csrf_token": None}, button="approve")
    assert page.status_code == 400
    assert users() == []


def test_endpoint_without_a_request_explains_itself(browser):
    page = browser.get("/dev/openid/endpoint")
    assert page.status_code == 200
    assert "This is the OpenID 2.0 endpoint" in page.text


def test_endpoint_answers_a_malformed_request_with_a_400_page(browser):
    page = browser.get("/dev/openid/endpoint", params={"openid.mode": "checkid_setup"})
    assert page.status_code == 400
    assert "Bad OpenID request" in page.text


def checkid(mode: str, identity: str, return_to: str) -> dict:
    """The query of a relying party's sign-in request for ``identity``."""
    return {
        "openid.ns": "http://specs.openid.net/auth/2.0",
        "openid.mode": mode,
        "openid.identity": identity,
        "openid.claimed_id": identity,
        "openid.return_to": return_to,
    }


def test_endpoint_refuses_an_identity_of_another_provider(browser):
    query = checkid("checkid_setup", "https://elsewhere.example/alice", browser.url("/login"))
    page = browser.get("/dev/openid/endpoint", params=query)
    assert page.status_code == 400
    assert "is not an identity of this provider" in page.text


def test_immediate_requests_answer_setup_needed(browser):
    query = checkid("checkid_immediate", browser.url("/dev/openid/id/alice"), browser.url("/back"))
    page = browser.get("/dev/openid/endpoint", params=query, allow_redirects=False)
    assert page.status_code == 302
    assert "openid.mode=setup_needed" in page.headers["Location"]
