"""Backups of the subscriber database while the service runs, and restoring one.

SQLite's backup API copies a consistent snapshot; in WAL mode the service keeps writing
meanwhile. See docs/security.md for the procedure.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from generator.newsletter.store import (
    SCHEMA_VERSION,
    StoreError,
    StoreUnavailable,
    connect,
    migrate,
)


def backup(source: Path, target: Path) -> dict[str, int]:
    """A consistent copy of the live database in one file, made with SQLite's backup API.

    The copy is one snapshot (one read transaction; in WAL mode writers go on meanwhile),
    written beside `target` and renamed into place only after it passed integrity_check, so
    a half-made backup never carries the final name. Returns the tables' row counts.
    """
    if target.exists():
        raise StoreError(f"{target} exists already; a backup never overwrites a file")
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        with closing(connect(source)) as live, closing(sqlite3.connect(partial)) as copy:
            live.backup(copy)  # all pages in one step: one snapshot, however busy the site
            copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
            counts = _check_copy(copy, target)
        os.replace(partial, target)
    except sqlite3.OperationalError as exc:
        raise StoreUnavailable(str(exc)) from None
    finally:
        partial.unlink(missing_ok=True)
    return counts


def restore(backup_file: Path, live_path: Path, keep: Path) -> dict[str, int]:
    """Replace the live database with a backup; the current one is first copied to `keep`.

    The service must be stopped (the caller checks its lock). The backup API writes the
    pages inside one transaction of the live database, so its WAL and -shm files stay right.
    """
    with closing(sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)) as source:
        counts = _check_copy(source, backup_file)
    if live_path.exists():
        backup(live_path, keep)
    with (
        closing(connect(live_path)) as live,
        closing(sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)) as source,
    ):
        source.backup(live)
        migrate(live)  # a backup from an older kommunenyt gets today's schema
    return counts


def _check_copy(conn: sqlite3.Connection, name: Path) -> dict[str, int]:
    """Refuse a file that is damaged or not a kommunenyt subscriber database."""
    try:
        result = conn.execute("PRAGMA integrity_check").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{name} is not a usable SQLite database: {exc}") from None
    if result != "ok":
        raise StoreError(f"{name} is damaged: integrity_check says {result}")
    if version > SCHEMA_VERSION or not {"subscribers", "subscriptions"} <= tables:
        raise StoreError(f"{name} is not a subscriber database of this kommunenyt")
    return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in sorted(tables)}


def service_lock_path(database: Path) -> Path:
    return database.with_name(database.name + ".service-lock")


def hold_service_lock(database: Path) -> int:
    """Mark the database as in use by a running service (a shared lock, held until exit)."""
    database.parent.mkdir(parents=True, exist_ok=True)
    # read-only: an open file for writing would keep its disk from being remounted read-only
    fd = os.open(service_lock_path(database), os.O_CREAT | os.O_RDONLY, 0o600)
    fcntl.flock(fd, fcntl.LOCK_SH)
    return fd


@contextmanager
def service_stopped(database: Path) -> Iterator[None]:
    """Hold the database for a restore; StoreError while any service process still runs."""
    database.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(service_lock_path(database), os.O_CREAT | os.O_RDWR, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StoreError(
                "the signup service is running; stop it (and every worker) before a restore"
            ) from None
        yield
    finally:
        os.close(fd)
