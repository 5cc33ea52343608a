"""Forged, tampered, replayed and misdirected OpenID assertions sign nobody in."""

import logging
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest

from app.auth import fetcher

from ..helpers import Browser
from ..openid_provider import TestProvider


def with_query(url: str, **changes) -> str:
    """``url`` with some of its query parameters replaced."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


def query_of(url: str) -> dict:
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


def request_to_provider(browser, identity) -> str:
    """Start a sign-in; return the (unfollowed) redirect to the provider."""
    return browser.start_sign_in(identity, allow_redirects=False).headers["Location"]


def answer(browser, to_provider: str) -> str:
    """The provider's answer to a request: the (unfollowed) redirect back."""
    return browser.session.get(to_provider, allow_redirects=False).headers["Location"]


def assert_refused(browser, page):
    assert page.status_code == 200
    assert page.url.startswith(browser.url("/login"))
    assert "Hi," not in page.text
    assert browser.get("/index").url.startswith(browser.url("/login"))


def test_replayed_assertion_signs_nobody_in(browser, provider):
    page = browser.start_sign_in(provider.identity("carol"))
    assertion = next(
        r.headers["Location"] for r in page.history if "openid_complete" in r.headers["Location"]
    )
    browser.submit(browser.get("/logout"))
    for replayer in (browser, Browser(browser.base_url)):  # same cookie jar, then a fresh one
        replayed = replayer.session.get(assertion)
        assert replayed.url.startswith(browser.url("/login"))
        assert "expired or was already used" in replayed.text


@pytest.mark.parametrize(
    "field",
    ["openid.sig", "openid.claimed_id", "openid.identity", "openid.sreg.nickname"],
)
def test_a_tampered_assertion_is_refused(browser, provider, users, field):
    assertion = answer(
        browser, request_to_provider(browser, provider.identity("dave", nickname="dave"))
    )
    value = query_of(assertion)[field]
    # Another first character: six bits of the signature, so another one (a
    # signature that starts with "A" would otherwise be left as it was).
    first = "B" if value.startswith("A") else "A"
    tampered = value.replace("dave", "eve") if "dave" in value else first + value[1:]
    assert tampered != value
    page = browser.session.get(with_query(assertion, **{field: tampered}))
    assert_refused(browser, page)
    assert "could not be verified" in page.text
    assert f'value="{provider.url}/id/dave"' in page.text  # what was typed is kept
    assert users() == []


def test_an_assertion_made_for_another_return_url_is_refused(browser, provider, users):
    to_provider = request_to_provider(browser, provider.identity("dave"))
    our_return_to = query_of(to_provider)["openid.return_to"]
    elsewhere = with_query(
        to_provider,
        **{
            "openid.return_to": "http://other.example/login?openid_complete=yes",
            "openid.realm": "http://other.example/",
        },
    )
    signed_for_elsewhere = {
        k: v for k, v in query_of(answer(browser, elsewhere)).items() if k.startswith("openid.")
    }
    page = browser.session.get(our_return_to + "&" + urlencode(signed_for_elsewhere))
    assert_refused(browser, page)
    assert users() == []


def test_an_assertion_with_an_expired_nonce_is_refused(browser, provider, users):
    provider.nonce_age = 24 * 3600
    page = browser.start_sign_in(provider.identity("dave"))
    assert_refused(browser, page)
    assert "could not be verified" in page.text
    assert users() == []


def test_an_unsolicited_assertion_signs_nobody_in(browser, provider, users):
    assertion = answer(browser, request_to_provider(browser, provider.identity("dave")))
    stranger = Browser(browser.base_url)  # never started a sign-in
    page = stranger.session.get(assertion)
    assert_refused(stranger, page)
    assert "expired or was already used" in page.text
    assert users() == []


def test_another_provider_cannot_assert_an_identity_whose_discovery_names_this_one(
    browser, provider, users
):
    identity = provider.identity("alice")
    to_provider = query_of(request_to_provider(browser, identity))
    with TestProvider() as impostor:
        forged_request = f"{impostor.url}/endpoint?" + urlencode(
            {
                "openid.ns": "http://specs.openid.net/auth/2.0",
                "openid.mode": "checkid_setup",
                "openid.identity": identity,
                "openid.claimed_id": identity,
                "openid.return_to": to_provider["openid.return_to"],
                "openid.realm": to_provider["openid.realm"],
            }
        )
        page = browser.session.get(answer(browser, forged_request))
        assert_refused(browser, page)
    assert users() == []


def test_a_forged_claimed_id_on_a_private_address_is_never_fetched(app, browser, monkeypatch):
    # CVE-2019-11027 in ruby-openid: discovery of the asserted claimed id runs
    # before the signature check. Here 127.0.0.2 stands for a public provider
    # and 127.0.0.1 for an internal service that must never be contacted.
    app.config["OPENID_ALLOW_PRIVATE_NETWORKS"] = False
    monkeypatch.setattr(fetcher, "is_public_address", lambda address: address == "127.0.0.2")
    with TestProvider("127.0.0.2") as public, TestProvider("127.0.0.1") as internal:
        assertion = answer(browser, request_to_provider(browser, public.identity("dave")))
        secret = f"{internal.url}/id/admin"
        forged = with_query(assertion, **{"openid.claimed_id": secret, "openid.identity": secret})
        page = browser.session.get(forged)
        assert_refused(browser, page)
        assert internal.hits == []


def test_the_nonce_store_refuses_a_replay_even_while_a_new_sign_in_is_pending(
    browser, provider, caplog
):
    caplog.set_level(logging.INFO, logger="app")
    identity = provider.identity("dave")
    used = answer(browser, request_to_provider(browser, identity))
    assert "Hi, dave!" in browser.session.get(used).text
    browser.submit(browser.get("/logout"))
    request_to_provider(browser, identity)  # a new sign-in now waits for its answer
    page = browser.session.get(used)
    assert_refused(browser, page)
    assert any("Nonce already used" in r.getMessage() for r in caplog.records)


def test_answers_are_signed_with_sha256(browser, provider):
    assertion = answer(browser, request_to_provider(browser, provider.identity("dave")))
    assert query_of(assertion)["openid.assoc_handle"].startswith("{HMAC-SHA256}")
