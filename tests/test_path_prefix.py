"""The site served under a path prefix, /blog: by a WSGI mount (SCRIPT_NAME)
and behind a reverse proxy that says so (X-Forwarded-Prefix, PROXY_HOPS=1).
Every sign-in completes, with both protocols and every kind of provider."""

from urllib.parse import parse_qs, urlsplit

import pytest
from werkzeug.exceptions import NotFound
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from .helpers import Browser, LiveServer, PrefixProxy, csrf_token, dev_identifier
from .test_oidc import start_oidc

PREFIX = "/blog"
both_mounts = pytest.mark.parametrize("mount", ["SCRIPT_NAME", "X-Forwarded-Prefix"], indirect=True)


@pytest.fixture
def mount(request):
    return getattr(request, "param", "SCRIPT_NAME")


@pytest.fixture
def database_url(database_url, mount, monkeypatch):
    # Read when the app is made, just after this.
    if mount == "X-Forwarded-Prefix":
        monkeypatch.setenv("FLASK_PROXY_HOPS", "1")
    return database_url


@pytest.fixture
def browser(app, mount):
    """A browser on the site's public URL, which ends in the prefix."""
    if mount == "SCRIPT_NAME":
        with LiveServer(DispatcherMiddleware(NotFound(), {PREFIX: app})) as server:
            yield Browser(server.url + PREFIX)
    else:
        with LiveServer(app) as backend, PrefixProxy(backend.url, PREFIX) as proxy:
            yield Browser(proxy.url + PREFIX)


@both_mounts
def test_an_openid_sign_in_with_the_built_in_provider_completes(browser):
    page = browser.sign_in(dev_identifier(browser), username="alice")
    assert page.url == browser.url("/index")
    assert "Hi, alice!" in page.text


@both_mounts
def test_an_oidc_sign_in_with_the_built_in_provider_completes(browser):
    page = start_oidc(browser, "dev")
    assert "Approve sign-in" in page.text, page.text
    page = browser.approve(page, username="alice")
    assert page.url == browser.url("/index")
    assert "Hi, alice!" in page.text


@both_mounts
def test_an_oidc_sign_in_with_another_provider_completes(browser, oidc_provider):
    oidc_provider.redirect_uri = browser.url("/login/oidc/test-sso/callback")
    page = start_oidc(browser, "test-sso")
    assert page.url == browser.url("/index")
    assert "Hi, alice!" in page.text


# Where requests arrive when a TLS proxy forwards them, uncounted (no PROXY_HOPS).
ARRIVING_AT = f"http://microblog.example{PREFIX}"


def post_from_login_page(app, path: str, **data):
    """POST as the login page would, with SERVER_NAME and https configured."""
    app.config.update(SERVER_NAME="microblog.example", PREFERRED_URL_SCHEME="https")
    client = app.test_client()
    token = csrf_token(client.get("/login", base_url=ARRIVING_AT))
    return client.post(path, data={**data, "csrf_token": token}, base_url=ARRIVING_AT)


def query_of(response) -> dict:
    return {k: v for k, [v] in parse_qs(urlsplit(response.headers["Location"]).query).items()}


def test_with_server_name_the_oidc_redirect_uri_has_the_prefix_once(app, oidc_provider):
    query = query_of(post_from_login_page(app, "/login/oidc/test-sso"))
    assert (
        query["redirect_uri"] == f"https://microblog.example{PREFIX}/login/oidc/test-sso/callback"
    )


def test_with_server_name_the_openid_realm_and_return_url_have_the_prefix_once(app, provider):
    query = query_of(post_from_login_page(app, "/login", openid=provider.identity("alice")))
    assert query["openid.realm"] == f"https://microblog.example{PREFIX}/"
    assert query["openid.return_to"].startswith(f"https://microblog.example{PREFIX}/login?")


TEMPLATE_URLS = (
    "{{ url_for('main.index') }} {{ url_for('users.profile', nickname='a b') }} "
    "{{ url_for('static', filename='style.css') }} {{ url_for('auth.login', next='/x?y=1') }} "
    "{{ url_for('main.explore', page=['2', '3']) }}"
)


def test_templates_build_the_urls_flask_builds_whatever_the_prefix(app):
    from flask import render_template_string, url_for
    from markupsafe import escape

    # Built, then remembered: each prefix's own.
    for prefix in ["", PREFIX, "/other", "", PREFIX, "/other"]:
        with app.test_request_context("/", base_url=f"http://localhost{prefix}/"):
            expected = " ".join(
                (
                    url_for("main.index"),
                    url_for("users.profile", nickname="a b"),
                    url_for("static", filename="style.css"),
                    url_for("auth.login", next="/x?y=1"),
                    url_for("main.explore", page=["2", "3"]),
                )
            )
            assert render_template_string(TEMPLATE_URLS) == escape(expected)
            assert expected.startswith(f"{prefix}/index ")


def test_a_template_outside_a_request_builds_urls_as_flask_does(app):
    from flask import render_template_string

    app.config["SERVER_NAME"] = "microblog.example"
    with app.app_context():
        assert (
            render_template_string("{{ url_for('main.index') }}")
            == "http://microblog.example/index"
        )
