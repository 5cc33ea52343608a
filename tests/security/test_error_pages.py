"""Errors reveal nothing to the visitor, and are logged with what is needed to act."""

import logging

import pytest
import sqlalchemy as sa
from flask import abort

from app import create_app
from app.extensions import db
from config import ProductionConfig

SECRET_DETAIL = "password=hunter2 in /srv/microblog/config.py"


@pytest.fixture
def production(production_env, monkeypatch, tmp_path):
    monkeypatch.setenv("FLASK_SQLALCHEMY_DATABASE_URI", f"sqlite:///{tmp_path / 'p.db'}")
    app = create_app(ProductionConfig)

    @app.route("/abort/<int:code>")
    def aborting(code):
        abort(code)

    @app.route("/crash")
    def crash():
        raise RuntimeError(SECRET_DETAIL)

    @app.route("/sql")
    def sql():
        db.session.execute(sa.text("SELECT secret_column FROM no_such_table"))

    yield app
    with app.app_context():
        db.engine.dispose()  # else its SQLite connection is left for the garbage collector


@pytest.mark.parametrize("code", [400, 403, 404, 405, 429, 500])
def test_error_pages_are_plain_pages_in_the_site_layout(production, code):
    response = production.test_client().get(f"/abort/{code}", base_url="https://localhost")
    assert response.status_code == code
    assert f"<h1>{code} &middot;" in response.text
    assert "Traceback" not in response.text


def test_a_wrong_method_page_still_says_which_methods_are_allowed(production):
    response = production.test_client().delete("/login", base_url="https://localhost")
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}
    assert response.mimetype == "text/html"


def test_an_unexpected_error_shows_nothing_of_itself_and_is_logged(production, caplog):
    with caplog.at_level(logging.ERROR):
        response = production.test_client().get("/crash", base_url="https://localhost")
    assert response.status_code == 500
    assert "Something went wrong on our side." in response.text
    assert "hunter2" not in response.text and "Traceback" not in response.text
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "/crash" in record.getMessage()
    assert SECRET_DETAIL in str(record.exc_info[1])


def test_a_database_error_shows_no_sql(production, caplog):
    with caplog.at_level(logging.ERROR):
        response = production.test_client().get("/sql", base_url="https://localhost")
    assert response.status_code == 500
    assert "secret_column" not in response.text and "no_such_table" not in response.text
    assert any("no_such_table" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)
