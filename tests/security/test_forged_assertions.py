"""Forged, tampered and replayed OpenID assertions sign nobody in."""

from ..helpers import Browser


def test_replayed_assertion_signs_nobody_in(browser, provider):
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
