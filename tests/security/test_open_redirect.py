"""Open redirect: after sign-in the visitor stays on this site."""

import pytest

from ..helpers import dev_identifier


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
        "//[",
    ],
)
def test_unsafe_next_is_refused(browser, next_path):
    page = browser.sign_in(dev_identifier(browser), username="alice", next_path=next_path)
    assert page.url == browser.url("/index")


def test_a_foreign_referer_is_not_followed(browser):
    login = browser.get("/login")
    evil = {"Referer": "https://evil.example/phish"}
    page = browser.submit(login, {"openid": dev_identifier(browser)}, headers=evil)
    page = browser.approve(page, username="alice", headers=evil)
    assert page.url == browser.url("/index")
