"""A slow provider slows nobody else: outgoing requests are capped per host
and in all, refused at once past the caps, and hold no database connection
while they wait; production's gunicorn, flooded with sign-ins against a host
that never answers, still serves everyone's pages."""

import socket
import threading
import time

import pytest
import requests

from app.auth import fetcher
from app.auth.fetcher import ProviderBusy, SafeFetcher
from app.extensions import db

from .helpers import Browser, csrf_token
from .oidc_provider import OIDCTestProvider
from .serving import BUSY, Flood, SilentHost, gunicorn_config, sign_in

FETCH_TIMEOUT = 3


@pytest.fixture
def silent():
    # Not 127.0.0.1, where the tests' providers are: another host to the caps.
    with SilentHost("127.0.0.2") as host:
        yield host


def wait_for(condition, seconds=FETCH_TIMEOUT):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)


def sign_in_in_background(browser: Browser, identifier: str) -> threading.Thread:
    thread = threading.Thread(target=browser.start_sign_in, args=(identifier,), daemon=True)
    thread.start()
    return thread


def test_a_sign_in_past_the_cap_for_one_host_is_refused_at_once(app, browser, silent):
    app.config["OUTGOING_MAX_PER_HOST"] = 1
    waiting = sign_in_in_background(Browser(browser.base_url), silent.url + "/me")
    wait_for(lambda: silent.connections == 1)
    started = time.monotonic()
    page = browser.start_sign_in(silent.url + "/you")
    assert time.monotonic() - started < FETCH_TIMEOUT
    assert waiting.is_alive()
    assert page.url.startswith(browser.url("/login"))
    assert BUSY in page.text
    assert silent.connections == 1
    silent.hang_up()
    waiting.join(10)


def test_other_providers_still_sign_in_while_one_host_is_at_its_cap(app, browser, silent, provider):
    app.config["OUTGOING_MAX_PER_HOST"] = 1
    waiting = sign_in_in_background(Browser(browser.base_url), silent.url + "/me")
    wait_for(lambda: silent.connections == 1)
    page = browser.sign_in(provider.identity("alice"))
    assert "Hi, alice" in page.text
    silent.hang_up()
    waiting.join(10)


def test_a_sign_in_past_the_cap_in_all_is_refused_whatever_the_host(app, browser, silent, provider):
    app.config["OUTGOING_MAX_TOTAL"] = 1
    waiting = sign_in_in_background(Browser(browser.base_url), silent.url + "/me")
    wait_for(lambda: silent.connections == 1)
    page = browser.start_sign_in(provider.identity("alice"))
    assert BUSY in page.text
    assert provider.hits == []
    silent.hang_up()
    waiting.join(10)


def test_a_refused_place_is_given_back_and_the_next_sign_in_proceeds(
    app, browser, silent, provider
):
    app.config["OUTGOING_MAX_TOTAL"] = 1
    app.config["OPENID_FETCH_TIMEOUT"] = 1
    browser.start_sign_in(silent.url + "/me")  # waits out its whole deadline
    assert fetcher.gate.in_use() == 0
    assert "Hi, alice" in browser.sign_in(provider.identity("alice")).text


@pytest.mark.both_databases
def test_a_request_waiting_on_a_provider_holds_no_database_connection(app, proved_client, silent):
    user_client = proved_client
    # Linking signs the account in first, so the request has read the database.
    results = []
    token = csrf_token(user_client.get("/account"))

    def link():
        data = {"openid": silent.url + "/me", "csrf_token": token}
        results.append(user_client.post("/account/link/openid", data=data))

    with app.app_context():
        pool = db.engine.pool
        linking = threading.Thread(target=link, daemon=True)
        linking.start()
        wait_for(lambda: silent.connections == 1)
        assert pool.checkedout() == 0
        silent.hang_up()
        linking.join(10)
    assert results[0].status_code == 302


def test_a_resolver_that_never_answers_holds_only_the_places_of_its_lookups(monkeypatch):
    release = threading.Event()
    real = socket.getaddrinfo

    def hung(host, *args, **kwargs):
        if host.endswith(".hung.example"):
            release.wait(30)
            raise socket.gaierror("gave up")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(fetcher.socket, "getaddrinfo", hung)
    quick = SafeFetcher(allow_private=True, timeout=0.2)
    try:
        for number in range(fetcher.DEFAULT_MAX_TOTAL):
            with pytest.raises(fetcher.FetchError, match="took too long"):
                quick.fetch(f"http://h{number}.hung.example/")
        threads = threading.active_count()
        # The stuck lookups keep their places: the next fetch, to any host,
        # is refused at once, and no thread is started for it.
        with pytest.raises(ProviderBusy):
            quick.fetch("http://another.example/")
        assert threading.active_count() == threads
    finally:
        release.set()
    wait_for(lambda: fetcher.gate.in_use() == 0)
    with pytest.raises(fetcher.FetchError, match="could not be found"):
        quick.fetch("http://last.hung.example/")


def answer_time(url: str, cookies=None) -> float:
    """Seconds to answer a GET on a connection of its own, as a new visitor's."""
    started = time.monotonic()
    response = requests.get(url, cookies=cookies, timeout=30, allow_redirects=False)
    assert response.status_code == 200, url
    return time.monotonic() - started


@pytest.mark.both_databases
def test_pages_answer_at_once_while_more_sign_ins_than_threads_wait_on_a_silent_host(
    production_server, db_backend, provider, silent
):
    production = production_server(
        FLASK_OPENID_FETCH_TIMEOUT=str(FETCH_TIMEOUT),
        FLASK_SIGNIN_RATE_LIMIT="10000 per minute",  # the flood is the subject here
    )
    settings = gunicorn_config()
    workers, threads = settings["workers"], settings["threads"]
    signed_in, _ = sign_in(production.url, provider.identity("alice"))
    size = workers * threads + 8
    with Flood(production.url, silent.url + "/me", size) as flood:
        # While they wait: each sign-in of the first wave either waits on the
        # silent host or has been refused (and tries again a second later).
        wait_for(lambda: silent.connections >= workers)
        wait_for(lambda: silent.connections + len(flood.outcomes) >= size)
        slowest = {
            path: max(answer_time(production.url + path, cookies) for _ in range(5))
            for path, cookies in (("/login", None), ("/healthz", None),
                                  ("/index", signed_in.cookies))
        }  # fmt: skip
        assert not flood.seconds("timed out")  # measured while the first ones still waited
    assert all(seconds < 0.5 for seconds in slowest.values()), slowest
    assert {outcome for _, outcome in flood.outcomes} == {"refused", "timed out"}
    # Each worker lets only OUTGOING_MAX_PER_HOST sign-ins wait on one host at a time.
    assert silent.connections <= workers * 2 * 2
    assert max(flood.seconds("refused")) < FETCH_TIMEOUT


def press_oidc_button(browser: Browser, key: str):
    token = csrf_token(browser.get("/login"))
    return browser.session.post(browser.url(f"/login/oidc/{key}"), data={"csrf_token": token})


def test_an_openid_connect_sign_in_past_the_cap_is_refused_at_once(app, browser, oidc_provider):
    app.config["OUTGOING_MAX_PER_HOST"] = 1
    with app.app_context(), fetcher.gate.place("127.0.0.1"):  # a sign-in waiting there
        page = press_oidc_button(browser, "test-sso")
    assert page.url == browser.url("/login")
    assert BUSY in page.text
    assert oidc_provider.hits == []
    assert "Hi, alice" in press_oidc_button(browser, "test-sso").text


def test_server_timing_counts_the_outgoing_requests_of_an_openid_connect_sign_in(timed):
    with OIDCTestProvider() as provider:
        timed.app.config["OIDC_PROVIDERS"] = [provider.config()]
        browser = Browser(timed.url)
        token = csrf_token(browser.get("/login"))
        start = browser.session.post(browser.url("/login/oidc/test-sso"),
                                     data={"csrf_token": token}, allow_redirects=False)  # fmt: skip
        approved = browser.session.get(start.headers["Location"], allow_redirects=False)
        callback = browser.session.get(approved.headers["Location"], allow_redirects=False)
    assert callback.headers["Location"] == "/index"
    # Starting: the discovery document. Completing: the token and the keys.
    assert [fetches(start), fetches(callback)] == [1, 2]
    assert provider.hits == ["/.well-known/openid-configuration", "/authorize", "/token", "/jwks"]


def fetches(response) -> int:
    return int(response.headers["Server-Timing"].rsplit('desc="', 1)[1].rstrip('"'))
