"""Association negotiation with OpenID 2.0 providers that support less than we prefer.

Each sign-in is a real round trip, over HTTP, against the tests' own provider
set to offer only some association types; the provider counts the app's own
requests (discovery, associate, check_authentication) apart from the browser's.
"""

import time

import pytest
from openid.association import Association, SessionNegotiator

from app import create_app
from app.auth.openid.associations import NegotiatingConsumer
from app.auth.openid.consumer import ASSOCIATION_PREFERENCE
from app.auth.openid.store import make_store
from app.extensions import db
from config import TestingConfig

from .helpers import Browser, LiveServer

pytestmark = pytest.mark.both_databases

SHA256 = ("HMAC-SHA256", "DH-SHA256")
SHA1 = ("HMAC-SHA1", "DH-SHA1")
# What an independent provider that offers only DH-SHA1 answers a SHA-256 request with.
INCONSISTENT = ("HMAC-SHA256", "DH-SHA1")
CHECK = ("/endpoint", "check_authentication")


@pytest.fixture
def sha1_provider(provider):
    """A provider that offers only DH-SHA1 and suggests SHA-256 with it."""
    provider.offers = [SHA1]
    provider.suggestion = INCONSISTENT
    return provider


def sign_in(server_url: str, provider) -> None:
    """Sign in as alice in a new browser, all the way."""
    page = Browser(server_url).start_sign_in(provider.identity("alice"))
    assert page.status_code == 200
    assert "Hi, alice!" in page.text


def forget_requests(provider) -> None:
    provider.requests.clear()
    provider.direct.clear()


def expire_association(app, provider) -> str:
    """Make the association the app holds with ``provider`` an expired one; return its type."""
    server_url = f"{provider.url}/endpoint"
    with app.app_context():
        store = make_store()
        held = store.getAssociation(server_url)
        issued = int(time.time()) - held.lifetime - 60
        expired = Association(held.handle, held.secret, issued, held.lifetime, held.assoc_type)
        store.storeAssociation(server_url, expired)
        assert store.getAssociation(server_url) is None
    return held.assoc_type


def held_association_type(app, provider) -> str | None:
    with app.app_context():
        held = make_store().getAssociation(f"{provider.url}/endpoint")
    return held and held.assoc_type


# OpenID 2.0 says a refusal is a 400; python3-openid's own server sends it with a 200.
@pytest.mark.parametrize("refusal_status", [400, 200])
def test_a_provider_that_offers_only_dh_sha1_gets_a_sha1_association(
    app, live_server, sha1_provider, refusal_status
):
    sha1_provider.refusal_status = refusal_status
    sign_in(live_server.url, sha1_provider)
    # Its suggestion is unusable, so the next type of our own list is asked for.
    assert sha1_provider.associations_asked() == [SHA256, SHA1]
    assert CHECK not in sha1_provider.requests_of_the_app()
    assert held_association_type(app, sha1_provider) == "HMAC-SHA1"


def test_a_warm_sign_in_at_a_dh_sha1_only_provider_asks_it_nothing(live_server, sha1_provider):
    sign_in(live_server.url, sha1_provider)
    forget_requests(sha1_provider)
    sign_in(live_server.url, sha1_provider)
    assert sha1_provider.requests_of_the_app() == []


def test_a_provider_that_supports_sha256_gets_sha256(app, live_server, provider):
    sign_in(live_server.url, provider)
    assert provider.associations_asked() == [SHA256]
    assert held_association_type(app, provider) == "HMAC-SHA256"


def test_after_an_association_expires_the_remembered_type_is_asked_for_at_once(
    app, live_server, sha1_provider
):
    sign_in(live_server.url, sha1_provider)
    expire_association(app, sha1_provider)
    forget_requests(sha1_provider)
    sign_in(live_server.url, sha1_provider)
    assert sha1_provider.associations_asked() == [SHA1]
    assert sha1_provider.requests_of_the_app() == [("/endpoint", "associate")]


def test_what_a_provider_supports_is_shared_by_every_instance_of_the_site(
    app, live_server, sha1_provider
):
    sign_in(live_server.url, sha1_provider)
    expire_association(app, sha1_provider)
    forget_requests(sha1_provider)
    # Another worker or host: the same database and OpenID store, nothing else shared.
    other = create_app(TestingConfig)
    with LiveServer(other) as other_server:
        sign_in(other_server.url, sha1_provider)
    with other.app_context():
        db.engine.dispose()
    assert sha1_provider.associations_asked() == [SHA1]


def test_a_provider_that_drops_the_remembered_type_is_negotiated_with_again(
    app, live_server, sha1_provider
):
    sign_in(live_server.url, sha1_provider)
    sha1_provider.offers, sha1_provider.suggestion = [SHA256], None
    expire_association(app, sha1_provider)
    forget_requests(sha1_provider)
    sign_in(live_server.url, sha1_provider)
    assert sha1_provider.associations_asked() == [SHA1, SHA256]
    assert held_association_type(app, sha1_provider) == "HMAC-SHA256"
    expire_association(app, sha1_provider)
    forget_requests(sha1_provider)
    sign_in(live_server.url, sha1_provider)
    assert sha1_provider.associations_asked() == [SHA256]


def test_a_provider_that_refuses_every_type_costs_only_the_check_of_each_answer(
    live_server, provider
):
    provider.offers = []
    sign_in(live_server.url, provider)
    assert provider.associations_asked() == [SHA256, SHA1]
    forget_requests(provider)
    sign_in(live_server.url, provider)
    assert provider.requests_of_the_app() == [CHECK]


def test_no_encryption_is_never_asked_for_over_plain_http(live_server, provider):
    # Its secret would cross the network in the clear; its suggestion is refused too.
    provider.offers = [("HMAC-SHA256", "no-encryption"), ("HMAC-SHA1", "no-encryption")]
    sign_in(live_server.url, provider)
    assert provider.associations_asked() == [SHA256, SHA1]
    assert CHECK in provider.requests_of_the_app()


def test_a_provider_that_answers_associate_with_garbage_still_signs_in(live_server, provider):
    provider.garbled = {"associate"}
    sign_in(live_server.url, provider)
    # A fault, not an answer: nothing more is asked, and nothing remembered.
    assert provider.associations_asked() == [SHA256]
    assert CHECK in provider.requests_of_the_app()
    forget_requests(provider)
    provider.garbled = set()
    sign_in(live_server.url, provider)
    assert provider.associations_asked() == [SHA256]


def test_no_encryption_stays_allowed_over_https():
    consumer = NegotiatingConsumer(store=None)
    consumer.negotiator = SessionNegotiator(ASSOCIATION_PREFERENCE)
    plain = ("HMAC-SHA256", "no-encryption")
    assert plain in consumer.allowed_types("https://provider.example/endpoint")
    assert plain not in consumer.allowed_types("http://provider.example/endpoint")
