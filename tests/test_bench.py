"""The benchmark's quick mode, so that it cannot silently break.

It checks that the benchmark runs and reports; the figures themselves, and
whether the targets are met, are the benchmark's business, not a test's.
"""

import importlib
import json
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import sqlalchemy as sa

from .helpers import add_posts, csrf_token, missing
from .openid_provider import TestProvider
from .serving import Gunicorn, create_database, production_environ, sign_in

ROOT = Path(__file__).resolve().parent.parent


def test_the_quick_benchmark_runs_and_reports_every_target(tmp_path):
    if shutil.which("wrk") is None:
        missing("wrk, the benchmark's load generator,", "sudo apt-get install wrk")
    run = subprocess.run(
        [sys.executable, "bench/run.py", "--quick", "--no-postgres", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    results = json.loads((tmp_path / "bench.json").read_text())
    assert (tmp_path / "bench.png").stat().st_size > 10_000
    sqlite = results["databases"]["SQLite"]
    assert sqlite["index"]["4"]["app_rps"] > 0 and sqlite["login"]["4"]["bare_rps"] > 0
    assert set(sqlite["sign_in"]) == {"identity URL", "OP identifier"}
    assert all(r["warm_app_ms"] > 0 for r in sqlite["floor_sign_in"].values())
    assert set(sqlite["floor_sign_in"]) == {"identity URL", "OP identifier"}
    assert sqlite["floor"]["index"]["4"]["app_rps"] > 0
    assert sqlite["floor"]["login"]["4"]["app_rps"] > 0
    assert sqlite["against_floor"]["index"]["4"]["ratio"] > 0
    assert sqlite["against_floor"]["login"]["4"]["ratio"] > 0
    assert sqlite["libraries_against_floor"]["index"]["4"]["ratio"] > 0
    assert sqlite["libraries_against_floor"]["login"]["4"]["ratio"] > 0
    assert sqlite["calls"]["index"] > sqlite["calls"]["login"] > 100
    growth = results["growth"]["SQLite"]["pages"]
    assert set(growth) == {"/index", "/explore", "/user/seed0"}
    assert all(page["ratio"] > 0 for page in growth.values())
    assert set(sqlite["flood"]["pages"]) == {"/login", "/healthz", "/index"}
    assert sqlite["flood"]["refused"] > 0
    assert len(results["checks"]) == 11
    assert run.stdout.count("[met]") + run.stdout.count("[NOT MET]") == 11


def test_the_round_trip_count_is_what_postgresql_received(postgres):
    from bench.run import round_trips

    postgres.create_database("counted")

    def two_statements_and_a_transaction():
        with psycopg.connect(postgres.dsn("counted")) as connection:  # BEGIN ... COMMIT
            connection.execute("SELECT 1")
            connection.execute("SELECT %s::int", [2])

    assert round_trips(postgres, two_statements_and_a_transaction, 3) == 4


def lines_of(page) -> list[str]:
    """A page's lines without their indentation, its CSRF token a placeholder."""
    text = page.text.replace(csrf_token(page), "TOKEN")
    return [line.strip() for line in text.splitlines() if line.strip()]


def test_the_floors_home_page_is_the_apps_own_page(app, user, user_client, monkeypatch, tmp_path):
    # The floor is only a floor if it shows what the app shows: the reader's
    # posts with their delete buttons, the pager, the layout and its menus.
    add_posts(app, user, 25)
    monkeypatch.setenv("DATABASE_URL", app.config["SQLALCHEMY_DATABASE_URI"])
    monkeypatch.setenv("FLASK_SECRET_KEY", app.secret_key)
    (tmp_path / "login.html").write_text("")
    monkeypatch.setenv("FLOOR_LOGIN_PAGE", str(tmp_path / "login.html"))
    floor = importlib.import_module("bench.floor")
    floor = importlib.reload(floor)  # on this test's database and key
    apps_page = user_client.get("/index")
    floor_client = floor.app.test_client()
    floor_client.set_cookie("session", user_client.get_cookie("session").value)
    floors_page = floor_client.get("/index")
    floor.engine.dispose()
    assert floors_page.status_code == apps_page.status_code == 200
    assert re.search(r'action="/post/\d+/delete"', apps_page.text)
    assert "Older posts" in apps_page.text
    assert lines_of(floors_page) == lines_of(apps_page)


def test_the_floors_sign_in_refuses_an_answer_used_once(tmp_path):
    # The floor's sign-in is only a floor if it checks what the app checks:
    # a replayed answer must fail on its nonce, not sign in again.
    database_url = f"sqlite:///{tmp_path / 'floor.db'}"
    env = production_environ(database_url, tmp_path / "store")
    create_database(env)
    (tmp_path / "login.html").write_text(
        '<form method="post"><input type="hidden" name="csrf_token" '
        'value="{{ csrf_token() }}"><input name="openid"></form>'
    )
    env["FLOOR_LOGIN_PAGE"] = str(tmp_path / "login.html")
    with TestProvider() as provider, Gunicorn("bench.floor:signing_in", env, 1) as floor:
        add_account(database_url, f"{provider.url}/id/alice")
        browser, responses = sign_in(floor.url, f"{provider.url}/id/alice")
        answer = responses[1]
        assert "openid.response_nonce" in answer.url
        replayed = browser.get(answer.url, allow_redirects=False, timeout=30)
    assert replayed.status_code == 403


def add_account(database_url: str, identity_url: str) -> None:
    engine = sa.create_engine(database_url)
    meta = sa.MetaData()
    meta.reflect(engine, only=["user", "identity"])
    user, identity = meta.tables["user"], meta.tables["identity"]
    now = datetime.now(UTC)
    with engine.begin() as connection:
        user_id = connection.execute(
            user.insert().values(nickname="alice", created=now, active=True)
        ).inserted_primary_key[0]
        connection.execute(
            identity.insert().values(user_id=user_id, kind="openid", issuer="", provider="OpenID",
                                     subject=identity_url, created=now)
        )  # fmt: skip
    engine.dispose()
