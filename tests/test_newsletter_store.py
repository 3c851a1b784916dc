"""The subscriber database: versioned schema, migrations, GDPR access and erasure."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import subprocess
import sys

import pytest

from generator.newsletter.store import (
    MIGRATIONS,
    SCHEMA_VERSION,
    Store,
    StoreError,
    connect,
    migrate,
)
from generator.newsletter.tokens import hash_token
from tests.newsletter_support import LISTS, Clock

CONSENT = "Jeg giver samtykke."


def test_a_new_database_gets_the_current_schema_in_wal_mode(tmp_path):
    store = Store(tmp_path / "var" / "subscribers.sqlite3")
    assert store.version == SCHEMA_VERSION == 2
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"subscribers", "subscriptions", "consents", "tokens", "deliveries"} <= tables


def test_an_old_database_is_migrated_and_keeps_its_data(tmp_path):
    path = tmp_path / "subscribers.sqlite3"
    conn = connect(path)
    assert migrate(conn, MIGRATIONS[:1]) == 1  # the database as version 1 left it
    conn.execute(
        "INSERT INTO subscribers (email, name, created_at, unsubscribe_key) "
        "VALUES ('anna@example.dk', 'Anna', '2021-06-14T10:00:00+00:00', ?)",
        ("k" * 43,),
    )
    conn.execute(
        "INSERT INTO subscriptions VALUES (1, 'ugebrev', 'confirmed', "
        "'2021-06-14T10:00:00+00:00', '2021-06-14T10:05:00+00:00')"
    )
    conn.close()
    store = Store(path)
    assert store.version == SCHEMA_VERSION
    [subscriber] = store.confirmed("ugebrev")
    assert subscriber.email == "anna@example.dk"
    store.record_delivery("2021-06-18-ugebrev", subscriber.id)  # the table version 2 added
    assert store.delivered("2021-06-18-ugebrev") == {subscriber.id}


def test_a_migration_that_fails_leaves_the_old_version_intact(tmp_path):
    conn = connect(tmp_path / "db.sqlite3")
    broken = (*MIGRATIONS, ("CREATE TABLE extra (x)", "THIS IS NOT SQL"))
    with pytest.raises(sqlite3.OperationalError):
        migrate(conn, broken)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'extra'").fetchall()


def test_a_database_from_a_newer_kommunenyt_is_refused(tmp_path):
    path = tmp_path / "db.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match="upgrade kommunenyt"):
        Store(path)


def test_a_file_that_is_not_a_database_is_refused(tmp_path):
    path = tmp_path / "db.sqlite3"
    path.write_text("no database here")
    with pytest.raises(StoreError, match="not a usable SQLite database"):
        Store(path)


def test_tokens_are_stored_only_as_hashes(tmp_path):
    store = Store(tmp_path / "db.sqlite3")
    outcome = store.signup("anna@example.dk", "", ["ugebrev"], CONSENT, 48)
    assert outcome.token
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("db.sqlite3*"))
    assert outcome.token.encode() not in raw
    assert hash_token(outcome.token).encode() in raw


def test_unconfirmed_signups_are_purged_after_the_link_expires(tmp_path):
    clock = Clock(dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    store = Store(tmp_path / "db.sqlite3", clock)
    confirmed = store.signup("ja@example.dk", "", ["ugebrev"], CONSENT, 48)
    store.confirm(confirmed.token or "")
    store.signup("nej@example.dk", "", ["ugebrev"], CONSENT, 48)
    assert store.purge(30) == 0  # the link still works
    clock.advance(hours=49)
    assert store.purge(30) == 1
    assert store.person("nej@example.dk") is None
    assert store.person("ja@example.dk") is not None


def test_consent_is_recorded_with_time_text_and_lists(tmp_path):
    clock = Clock(dt.datetime(2021, 6, 14, 8, 0, tzinfo=dt.UTC))
    store = Store(tmp_path / "db.sqlite3", clock)
    outcome = store.signup("anna@example.dk", "Anna", ["ugebrev", "udbud"], CONSENT, 48)
    clock.advance(minutes=5)
    store.confirm(outcome.token or "")
    person = store.person("anna@example.dk")
    assert person is not None
    assert person["consents"] == [
        {
            "given_at": "2021-06-14T08:00:00+00:00",
            "consent_text": CONSENT,
            "lists": ["ugebrev", "udbud"],
            "confirmed_at": "2021-06-14T08:05:00+00:00",
        }
    ]


def _cli(site, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "generator", "subscribers", *args, "--site", str(site.root)],
        capture_output=True,
        text=True,
    )


def test_subscribers_show_and_delete_give_and_erase_one_persons_data(site):
    site.config("[newsletter]\n" + LISTS)
    store = Store(site.root / "var" / "subscribers.sqlite3")
    outcome = store.signup("anna@example.dk", "Anna", ["ugebrev"], CONSENT, 48)
    store.confirm(outcome.token or "")
    store.signup("bo@example.dk", "", ["udbud"], CONSENT, 48)

    shown = _cli(site, "show", "Anna@Example.dk")
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    assert data["email"] == "anna@example.dk" and data["name"] == "Anna"
    assert data["subscriptions"][0]["status"] == "confirmed"

    counted = _cli(site, "count")
    assert "ugebrev: 1 confirmed, 0 pending" in counted.stdout
    assert "udbud: 0 confirmed, 1 pending" in counted.stdout
    assert "@" not in counted.stdout

    erased = _cli(site, "delete", "anna@example.dk")
    assert erased.returncode == 0 and "Erased anna@example.dk" in erased.stderr
    assert _cli(site, "show", "anna@example.dk").returncode == 1
    assert _cli(site, "delete", "anna@example.dk").returncode == 1
    with sqlite3.connect(store.path) as conn:
        for table in ("subscriptions", "consents", "tokens"):
            rows = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            assert rows == 1, table  # only Bo's rows are left


def test_export_refuses_an_unknown_list_and_other_providers(site):
    site.config("[newsletter]\n" + LISTS)
    result = _cli(site, "export", "--list", "findes-ikke")
    assert result.returncode == 1 and "no list 'findes-ikke'" in result.stderr
    site.config(
        '[newsletter]\nprovider = "form"\n[newsletter.form]\naction = "https://x.example/"\n'
    )
    result = _cli(site, "export")
    assert result.returncode == 1 and "provider is 'form'" in result.stderr
