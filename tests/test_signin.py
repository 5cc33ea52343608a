"""The whole sign-in, over real HTTP, against real OpenID providers."""

from datetime import UTC, datetime, timedelta

import pytest
import requests

from .helpers import Browser, dev_identifier, forms, openids

pytestmark = pytest.mark.both_databases


def test_first_sign_in_creates_the_account(browser, users):
    page = browser.sign_in(dev_identifier(browser), username="alice", email="alice@example.com")
    assert page.url == browser.url("/index")
    assert "Hi, alice!" in page.text
    [user] = users()
    assert user.nickname == "alice"
    assert openids(user) == [browser.url("/dev/openid/id/alice")]
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
    assert [openids(u) for u in users()] == [[browser.url("/dev/openid/id/bob")]]


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


def test_provider_that_sends_no_email_gets_an_account(browser, provider, users):
    page = browser.start_sign_in(provider.identity("steamer"))
    assert "Hi, steamer!" in page.text
    [user] = users()
    assert user.email is None
    assert openids(user) == [f"{provider.url}/id/steamer"]


def test_require_email_refuses_a_provider_that_sends_none(app, browser, provider, users):
    app.config["OPENID_REQUIRE_EMAIL"] = True
    page = browser.start_sign_in(provider.identity("steamer"))
    assert page.url == browser.url("/login")
    assert "Invalid login" in page.text
    assert users() == []


def test_identifier_select_at_another_provider_signs_in_the_chosen_identity(
    browser, provider, users
):
    provider.select_as = "chosen"
    page = browser.start_sign_in(provider.op_identifier)
    assert "Hi, chosen!" in page.text
    assert [openids(u) for u in users()] == [[f"{provider.url}/id/chosen"]]


def outgoing_requests(browser, identity) -> list[int]:
    """Sign in, following redirects by hand; the app's outgoing requests per response."""
    counts = []
    response = browser.start_sign_in(identity, allow_redirects=False)
    while True:
        if response.url.startswith(browser.base_url):
            timing = response.headers["Server-Timing"]
            counts.append(int(timing.rsplit('desc="', 1)[1].rstrip('"')))
        if not response.is_redirect:
            break
        response = browser.session.get(
            requests.compat.urljoin(response.url, response.headers["Location"]),
            allow_redirects=False,
        )
    assert "Hi, " in response.text
    return counts


def test_server_timing_counts_the_outgoing_requests_of_a_sign_in(timed, provider):
    # Starting: discovery and an association; completing: nothing more.
    assert outgoing_requests(Browser(timed.url), provider.identity("alice"))[:2] == [2, 0]


@pytest.mark.parametrize("kind", ["identity URL", "OP identifier"])
def test_a_warm_sign_in_makes_no_outgoing_request(timed, provider, kind):
    identity = provider.identity("alice") if kind == "identity URL" else provider.op_identifier
    outgoing_requests(Browser(timed.url), identity)  # cold
    assert sum(outgoing_requests(Browser(timed.url), identity)) == 0


def test_without_the_discovery_cache_identifier_select_discovers_twice(timed, provider):
    timed.app.config["OPENID_DISCOVERY_CACHE_SECONDS"] = 0
    outgoing_requests(Browser(timed.url), provider.op_identifier)  # cold
    # The OP identifier when starting, the chosen claimed identifier at the end.
    assert sum(outgoing_requests(Browser(timed.url), provider.op_identifier)) == 2
