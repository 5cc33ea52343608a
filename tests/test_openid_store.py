"""The OpenID store in the database, on SQLite and PostgreSQL; and the choice of store."""

import time

import pytest
import sqlalchemy as sa
from openid.association import Association
from openid.fetchers import HTTPFetchingError
from openid.store import nonce
from openid.store.filestore import FileOpenIDStore

from app.auth.openid.consumer import DiscoveryCache
from app.auth.openid.store import DatabaseOpenIDStore, OpenIDNonce, store_kind
from app.extensions import db, oid

pytestmark = pytest.mark.both_databases
SERVER = "https://provider.example/endpoint"


def association(handle, issued_ago=0, lifetime=600):
    issued = int(time.time()) - issued_ago
    return Association(handle, b"s" * 20, issued, lifetime, "HMAC-SHA1")


@pytest.fixture
def store(app):
    with app.app_context():
        yield DatabaseOpenIDStore()


@pytest.fixture
def elsewhere(other_app):
    """getAssociation in another process: what the database holds, not this
    process's cache."""

    def get(server_url, handle=None):
        with other_app.app_context():
            return DatabaseOpenIDStore().getAssociation(server_url, handle)

    return get


def test_a_stored_association_is_found_by_server_and_handle(store, elsewhere):
    store.storeAssociation(SERVER, association("h1"))
    for get in (store.getAssociation, elsewhere):
        found = get(SERVER, "h1")
        assert (found.handle, found.secret, found.assoc_type) == ("h1", b"s" * 20, "HMAC-SHA1")
        assert get(SERVER, "other") is None
        assert get("https://elsewhere.example/", "h1") is None


def test_without_a_handle_the_most_recently_issued_association_is_returned(store, elsewhere):
    store.storeAssociation(SERVER, association("old", issued_ago=100))
    store.storeAssociation(SERVER, association("new", issued_ago=10))
    assert store.getAssociation(SERVER).handle == "new"
    assert elsewhere(SERVER).handle == "new"


def test_an_expired_association_is_not_returned_and_is_cleaned_up(store, elsewhere):
    store.storeAssociation(SERVER, association("gone", issued_ago=1000, lifetime=600))
    store.storeAssociation(SERVER, association("live"))
    assert store.getAssociation(SERVER, "gone") is None
    assert elsewhere(SERVER, "gone") is None
    assert store.cleanupAssociations() == 1
    assert store.getAssociation(SERVER, "live") is not None


def test_an_association_stored_again_as_expired_is_not_returned(store, elsewhere):
    store.storeAssociation(SERVER, association("h1"))
    assert store.getAssociation(SERVER).handle == "h1"
    store.storeAssociation(SERVER, association("h1", issued_ago=1000, lifetime=600))
    for get in (store.getAssociation, elsewhere):
        assert get(SERVER) is None
        assert get(SERVER, "h1") is None


def test_storing_an_association_again_replaces_it(store, elsewhere):
    store.storeAssociation(SERVER, association("h1", lifetime=10))
    store.storeAssociation(SERVER, association("h1", lifetime=900))
    assert store.getAssociation(SERVER, "h1").lifetime == 900
    assert elsewhere(SERVER, "h1").lifetime == 900


def test_removing_an_association_says_whether_it_was_there(store, elsewhere):
    store.storeAssociation(SERVER, association("h1"))
    assert store.getAssociation(SERVER).handle == "h1"
    assert store.removeAssociation(SERVER, "h1") is True
    assert store.removeAssociation(SERVER, "h1") is False
    for get in (store.getAssociation, elsewhere):
        assert get(SERVER, "h1") is None
        assert get(SERVER) is None


def test_an_association_once_found_is_found_again_without_asking_the_database(app, other_app):
    with other_app.app_context():
        DatabaseOpenIDStore().storeAssociation(SERVER, association("h1"))
    with app.app_context():
        store = DatabaseOpenIDStore()
        assert store.getAssociation(SERVER, "h1").handle == "h1"  # from the database
        statements = []
        sa.event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        assert store.getAssociation(SERVER, "h1").handle == "h1"
        assert store.getAssociation(SERVER).handle == "h1"
        assert statements == []


def test_a_nonce_can_be_used_once(store):
    now = int(time.time())
    assert store.useNonce(SERVER, now, "salt") is True
    assert store.useNonce(SERVER, now, "salt") is False
    assert store.useNonce(SERVER, now, "other salt") is True
    assert store.useNonce("https://elsewhere.example/", now, "salt") is True


@pytest.mark.parametrize("offset", [-nonce.SKEW - 10, nonce.SKEW + 10])
def test_a_nonce_outside_the_allowed_skew_is_refused(store, offset):
    assert store.useNonce(SERVER, int(time.time()) + offset, "salt") is False


def test_expired_nonces_are_cleaned_up(app, store):
    # Rows, not useNonce: its first call would clean up by itself (test_openid_cleanup.py).
    now = int(time.time())
    with app.app_context():
        db.session.add(OpenIDNonce(server_url=SERVER, timestamp=now - nonce.SKEW - 60, salt="x"))
        db.session.add(OpenIDNonce(server_url=SERVER, timestamp=now, salt="fresh"))
        db.session.commit()
    assert store.cleanupNonces() == 1
    assert store.useNonce(SERVER, now, "fresh") is False  # kept, so still refused


def test_the_cleanup_command_reports_what_it_removed(app, runner, store):
    app.config["OPENID_STORE"] = "database"
    store.storeAssociation(SERVER, association("gone", issued_ago=1000, lifetime=600))
    result = runner.invoke(args=["openid-cleanup"])
    assert result.exit_code == 0
    assert "Removed 0 expired nonces, 1 expired associations" in result.output


@pytest.mark.parametrize(
    ("configured", "url", "kind"),
    [
        (None, "sqlite:///app.db", "file"),
        (None, "postgresql+psycopg://db/microblog", "database"),
        ("database", "sqlite:///app.db", "database"),
        ("file", "postgresql+psycopg://db/microblog", "file"),
    ],
)
def test_the_store_is_chosen_by_config_else_by_database(configured, url, kind):
    assert store_kind({"OPENID_STORE": configured, "SQLALCHEMY_DATABASE_URI": url}) == kind


def test_the_app_uses_the_configured_store(app):
    with app.test_request_context():
        app.config["OPENID_STORE"] = "database"
        assert isinstance(oid.make_store(), DatabaseOpenIDStore)
        app.config["OPENID_STORE"] = "file"
        assert isinstance(oid.make_store(), FileOpenIDStore)


def test_sign_in_works_with_the_database_store(app, browser, provider, users):
    app.config["OPENID_STORE"] = "database"
    page = browser.start_sign_in(provider.identity("alice"))
    assert "Hi, alice!" in page.text
    with app.app_context():
        assert DatabaseOpenIDStore().getAssociation(f"{provider.url}/endpoint") is not None


def test_the_cleanup_command_works_on_the_file_store_too(app, runner):
    app.config["OPENID_STORE"] = "file"
    result = runner.invoke(args=["openid-cleanup"])
    assert result.exit_code == 0
    assert "Removed 0 expired nonces, 0 expired associations" in result.output


@pytest.mark.parametrize("kind", ["file", "database"])
def test_discovery_results_are_shared_between_processes(app, provider, kind):
    app.config["OPENID_STORE"] = kind
    with app.app_context():
        first, second = DiscoveryCache(), DiscoveryCache()  # two gunicorn workers, say
        first.discover(provider.op_identifier)
        fetched = len(provider.hits)
        claimed_id, [service] = second.discover(provider.op_identifier)
        assert len(provider.hits) == fetched  # the second asked nobody
        assert (claimed_id, service.server_url) == (
            provider.op_identifier,
            f"{provider.url}/endpoint",
        )


def test_each_discovery_from_the_cache_gets_endpoints_of_its_own(app, provider):
    # python3-openid keeps and changes the endpoints it is given.
    with app.app_context():
        cache = DiscoveryCache()
        cache.discover(provider.op_identifier)
        _, [first] = cache.discover(provider.op_identifier)
        first.type_uris.append("changed")
        first.server_url = "changed"
        _, [second] = cache.discover(provider.op_identifier)
        assert second is not first
        assert second.server_url == f"{provider.url}/endpoint"
        assert "changed" not in second.type_uris


def test_a_discovery_that_finds_nothing_is_not_kept(app, provider):
    with app.app_context():
        cache = DiscoveryCache()
        for _ in range(2):
            assert cache.discover(f"{provider.url}/plain")[1] == []
        with pytest.raises(HTTPFetchingError):  # Consumer.begin makes it a DiscoveryFailure
            cache.discover("http://127.0.0.1:1/refused")
    assert provider.hits == ["/plain", "/plain"]


def test_expired_discovery_results_are_cleaned_up(app, store):
    store.storeDiscovery("a" * 64, "{}", int(time.time()) - 1)
    store.storeDiscovery("b" * 64, "{}", int(time.time()) + 600)
    assert store.getDiscovery("a" * 64) is None
    assert store.cleanupDiscoveries() == 1
    assert store.getDiscovery("b" * 64) == "{}"
