"""The microblog application: the application factory."""

import secrets
from inspect import CO_COROUTINE
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, g
from flask.templating import _default_template_ctx_processor
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from config import ProductionConfig, config

from . import forms, i18n, urls
from .auth import oidc
from .auth.fetcher import install_fetcher
from .auth.openid import store as openid_store
from .extensions import csrf, db, end_idle_transaction, login, oid, ratelimit
from .i18n.templates import Environment as TranslatedEnvironment


def apply_sqlite_busy_timeout(app: Flask) -> None:
    """On SQLite, wait SQLITE_BUSY_TIMEOUT seconds for another's write lock,
    not pysqlite's implicit five; then the request fails with a 503."""
    if sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() != "sqlite":
        return  # psycopg refuses pysqlite's connect arguments
    options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
    options["connect_args"] = {
        **options.get("connect_args", {}),
        "timeout": app.config["SQLITE_BUSY_TIMEOUT"],
    }
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


class Microblog(Flask):
    """Flask, its templates compiled for each language (i18n), and told at
    once that a plain function is not async: Flask asks ``inspect`` for each
    hook, context processor and view on every request, eight Python calls
    each time, a dozen times a page."""

    jinja_environment = TranslatedEnvironment

    def ensure_sync(self, func):
        code = getattr(getattr(func, "__func__", func), "__code__", None)  # a method's function
        if code is not None and not code.co_flags & CO_COROUTINE:
            return func
        return super().ensure_sync(func)


def drop_blueprint_default_context(app: Flask) -> None:
    """Flask runs its default context processor (g, request, session) for the
    app and again for each blueprint a page is in, which gives nothing new."""
    for name, processors in app.template_context_processors.items():
        if name is not None:
            processors[:] = [p for p in processors if p is not _default_template_ctx_processor]


class ConfigError(RuntimeError):
    """The configuration is unsafe to run with; the message says why."""


def create_app(config_class=ProductionConfig):
    """Create the app; with no argument, the production configuration.

    :param config_class: a class from ``config.py``, or its name
        ("development", "testing", "production").
    """
    if isinstance(config_class, str):
        config_class = config[config_class]
    # The instance folder is <project>/instance, beside app/, kept out of git.
    app = Microblog(__name__)
    app.config.from_object(config_class)
    app.config.from_prefixed_env()
    production = issubclass(config_class, ProductionConfig)
    configure_secret_key(app, production)
    if hops := app.config["PROXY_HOPS"]:
        # Behind that many reverse proxies, believe their X-Forwarded-* headers.
        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops
        )
    public_host = app.config.get("SERVER_NAME") or app.config.get("TRUSTED_HOSTS") or hops
    if production and not public_host:
        raise ConfigError(
            "refusing to start: the public host is not configured; set FLASK_SERVER_NAME "
            "(e.g. microblog.example.com), FLASK_TRUSTED_HOSTS (a JSON list of host names) "
            "or, behind a reverse proxy, FLASK_PROXY_HOPS"
        )

    apply_sqlite_busy_timeout(app)
    for ext in (db, login, csrf, ratelimit, oid):
        ext.init_app(app)
    forms.init_app(app)  # after csrf's, whose template global it replaces
    urls.init_app(app)
    i18n.init_app(app)
    # The built-in OpenID Connect provider's one client, on this site.
    app.config.setdefault("DEV_OIDC_CLIENT_ID", "microblog-dev")
    app.config.setdefault("DEV_OIDC_CLIENT_SECRET", secrets.token_urlsafe(32))
    try:
        oidc.init_app(app)
    except oidc.OIDCConfigError as error:
        raise ConfigError(f"refusing to start: {error}") from None
    install_fetcher(before_waiting=end_idle_transaction)

    from . import cli, models, security  # noqa: F401 - models for migrations

    if app.config.get("OPENID_STORE") not in (None, "", *openid_store.STORE_KINDS):
        raise ConfigError(f"OPENID_STORE must be one of {openid_store.STORE_KINDS}, or unset")
    from .account import bp as account_bp
    from .auth.views import bp as auth_bp
    from .errors import bp as errors_bp
    from .main import bp as main_bp
    from .users.views import bp as users_bp

    app.register_blueprint(errors_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(main_bp)
    app.register_blueprint(users_bp)
    app.register_blueprint(account_bp, url_prefix="/account")
    if app.config["DEV_OPENID_PROVIDER"]:
        from .devprovider import bp as devprovider_bp
        from .devprovider.oidc import bp as devoidc_bp

        app.register_blueprint(devprovider_bp, url_prefix="/dev/openid")
        app.register_blueprint(devoidc_bp, url_prefix="/dev/oidc")
    drop_blueprint_default_context(app)
    cli.init_app(app)
    security.init_app(app)

    @app.before_request
    def set_user():
        # As in the seed: templates and views may use g.user.
        g.user = current_user

    return app


# Keys that appear in tutorials and examples, and so in attackers' lists.
WELL_KNOWN_KEYS = {
    "you-will-never-guess",
    "secret",
    "secret-key",
    "secret_key",
    "secretkey",
    "changeme",
    "change-me",
    "change_me",
    "dev",
    "development",
    "default",
    "password",
    "test",
    "testing",
    "your-secret-key",
    "super-secret",
    "supersecret",
    "replace-me",
}
MIN_SECRET_KEY_LENGTH = 32


def weak_secret_key_reason(key) -> str | None:
    """Say why ``key`` is unfit to sign sessions, or None if it is fine."""
    if not key:
        return "SECRET_KEY is not set"
    if isinstance(key, bytes):
        key = key.decode("latin-1")
    if key.strip().lower() in WELL_KNOWN_KEYS:
        return "SECRET_KEY is a well-known placeholder"
    if len(key) < MIN_SECRET_KEY_LENGTH:
        return f"SECRET_KEY is shorter than {MIN_SECRET_KEY_LENGTH} characters"
    if len(set(key)) < 8:
        return "SECRET_KEY repeats too few characters to be random"
    return None


def configure_secret_key(app: Flask, production: bool) -> None:
    """Refuse a weak key in production; elsewhere keep a random one in instance/.

    Flask-OpenID pickles its state into the signed session cookie, so whoever
    can guess the key can make the server unpickle what they like.
    """
    key = app.config.get("SECRET_KEY")
    if production:
        reason = weak_secret_key_reason(key)
        if reason:
            raise ConfigError(
                f"refusing to start: {reason}; set FLASK_SECRET_KEY to a random value, "
                'e.g. python -c "import secrets; print(secrets.token_hex(32))"'
            )
        return
    if key:
        return
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_hex(32))
    app.config["SECRET_KEY"] = path.read_text().strip()
