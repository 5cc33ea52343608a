"""Both OpenID stores delete what has expired by themselves, now and then."""

import threading
import time
from pathlib import Path

import pytest
from openid.store import nonce

from app import create_app
from app.auth.openid.store import (
    CLEANUP_INTERVAL,
    PARTIAL,
    CleanupSchedule,
    DatabaseOpenIDStore,
    OpenIDNonce,
    cleanup_schedule,
    make_store,
)
from app.extensions import db
from config import TestingConfig

from .test_openid_store import SERVER, association

pytestmark = pytest.mark.both_databases
EXPIRED = int(time.time()) - nonce.SKEW - 60


def discoveries_of(store):
    return store if isinstance(store, DatabaseOpenIDStore) else store.discoveries


def add_expired_entries(store):
    """One expired nonce, association and discovery result in ``store``."""
    if isinstance(store, DatabaseOpenIDStore):
        db.session.add(OpenIDNonce(server_url=SERVER, timestamp=EXPIRED, salt="old"))
        db.session.commit()
    else:
        # The name python3-openid's file store gives a nonce: its time first, in hex.
        (Path(store.nonce_dir) / f"{EXPIRED:08x}-https-provider.example-old").touch()
    store.storeAssociation(SERVER, association("gone", issued_ago=1000, lifetime=600))
    discoveries_of(store).storeDiscovery("a" * 64, "{}", int(time.time()) - 1)


def expired_entries_left(store) -> tuple[int, int, int]:
    return (
        store.cleanupNonces(),
        store.cleanupAssociations(),
        discoveries_of(store).cleanupDiscoveries(),
    )


@pytest.fixture(params=["file", "database"])
def any_store(request, app):
    """The store of each kind, in an app context (the schedule is the app's)."""
    app.config["OPENID_STORE"] = request.param
    with app.app_context():
        yield make_store()


def test_the_first_nonce_check_deletes_what_has_expired_even_just_after_boot(app, any_store):
    add_expired_entries(any_store)
    cleanup_schedule().clock = lambda: 1.0  # a machine up for one second
    assert any_store.useNonce(SERVER, int(time.time()), "fresh") is True
    assert expired_entries_left(any_store) == (0, 0, 0)


def test_a_second_app_in_the_process_cleans_up_on_its_own_schedule(app, any_store):
    any_store.useNonce(SERVER, int(time.time()), "first app")  # this app's cleanup ran
    other = create_app(TestingConfig)  # the same database and folder, as another process
    try:
        with other.app_context():
            other.config["OPENID_STORE"] = app.config["OPENID_STORE"]
            store = make_store()
            add_expired_entries(store)
            store.useNonce(SERVER, int(time.time()), "second app")
            assert expired_entries_left(store) == (0, 0, 0)
    finally:
        with other.app_context():
            db.engine.dispose()


def test_a_sign_in_on_the_file_store_deletes_expired_nonce_files(app, browser, provider):
    app.config["OPENID_STORE"] = "file"
    with app.app_context():
        nonces = Path(make_store().nonce_dir)
    old = nonces / f"{EXPIRED:08x}-https-provider.example-old"
    old.touch()
    page = browser.start_sign_in(provider.identity("alice"))
    assert "Hi, alice!" in page.text
    assert not old.exists()
    assert len(list(nonces.iterdir())) == 1  # this sign-in's own


def test_the_file_cleanup_leaves_a_discovery_being_written_alone(app):
    app.config["OPENID_STORE"] = "file"
    with app.app_context():
        discoveries = make_store().discoveries
    discoveries.path.mkdir(parents=True, exist_ok=True)
    partial = discoveries.path / f"{PARTIAL}abc"
    partial.write_text("17")  # another worker's write, half done
    assert discoveries.cleanupDiscoveries() == 0
    assert partial.exists()


@pytest.mark.parametrize("reading", [0.0, 1.0, 1e9])
def test_the_first_cleanup_is_due_at_once_whatever_the_clock_reads(reading):
    schedule = CleanupSchedule()
    schedule.clock = lambda: reading
    assert schedule.run_if_due(lambda: None) is True


def test_the_cleanup_runs_again_only_once_the_interval_has_passed():
    schedule, now, runs = CleanupSchedule(), [1000.0], []
    schedule.clock = lambda: now[0]
    schedule.run_if_due(lambda: runs.append(now[0]))
    now[0] += CLEANUP_INTERVAL - 1
    schedule.run_if_due(lambda: runs.append(now[0]))
    now[0] += 1
    schedule.run_if_due(lambda: runs.append(now[0]))
    assert runs == [1000.0, 1000.0 + CLEANUP_INTERVAL]


def test_a_failed_cleanup_waits_for_the_interval_too():
    schedule = CleanupSchedule()
    schedule.clock = lambda: 5.0

    def failing():
        raise OSError("disk trouble")

    with pytest.raises(OSError):
        schedule.run_if_due(failing)
    assert schedule.run_if_due(lambda: None) is False


def test_while_one_thread_cleans_up_the_others_go_on_without_waiting():
    schedule, started, finish = CleanupSchedule(), threading.Event(), threading.Event()

    def slow_cleanup():
        started.set()
        finish.wait(10)

    cleaner = threading.Thread(target=schedule.run_if_due, args=(slow_cleanup,))
    cleaner.start()
    try:
        assert started.wait(10)
        others = [schedule.run_if_due(lambda: None) for _ in range(3)]
    finally:
        finish.set()
        cleaner.join(10)
    assert others == [False, False, False]
