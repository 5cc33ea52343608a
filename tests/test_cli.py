"""Creating the database: the init-db command and db_create.py."""

import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from app.extensions import db

ROOT = Path(__file__).resolve().parent.parent


def test_init_db_command_creates_the_tables_and_can_run_twice(app, runner):
    with app.app_context():
        db.drop_all()
    for _ in range(2):
        result = runner.invoke(args=["init-db"])
        assert result.exit_code == 0
        assert "Initialized the database." in result.output
    with app.app_context():
        assert {"user", "post"} <= set(sa.inspect(db.engine).get_table_names())


def test_db_create_script_keeps_existing_data_when_run_twice(tmp_path):
    url = f"sqlite:///{tmp_path / 'app.db'}"
    env = {**os.environ, "DATABASE_URL": url}
    env.pop("FLASK_SQLALCHEMY_DATABASE_URI", None)
    run = [sys.executable, str(ROOT / "db_create.py")]
    subprocess.run(run, env=env, cwd=ROOT, check=True, capture_output=True)
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            sa.text("INSERT INTO user (nickname, created) VALUES ('a', '2026-01-01')")
        )
    result = subprocess.run(run, env=env, cwd=ROOT, check=True, capture_output=True, text=True)
    assert "Database ready" in result.stdout
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM user")).scalar() == 1
    engine.dispose()


def test_a_sqlite_database_is_put_in_write_ahead_log_mode(tmp_path, monkeypatch):
    from app import create_app
    from app.cli import init_db
    from config import TestingConfig

    monkeypatch.setenv("FLASK_SQLALCHEMY_DATABASE_URI", f"sqlite:///{tmp_path / 'wal.db'}")
    app = create_app(TestingConfig)
    with app.app_context():
        init_db()
        db.engine.dispose()  # new connections see the mode the file now has
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        db.engine.dispose()


def test_the_app_loads_no_migration_code_until_something_migrates(tmp_path):
    env = {**os.environ, "FLASK_SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'app.db'}"}
    code = (
        "import sys\n"
        "from app import create_app\n"
        "create_app('testing')\n"
        "print('alembic' in sys.modules, 'flask_migrate' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                         text=True, check=True)  # fmt: skip
    assert out.stdout.split() == ["False", "False"]


def test_flask_migrates_commands_run_under_flask_db(app, runner):
    with app.app_context():
        db.drop_all()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    with app.app_context():
        assert {"alembic_version", "user", "post"} <= set(sa.inspect(db.engine).get_table_names())
    assert "upgrade" in runner.invoke(args=["db", "--help"]).output
    assert runner.invoke(args=["db", "no-such-command"]).exit_code != 0
