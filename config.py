"""Configuration for the development, testing and production apps.

Defaults live in the classes below. ``create_app`` then applies every
``FLASK_``-prefixed environment variable on top (``FLASK_SECRET_KEY``,
``FLASK_SQLALCHEMY_DATABASE_URI``, ``FLASK_SESSION_COOKIE_SECURE=false``...),
so any key can be changed without editing this file.
"""

import os
from datetime import timedelta
from pathlib import Path

basedir = Path(__file__).resolve().parent


def database_url() -> str:
    """Return ``DATABASE_URL`` if set, else the SQLite file in the project."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{basedir / 'app.db'}"
    # Heroku-style URLs name the dialect "postgres", which SQLAlchemy dropped.
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    return url


class Config:
    SQLALCHEMY_DATABASE_URI = database_url()
    # The languages the site speaks, each a catalog in app/translations/
    # (English is the messages themselves); the first is the default.
    LANGUAGES = ["en", "de", "es", "ar"]
    # No pool_pre_ping: a dead pooled connection is found without a query
    # (app/database.py drop_if_hung_up).
    SQLALCHEMY_ENGINE_OPTIONS = {}

    # Where python3-openid keeps associations and nonces: "file" (a
    # FileOpenIDStore in OPENID_FS_STORE_PATH, as the 2012 tutorial did; one
    # machine only) or "database" (shared by every process and host). Unset:
    # the database, unless it is SQLite.
    OPENID_STORE = None
    OPENID_FS_STORE_PATH = str(basedir / "tmp")
    # Refuse discovery of loopback, private and link-local addresses, so a
    # typed identifier cannot make the server fetch internal URLs.
    OPENID_ALLOW_PRIVATE_NETWORKS = False
    # Bounds on every fetch made for a sign-in (discovery, association,
    # verification): whole seconds per fetch, and bytes per answer.
    OPENID_FETCH_TIMEOUT = 5.0
    OPENID_FETCH_MAX_BYTES = 1024 * 1024
    # Outgoing requests (OpenID 2.0 and OpenID Connect) waiting at once in one
    # process: per provider host, and in all. Past either, a sign-in is refused
    # at once ("That provider is not answering"), so slow providers cannot
    # hold every thread of a worker (gunicorn.conf.py gives each 8).
    OUTGOING_MAX_PER_HOST = 2
    OUTGOING_MAX_TOTAL = 4
    # Keep what discovery found for this many seconds (0: never), so a warm
    # sign-in asks the provider's site nothing but what it must.
    OPENID_DISCOVERY_CACHE_SECONDS = 300
    # The seed's rule: refuse providers that send no email. Off, because
    # most OpenID 2.0 providers still running (Steam, for one) send none.
    OPENID_REQUIRE_EMAIL = False
    # Providers shown as buttons on the login page. "{username}" in a URL
    # makes the page ask for the username first.
    OPENID_PROVIDERS = [
        {"name": "Steam", "url": "https://steamcommunity.com/openid"},
        {"name": "Ubuntu One", "url": "https://login.ubuntu.com"},
        {"name": "Launchpad", "url": "https://launchpad.net/~{username}"},
    ]
    # The built-in OpenID providers, OpenID 2.0 under /dev/openid/ and
    # OpenID Connect under /dev/oidc/; never in production.
    DEV_OPENID_PROVIDER = False

    # OpenID Connect providers, a button each on the login page: a list of
    # {"name", "issuer", "client_id", "client_secret"}, optionally "scopes"
    # (default "openid email profile") and "key" (the name in lowercase,
    # used in URLs). Register <site>/login/oidc/<key>/callback as the
    # redirect URI at the provider. From the environment, as JSON:
    # FLASK_OIDC_PROVIDERS='[{"name": "Example SSO", ...}]'
    OIDC_PROVIDERS = []
    # Seconds to wait for a provider's discovery document, keys or tokens.
    OIDC_TIMEOUT = 10.0

    # Seconds a write on SQLite waits for another connection's write to end
    # before the request answers 503 (Retry-After). Writes here take
    # milliseconds; a lock held longer is a migration, a backup or a stuck
    # process, and each request waiting for it holds one of gunicorn's
    # threads, so the wait is short. (pysqlite's implicit default is 5.)
    SQLITE_BUSY_TIMEOUT = 2.0

    # Behind this many reverse proxies, take the client address, scheme, host
    # and prefix from their X-Forwarded-* headers (Werkzeug's ProxyFix); 0
    # ignores those headers, which any client can send.
    PROXY_HOPS = 0

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = timedelta(days=30)
    # Every session ends this long after its sign-in, remember-me included,
    # whatever its cookies say.
    SESSION_MAX_AGE = timedelta(days=30)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"

    # Rate limits ("10 per minute; 100 per hour", the `limits` library's
    # syntax): starting a sign-in, per client address; writing posts, per
    # account. RATELIMIT_STORAGE_URI says where they are counted: "database",
    # the site's own database, shared by every process and host that uses it;
    # or a `limits` storage URI such as redis://host:6379 ("memory://" counts
    # per process, so each worker would allow the whole limit again).
    SIGNIN_RATE_LIMIT = "10 per minute; 100 per hour"
    POST_RATE_LIMIT = "10 per minute; 500 per day"
    RATELIMIT_STORAGE_URI = "database"

    # Send a Server-Timing header: the app's own time per request, and the
    # time and number of outgoing requests it waited on (the benchmark uses it).
    SERVER_TIMING = False

    # Strict-Transport-Security max-age; 0 sends no header.
    HSTS_SECONDS = 0

    # Deleting the account, and adding or removing a way to sign in, need a
    # sign-in this recent (seconds) in the same session, or a new proof.
    REAUTH_SECONDS = 300

    POSTS_PER_PAGE = 20
    # No form here needs more; a larger request gets the 413 page.
    MAX_CONTENT_LENGTH = 1024 * 1024


class DevelopmentConfig(Config):
    OPENID_ALLOW_PRIVATE_NETWORKS = True
    DEV_OPENID_PROVIDER = True
    # make run's addresses. The first is a name, so passkeys work there (a
    # passkey belongs to a site's name, never to an IP address).
    TRUSTED_HOSTS = ["localhost", "127.0.0.1"]


class TestingConfig(DevelopmentConfig):
    TESTING = True
    # Tests reach the app at several addresses; those of passkeys set their own.
    TRUSTED_HOSTS = None
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    SECRET_KEY = os.urandom(32).hex()
    # Keep test failures quick: the providers under test run on loopback.
    OPENID_FETCH_TIMEOUT = 3.0
    # The tests' server runs a thread per request, and some tests sign many
    # people in at once; the caps' own tests set them.
    OUTGOING_MAX_PER_HOST = 64
    OUTGOING_MAX_TOTAL = 64


class ProductionConfig(Config):
    # The public URL comes from configuration: SERVER_NAME (with this scheme)
    # or TRUSTED_HOSTS must be set, or the app refuses to start.
    PREFERRED_URL_SCHEME = "https"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    HSTS_SECONDS = 365 * 24 * 3600
    # A connection for each of a worker's threads (gunicorn.conf.py), and as
    # many again for the OpenID store and the rate limits, which use their
    # own briefly. Last in, first out: when few requests are in flight they
    # keep to the connections used last, whose statements PostgreSQL has
    # already prepared (psycopg prepares a statement on its fifth use on a
    # connection), instead of going round every connection a busier moment
    # opened. A warm sign-in after a busy spell: 9.2 -> 8.1 ms (README).
    SQLALCHEMY_ENGINE_OPTIONS = {
        **Config.SQLALCHEMY_ENGINE_OPTIONS,
        "pool_size": 8,
        "max_overflow": 8,
        "pool_use_lifo": True,
    }


config = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
