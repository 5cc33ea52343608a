"""Cross-site requests and framing: CSRF tokens, security headers."""

from ..helpers import dev_identifier


def test_sign_in_form_without_a_csrf_token_is_refused(browser, users):
    login = browser.get("/login")
    page = browser.submit(login, {"openid": dev_identifier(browser), "csrf_token": None})
    assert page.status_code == 400
    assert "The sign-in form expired" in page.text
    assert "/dev/openid/" not in page.url
