"""A fresh machine differs from a developer's in ways the suite must not mind."""

import psycopg

from .helpers import missing
from .postgres import PostgresServer, postgres_bin


def test_the_tests_postgresql_starts_whatever_the_machine_locale(monkeypatch):
    if postgres_bin() is None:
        missing("PostgreSQL", "sudo apt-get install postgresql")
    # A locale this machine lacks, as when a terminal sends its own.
    monkeypatch.setenv("LANG", "xx_XX.UTF-8")
    monkeypatch.setenv("LC_ALL", "xx_XX.UTF-8")
    server = PostgresServer().init()
    try:
        with psycopg.connect(server.dsn("postgres")) as connection:
            # Text sorts by bytes, as on SQLite: "B" (0x42) before "b" (0x62).
            assert connection.execute("SELECT 'B' < 'b'").fetchone() == (True,)
    finally:
        server.destroy()
