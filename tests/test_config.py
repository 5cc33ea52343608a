"""Configuration: the secret key rules, environment overrides, the dev provider switch."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask, g, render_template_string, request, session

from app import ConfigError, configure_secret_key, create_app
from app.extensions import db
from config import DevelopmentConfig, ProductionConfig, TestingConfig, database_url

from .helpers import PUBLIC_HOST, STRONG_KEY


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        (None, "SECRET_KEY is not set"),
        ("", "SECRET_KEY is not set"),
        ("you-will-never-guess", "well-known placeholder"),
        ("changeme", "well-known placeholder"),
        ("short-but-random-9f2", "shorter than 32 characters"),
        ("a" * 64, "too few characters"),
    ],
)
def test_production_refuses_to_start_with_a_weak_secret_key(monkeypatch, key, reason):
    monkeypatch.delenv("FLASK_SECRET_KEY", raising=False)
    if key is not None:
        monkeypatch.setenv("FLASK_SECRET_KEY", key)
    with pytest.raises(ConfigError, match=reason) as error:
        create_app(ProductionConfig)
    assert "\n" not in str(error.value)


def test_production_starts_with_a_strong_secret_key(production_env):
    app = create_app(ProductionConfig)
    assert app.config["SECRET_KEY"] == STRONG_KEY


def test_production_cookies_are_secure_httponly_and_lax(production_env):
    config = create_app(ProductionConfig).config
    for prefix in ("SESSION", "REMEMBER"):
        assert config[f"{prefix}_COOKIE_SECURE"] is True
        assert config[f"{prefix}_COOKIE_HTTPONLY"] is True
        assert config[f"{prefix}_COOKIE_SAMESITE"] == "Lax"


def test_production_takes_the_pooled_connection_returned_last(production_env):
    # So a quiet moment keeps to warm connections (config.py).
    app = create_app(ProductionConfig)
    with app.app_context():
        first, second = db.engine.connect(), db.engine.connect()
        returned_last = second.connection.dbapi_connection
        first.close()
        second.close()
        with db.engine.connect() as connection:
            assert connection.connection.dbapi_connection is returned_last


def test_development_makes_a_random_key_once_and_keeps_it(tmp_path):
    keys = []
    for _ in range(2):
        app = Flask(__name__, instance_path=str(tmp_path / "instance"))
        configure_secret_key(app, production=False)
        keys.append(app.config["SECRET_KEY"])
    assert keys[0] == keys[1] and len(keys[0]) >= 32
    key_file = tmp_path / "instance" / "secret_key"
    assert key_file.stat().st_mode & 0o077 == 0


def test_every_key_can_be_overridden_by_a_flask_prefixed_variable(production_env, monkeypatch):
    monkeypatch.setenv("FLASK_SESSION_COOKIE_SECURE", "false")
    monkeypatch.setenv("FLASK_POSTS_PER_PAGE", "5")
    monkeypatch.setenv("FLASK_OPENID_ALLOW_PRIVATE_NETWORKS", "true")
    config = create_app(ProductionConfig).config
    assert config["SESSION_COOKIE_SECURE"] is False
    assert config["POSTS_PER_PAGE"] == 5
    assert config["OPENID_ALLOW_PRIVATE_NETWORKS"] is True


@pytest.mark.parametrize(
    ("env", "url"),
    [
        (None, "sqlite:///"),
        ("postgresql+psycopg://u:p@db/microblog", "postgresql+psycopg://u:p@db/microblog"),
        ("postgres://u:p@db/microblog", "postgresql://u:p@db/microblog"),
    ],
)
def test_database_url_is_read_from_the_environment(monkeypatch, env, url):
    if env is None:
        monkeypatch.delenv("DATABASE_URL", raising=False)
    else:
        monkeypatch.setenv("DATABASE_URL", env)
    assert database_url().startswith(url)


def test_default_database_is_sqlite_in_the_project_folder(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert database_url().endswith("/app.db")


@pytest.mark.parametrize(
    ("config_class", "enabled"),
    [(DevelopmentConfig, True), (TestingConfig, True), (ProductionConfig, False)],
)
def test_private_networks_and_dev_provider_are_off_only_in_production(config_class, enabled):
    assert config_class.OPENID_ALLOW_PRIVATE_NETWORKS is enabled
    assert config_class.DEV_OPENID_PROVIDER is enabled


DEV_PATHS = (
    "/dev/openid/",
    "/dev/openid/id/alice",
    "/dev/openid/endpoint",
    "/dev/oidc/",
    "/dev/oidc/.well-known/openid-configuration",
    "/dev/oidc/authorize",
    "/dev/oidc/jwks",
)


def test_the_dev_providers_are_404_in_production(production_env):
    client = create_app(ProductionConfig).test_client()
    for path in DEV_PATHS:
        assert client.get(path, base_url=f"https://{PUBLIC_HOST}").status_code == 404
    assert client.post("/dev/oidc/token", base_url=f"https://{PUBLIC_HOST}").status_code == 404
    login = client.get("/login", base_url=f"https://{PUBLIC_HOST}").text
    assert "/dev/openid/" not in login and "/login/oidc/dev" not in login
    assert (
        client.get("/login/oidc/dev/callback", base_url=f"https://{PUBLIC_HOST}").status_code == 404
    )


@pytest.mark.parametrize(
    ("providers", "reason"),
    [
        ('[{"name": "SSO", "issuer": "https://sso.example"}]', "lacks client_id, client_secret"),
        ('[{"name": "SSO", "issuer": "sso.example", "client_id": "c", "client_secret": "s"}]',
         "the issuer of sso must be a URL"),
        ('[{"name": "A", "key": "x", "issuer": "https://a.example", "client_id": "c",'
         ' "client_secret": "s"}, {"name": "B", "key": "x", "issuer": "https://b.example",'
         ' "client_id": "c", "client_secret": "s"}]', "two providers have the same key"),
        ('[{"name": "' + "S" * 256 + '", "key": "sso", "issuer": "https://sso.example",'
         ' "client_id": "c", "client_secret": "s"}]', "the name of sso is too long"),
    ],
)  # fmt: skip
def test_production_refuses_to_start_with_a_broken_oidc_provider(
    production_env, monkeypatch, providers, reason
):
    monkeypatch.setenv("FLASK_OIDC_PROVIDERS", providers)
    with pytest.raises(ConfigError, match=reason):
        create_app(ProductionConfig)


def test_a_configured_oidc_provider_gets_a_button(production_env, monkeypatch):
    monkeypatch.setenv(
        "FLASK_OIDC_PROVIDERS",
        '[{"name": "Example SSO", "issuer": "https://sso.example", "client_id": "c",'
        ' "client_secret": "s"}]',
    )
    login = (
        create_app(ProductionConfig).test_client().get("/login", base_url=f"https://{PUBLIC_HOST}")
    )
    assert 'formaction="/login/oidc/example-sso"' in login.text


def test_create_app_with_no_argument_is_production(monkeypatch):
    monkeypatch.delenv("FLASK_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError):
        create_app()


def test_gunicorn_refuses_to_start_with_one_line_when_the_key_is_missing():
    env = {k: v for k, v in os.environ.items() if k != "FLASK_SECRET_KEY"}
    gunicorn = Path(sys.executable).with_name("gunicorn")
    result = subprocess.run(
        [str(gunicorn), "-b", "127.0.0.1:0", "app:create_app()"],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .startswith("Error: refusing to start: SECRET_KEY is not set")
    )
    assert "Traceback" not in result.stderr


def test_plain_views_and_hooks_are_run_as_they_are(app):
    def view():
        return "page"

    assert app.ensure_sync(view) is view
    assert app.ensure_sync(app.login_manager._update_remember_cookie).__func__ is (
        app.login_manager._update_remember_cookie.__func__
    )


def test_an_async_view_still_goes_through_flasks_own_check(app):
    async def view():
        return "page"

    # Without asgiref, which Flask's "async" extra brings, Flask refuses it.
    with pytest.raises(RuntimeError, match="async"):
        app.ensure_sync(view)


def test_a_blueprints_templates_see_request_session_and_g(app):
    with app.test_request_context("/explore"):
        assert request.blueprints == ["main"]
        g.marker = "here"
        session["seen"] = "yes"
        page = render_template_string("{{ request.path }} {{ session.seen }} {{ g.marker }}")
    assert page == "/explore yes here"
