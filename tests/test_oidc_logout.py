"""OpenID Connect logout, over real HTTP. Back-Channel Logout 1.0: a
provider ends this site's sessions that came from its own, with a logout
token verified exactly; anything else is a 400 that ends nothing.
RP-Initiated Logout 1.0: Logout here ends the session at the provider too,
for a provider set to "provider"."""

import pytest
import requests
import sqlalchemy as sa

from app.extensions import db
from app.models import LiveSession

from .helpers import Browser
from .test_oidc import start_oidc

pytestmark = pytest.mark.both_databases

EVENT = {"http://schemas.openid.net/event/backchannel-logout": {}}


def signed_in(browser) -> bool:
    return not browser.get("/index").url.startswith(browser.url("/login"))


@pytest.fixture
def devices(live_server, oidc_provider):
    """alice at Test SSO on a laptop (its session "s1") and a phone ("s2")."""
    signed = []
    for sid in ("s1", "s2"):
        oidc_provider.sid = sid
        browser = Browser(live_server.url)
        assert "Hi, alice!" in start_oidc(browser, "test-sso", remember=True).text
        signed.append(browser)
    return signed


def send(live_server, token, key="test-sso"):
    return requests.post(
        f"{live_server.url}/login/oidc/{key}/backchannel-logout",
        data={"logout_token": token},
        timeout=10,
    )


def sids(app) -> list[str]:
    with app.app_context():
        return db.session.scalars(sa.select(LiveSession.oidc_sid).order_by(LiveSession.id)).all()


def test_the_session_remembers_the_providers_session(app, devices):
    assert sids(app) == ["s1", "s2"]
    with app.app_context():
        # The first sign-in and a returning one (one statement on PostgreSQL).
        for live in db.session.scalars(sa.select(LiveSession).order_by(LiveSession.id)):
            assert live.id_token.count(".") == 2 and live.oidc_subject == "248289761001"


def test_a_logout_token_naming_a_sid_ends_only_that_session(
    app, live_server, oidc_provider, devices
):
    laptop, phone = devices
    answer = send(live_server, oidc_provider.logout_token(sid="s1"))
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    assert not signed_in(laptop)
    laptop.restart()  # its remember cookie ended with it
    assert not signed_in(laptop)
    assert signed_in(phone)


def test_a_logout_token_naming_only_the_subject_ends_all_its_sessions(
    live_server, oidc_provider, devices
):
    assert send(live_server, oidc_provider.logout_token()).status_code == 200
    assert not any(signed_in(b) for b in devices)


def test_a_logout_token_of_another_subject_ends_nothing(live_server, oidc_provider, devices):
    assert send(live_server, oidc_provider.logout_token(sub="someone-else")).status_code == 200
    assert all(signed_in(b) for b in devices)


def test_a_replayed_logout_token_is_refused(app, live_server, oidc_provider, devices):
    token = oidc_provider.logout_token(sid="s1")
    assert send(live_server, token).status_code == 200
    answer = send(live_server, token)
    assert (answer.status_code, answer.text) == (400, "")


@pytest.mark.parametrize(
    "change",
    [
        "bad signature",
        "alg none",
        "wrong aud",
        "wrong iss",
        "stale iat",
        "expired",
        "no event",
        "nonce",
        "neither sub nor sid",
        "no jti",
        "garbage",
    ],
)
def test_a_malformed_logout_token_is_a_400_and_ends_nothing(
    app, live_server, oidc_provider, devices, change
):
    provider = oidc_provider
    token = {
        "bad signature": lambda: provider.logout_token(key=provider.impostor),
        "alg none": lambda: provider.logout_token(header={"alg": "none"}),
        "wrong aud": lambda: provider.logout_token(aud="another-client"),
        "wrong iss": lambda: provider.logout_token(iss="https://elsewhere.example"),
        "stale iat": lambda: provider.logout_token(iat=1_000_000_000, exp=None),
        "expired": lambda: provider.logout_token(exp=1_000_000_000),
        "no event": lambda: provider.logout_token(events={"other": {}}),
        "nonce": lambda: provider.logout_token(nonce="n-0S6_WzA2Mj"),
        "neither sub nor sid": lambda: provider.logout_token(sub=None),
        "no jti": lambda: provider.logout_token(jti=None),
        "garbage": lambda: "not.a.token",
    }[change]()
    answer = send(live_server, token)
    assert (answer.status_code, answer.text) == (400, "")
    assert sids(app) == ["s1", "s2"]
    assert all(signed_in(b) for b in devices)


def test_a_logout_for_an_unknown_provider_is_a_400(live_server, oidc_provider, devices):
    answer = send(live_server, oidc_provider.logout_token(), key="nobody")
    assert answer.status_code == 400


def test_a_request_without_a_token_is_a_400(live_server, oidc_provider):
    answer = requests.post(f"{live_server.url}/login/oidc/test-sso/backchannel-logout", timeout=10)
    assert answer.status_code == 400


def test_a_forged_token_makes_the_site_fetch_no_keys(live_server, oidc_provider, devices):
    before = oidc_provider.hits.count("/jwks")
    send(live_server, oidc_provider.logout_token(key=oidc_provider.impostor))
    assert oidc_provider.hits.count("/jwks") == before


def test_a_token_under_a_new_key_id_makes_the_site_fetch_the_keys_again(
    live_server, oidc_provider, devices
):
    from joserfc.jwk import RSAKey

    oidc_provider.key = RSAKey.generate_key(2048, parameters={"kid": "rotated"})
    token = oidc_provider.logout_token(header={"alg": "RS256", "kid": "rotated"})
    assert send(live_server, token).status_code == 200
    assert not any(signed_in(b) for b in devices)


def test_the_built_in_provider_names_its_session_in_the_id_token(app, browser):
    from .test_oidc import oidc_sign_in

    oidc_sign_in(browser, username="alice")
    [sid] = sids(app)
    assert sid and len(sid) >= 16


def test_logout_goes_to_the_provider_with_the_hint_and_comes_back(app, live_server, oidc_provider):
    app.config["OIDC_PROVIDERS"] = [oidc_provider.config(logout="provider")]
    browser = Browser(live_server.url)
    start_oidc(browser, "test-sso")
    with app.app_context():
        [id_token] = db.session.scalars(sa.select(LiveSession.id_token)).all()
    page = browser.submit(browser.get("/logout"))
    [asked] = oidc_provider.logouts
    assert asked == {
        "id_token_hint": id_token,
        "post_logout_redirect_uri": browser.url("/login"),
        "client_id": oidc_provider.client_id,
    }
    assert page.url == browser.url("/login")
    assert "You have been signed out." in page.text
    assert sids(app) == []


def test_a_provider_set_to_local_is_not_asked(app, live_server, oidc_provider):
    browser = Browser(live_server.url)
    start_oidc(browser, "test-sso")
    page = browser.submit(browser.get("/logout"))
    assert oidc_provider.logouts == []
    assert page.url == browser.url("/login") and sids(app) == []


def test_a_provider_without_an_end_session_endpoint_leaves_the_sign_out_local(
    app, live_server, oidc_provider
):
    app.config["OIDC_PROVIDERS"] = [oidc_provider.config(logout="provider")]
    oidc_provider.end_session = False
    browser = Browser(live_server.url)
    start_oidc(browser, "test-sso")
    page = browser.submit(browser.get("/logout"))
    assert page.url == browser.url("/login") and "You have been signed out." in page.text
    assert oidc_provider.logouts == [] and sids(app) == []


def test_the_built_in_provider_logs_out_and_calls_back(app, browser, caplog):
    from .test_oidc import oidc_sign_in

    oidc_sign_in(browser, username="alice")
    with caplog.at_level("INFO"):
        page = browser.submit(browser.get("/logout"))
    assert page.url == browser.url("/login")
    assert "You have been signed out." in page.text
    assert any("back-channel logout from dev ended" in r.getMessage() for r in caplog.records)
    assert sids(app) == []


def test_the_built_in_providers_logout_refuses_a_foreign_return_address(browser):
    page = browser.get(
        "/dev/oidc/logout", params={"post_logout_redirect_uri": "https://evil.example/"}
    )
    assert page.status_code == 400 and "Bad logout request" in page.text


def test_a_logout_setting_other_than_local_or_provider_stops_the_app():
    from app.auth.oidc import OIDCConfigError, parse_providers

    entry = {"name": "SSO", "issuer": "https://sso.example", "client_id": "c", "client_secret": "s"}
    assert parse_providers([entry])[0].logout == "local"
    with pytest.raises(OIDCConfigError, match="logout of sso must be one of"):
        parse_providers([{**entry, "logout": "both"}])
