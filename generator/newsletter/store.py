"""The subscriber database: SQLite in WAL mode, a versioned schema, one short transaction per call.

Every call opens its own connection, so the store is safe to share between the threads of
a WSGI server and between the processes of gunicorn. Confirmation tokens are stored only
as SHA-256 hashes; the unsubscribe key is a random value kept in the clear because every
newsletter sent must put it in a link.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from generator.newsletter.tokens import hash_token, new_token, plausible_token

Clock = Callable[[], dt.datetime]

# Each step moves the schema one version up; PRAGMA user_version holds the version reached.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (  # 1: subscribers, their lists, the consent they gave, confirmation tokens
        """CREATE TABLE subscribers (
            id INTEGER PRIMARY KEY,
            email TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            unsubscribe_key TEXT NOT NULL UNIQUE)""",
        """CREATE TABLE subscriptions (
            subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
            list_id TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('pending', 'confirmed', 'unsubscribed')),
            updated_at TEXT NOT NULL,
            confirmed_at TEXT,
            PRIMARY KEY (subscriber_id, list_id))""",
        """CREATE TABLE consents (
            id INTEGER PRIMARY KEY,
            subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
            given_at TEXT NOT NULL,
            consent_text TEXT NOT NULL,
            lists TEXT NOT NULL,
            confirmed_at TEXT)""",
        """CREATE TABLE tokens (
            hash TEXT PRIMARY KEY,
            subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
            consent_id INTEGER NOT NULL REFERENCES consents(id) ON DELETE CASCADE,
            lists TEXT NOT NULL,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            used_at TEXT)""",
        "CREATE INDEX subscriptions_by_list ON subscriptions (list_id, status)",
    ),
    (  # 2: which subscriber got which newsletter issue, so an interrupted send can resume
        """CREATE TABLE deliveries (
            issue TEXT NOT NULL,
            subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
            sent_at TEXT NOT NULL,
            PRIMARY KEY (issue, subscriber_id))""",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)


class StoreError(Exception):
    """The database cannot be used by this version of kommunenyt."""


class StoreUnavailable(Exception):
    """The database cannot be read or written right now (locked by another process,
    read-only, disk full, gone); `reason` is SQLite's own words, without personal data."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class SignupOutcome:
    """What a signup changed; the caller mails `token` (None: nothing left to confirm)."""

    subscriber_id: int
    unsubscribe_key: str
    token: str | None
    pending: tuple[str, ...]  # lists that now wait for confirmation
    confirmed: tuple[str, ...]  # lists the address already had confirmed


@dataclass(frozen=True)
class TokenCheck:
    """The state of a confirmation token: 'valid', 'used', 'expired' or 'unknown'."""

    state: str
    lists: tuple[str, ...] = ()
    unsubscribe_key: str = ""


@dataclass(frozen=True)
class Subscriber:
    id: int
    email: str
    name: str
    unsubscribe_key: str
    lists: tuple[str, ...]  # confirmed lists
    confirmed_at: str
    consent_at: str
    consent_text: str


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


POOL_SIZE = 8
BUSY_TIMEOUT = 5.0  # seconds a write waits for another process's lock before giving up


def connect(path: Path, busy_timeout: float = BUSY_TIMEOUT) -> sqlite3.Connection:
    """A connection in autocommit mode; transactions are opened explicitly.

    synchronous = FULL: a confirmation the reader was shown survives even a power cut.
    """
    conn = sqlite3.connect(
        path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
    )
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
    conn.execute("PRAGMA synchronous = FULL")
    return conn


def migrate(conn: sqlite3.Connection, migrations: Sequence[Sequence[str]] = MIGRATIONS) -> int:
    """Bring the schema to the newest version, one transaction per step; return the version.

    The version is read again inside each write transaction, so two processes starting
    at once never run the same step twice.
    """
    conn.execute("PRAGMA journal_mode = WAL")
    while True:
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > len(migrations):
                raise StoreError(
                    f"the subscriber database has schema version {version}, but this kommunenyt "
                    f"knows only up to {len(migrations)}; upgrade kommunenyt"
                )
            if version == len(migrations):
                conn.execute("COMMIT")
                return version
            for statement in migrations[version]:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise


class Store:
    """All reads and writes of subscriber data."""

    def __init__(self, path: Path, clock: Clock = utc_now, busy_timeout: float = BUSY_TIMEOUT):
        self.path = path
        self.clock = clock
        self.busy_timeout = busy_timeout
        # Threads of one process take turns to write; SQLite's busy handler then only has
        # other processes to wait for, and no thread starves under a burst of signups.
        self._write_lock = threading.Lock()
        self._pool_lock = threading.Lock()
        self._idle: list[sqlite3.Connection] = []
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with self._connection() as conn:
                self.version = migrate(conn)
        except StoreUnavailable as exc:
            raise StoreError(f"{path} cannot be opened for writing: {exc.reason}") from None
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{path} is not a usable SQLite database: {exc}") from None

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        """A connection from the pool, or a new one; one thread uses it at a time.

        Idle connections are kept open (a few): when the last connection to a WAL database
        closes, SQLite checkpoints and syncs the whole database, which would cost every
        request several fsyncs. A connection that met an error is closed, never reused.
        """
        with self._pool_lock:
            conn = self._idle.pop() if self._idle else None
        if conn is None:
            try:
                conn = connect(self.path, self.busy_timeout)
            except sqlite3.OperationalError as exc:
                raise StoreUnavailable(str(exc)) from None
        reusable = False
        try:
            yield conn
            reusable = not conn.in_transaction
        except sqlite3.OperationalError as exc:  # locked, read-only, disk full, I/O error
            raise StoreUnavailable(str(exc)) from None
        finally:
            with self._pool_lock:
                if reusable and len(self._idle) < POOL_SIZE:
                    self._idle.append(conn)
                    conn = None
            if conn is not None:
                conn.close()

    def close(self) -> None:
        """Close the idle connections (a stopped service; a restore; a disk to remount)."""
        with self._pool_lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._write_lock, self._connection() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def signup(
        self, email: str, name: str, lists: Sequence[str], consent_text: str, token_hours: int
    ) -> SignupOutcome:
        """Record a signup as pending; never a second row for the same address."""
        now = self.clock()
        stamp = _stamp(now)
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO subscribers (email, name, created_at, unsubscribe_key) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (email) DO NOTHING",
                (email, name, stamp, new_token()),
            )
            row = conn.execute(
                "SELECT id, name, unsubscribe_key FROM subscribers WHERE email = ?", (email,)
            ).fetchone()
            if name and not row["name"]:
                conn.execute("UPDATE subscribers SET name = ? WHERE id = ?", (name, row["id"]))
            status = dict(
                conn.execute(
                    "SELECT list_id, status FROM subscriptions WHERE subscriber_id = ?",
                    (row["id"],),
                ).fetchall()
            )
            confirmed = tuple(x for x in lists if status.get(x) == "confirmed")
            pending = tuple(x for x in lists if status.get(x) != "confirmed")
            token = None
            if pending:
                conn.executemany(
                    "INSERT INTO subscriptions (subscriber_id, list_id, status, updated_at) "
                    "VALUES (?, ?, 'pending', ?) ON CONFLICT (subscriber_id, list_id) "
                    "DO UPDATE SET status = 'pending', updated_at = excluded.updated_at",
                    [(row["id"], x, stamp) for x in pending],
                )
                consent_id = conn.execute(
                    "INSERT INTO consents (subscriber_id, given_at, consent_text, lists) "
                    "VALUES (?, ?, ?, ?)",
                    (row["id"], stamp, consent_text, json.dumps(pending)),
                ).lastrowid
                token = new_token()
                conn.execute(
                    "INSERT INTO tokens (hash, subscriber_id, consent_id, lists, created_at, "
                    "expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        hash_token(token),
                        row["id"],
                        consent_id,
                        json.dumps(pending),
                        stamp,
                        _stamp(now + dt.timedelta(hours=token_hours)),
                    ),
                )
        return SignupOutcome(row["id"], row["unsubscribe_key"], token, pending, confirmed)

    def check_token(self, token: str) -> TokenCheck:
        """Look a confirmation token up without using it (the page before the button)."""
        if not plausible_token(token):
            return TokenCheck("unknown")
        with self._connection() as conn:
            row = conn.execute(
                "SELECT t.lists, t.expires_at, t.used_at, s.unsubscribe_key FROM tokens t "
                "JOIN subscribers s ON s.id = t.subscriber_id WHERE t.hash = ?",
                (hash_token(token),),
            ).fetchone()
        if row is None:
            return TokenCheck("unknown")
        lists = tuple(json.loads(row["lists"]))
        if row["used_at"]:
            return TokenCheck("used", lists, row["unsubscribe_key"])
        if row["expires_at"] <= _stamp(self.clock()):
            return TokenCheck("expired", lists, row["unsubscribe_key"])
        return TokenCheck("valid", lists, row["unsubscribe_key"])

    def confirm(self, token: str) -> TokenCheck:
        """Use a token once: its pending lists become confirmed. Returns the token's state."""
        if not plausible_token(token):
            return TokenCheck("unknown")
        stamp = _stamp(self.clock())
        with self._transaction() as conn:
            row = conn.execute(
                "UPDATE tokens SET used_at = ? WHERE hash = ? AND used_at IS NULL "
                "AND expires_at > ? RETURNING subscriber_id, consent_id, lists",
                (stamp, hash_token(token), stamp),
            ).fetchone()
            if row is None:
                state = None
            else:
                lists = tuple(json.loads(row["lists"]))
                conn.executemany(
                    "UPDATE subscriptions SET status = 'confirmed', updated_at = ?, "
                    "confirmed_at = ? WHERE subscriber_id = ? AND list_id = ? "
                    "AND status = 'pending'",
                    [(stamp, stamp, row["subscriber_id"], x) for x in lists],
                )
                conn.execute(
                    "UPDATE consents SET confirmed_at = ? WHERE id = ?", (stamp, row["consent_id"])
                )
                key = conn.execute(
                    "SELECT unsubscribe_key FROM subscribers WHERE id = ?",
                    (row["subscriber_id"],),
                ).fetchone()[0]
                state = TokenCheck("valid", lists, key)
        return state or self.check_token(token)

    def lists_of_key(self, key: str) -> tuple[str, ...] | None:
        """The lists an unsubscribe key's owner is on (pending or confirmed); None if unknown."""
        if not plausible_token(key):
            return None
        with self._connection() as conn:
            row = conn.execute(
                "SELECT id FROM subscribers WHERE unsubscribe_key = ?", (key,)
            ).fetchone()
            if row is None:
                return None
            return tuple(
                r[0]
                for r in conn.execute(
                    "SELECT list_id FROM subscriptions WHERE subscriber_id = ? "
                    "AND status != 'unsubscribed' ORDER BY list_id",
                    (row["id"],),
                )
            )

    def unsubscribe(self, key: str, list_id: str | None) -> tuple[str, ...] | None:
        """Leave one list, or all lists when list_id is None; None if the key is unknown."""
        if not plausible_token(key):
            return None
        stamp = _stamp(self.clock())
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT id FROM subscribers WHERE unsubscribe_key = ?", (key,)
            ).fetchone()
            if row is None:
                return None
            where = "subscriber_id = ? AND status != 'unsubscribed'"
            params: tuple[object, ...] = (row["id"],)
            if list_id is not None:
                where += " AND list_id = ?"
                params += (list_id,)
            left = conn.execute(
                f"UPDATE subscriptions SET status = 'unsubscribed', updated_at = ? "
                f"WHERE {where} RETURNING list_id",
                (stamp, *params),
            ).fetchall()
            # an unconfirmed signup the person disowns: its tokens must stop working too
            conn.execute(
                "UPDATE tokens SET used_at = ? WHERE subscriber_id = ? AND used_at IS NULL",
                (stamp, row["id"]),
            )
        return tuple(sorted(r[0] for r in left))

    def confirmed(self, list_id: str | None = None) -> list[Subscriber]:
        """Confirmed subscribers (of one list, or of any), oldest first, with their consent."""
        query = (
            "SELECT s.id, s.email, s.name, s.unsubscribe_key, "
            "group_concat(c.list_id, ' ') AS lists, min(c.confirmed_at) AS confirmed_at "
            "FROM subscribers s JOIN subscriptions c ON c.subscriber_id = s.id "
            "WHERE c.status = 'confirmed'" + (" AND c.list_id = ?" if list_id else "") + " "
            "GROUP BY s.id ORDER BY s.id"
        )
        with self._connection() as conn:
            rows = conn.execute(query, (list_id,) if list_id else ()).fetchall()
            consent = {
                r["subscriber_id"]: r
                for r in conn.execute(
                    "SELECT subscriber_id, given_at, consent_text FROM consents "
                    "WHERE confirmed_at IS NOT NULL ORDER BY given_at"
                )
            }
        return [
            Subscriber(
                r["id"],
                r["email"],
                r["name"],
                r["unsubscribe_key"],
                tuple(sorted(r["lists"].split())),
                r["confirmed_at"] or "",
                consent[r["id"]]["given_at"] if r["id"] in consent else "",
                consent[r["id"]]["consent_text"] if r["id"] in consent else "",
            )
            for r in rows
        ]

    def person(self, email: str) -> dict[str, object] | None:
        """Everything stored about one address (a GDPR access request), or None."""
        with self._connection() as conn:
            row = conn.execute("SELECT * FROM subscribers WHERE email = ?", (email,)).fetchone()
            if row is None:
                return None
            sid = row["id"]

            def rows(sql: str) -> list[dict[str, object]]:
                return [dict(r) for r in conn.execute(sql, (sid,))]

            return {
                "email": row["email"],
                "name": row["name"],
                "created_at": row["created_at"],
                "subscriptions": rows(
                    "SELECT list_id, status, updated_at, confirmed_at FROM subscriptions "
                    "WHERE subscriber_id = ? ORDER BY list_id"
                ),
                "consents": [
                    {**c, "lists": json.loads(str(c["lists"]))}
                    for c in rows(
                        "SELECT given_at, consent_text, lists, confirmed_at FROM consents "
                        "WHERE subscriber_id = ? ORDER BY id"
                    )
                ],
                "newsletters_received": rows(
                    "SELECT issue, sent_at FROM deliveries WHERE subscriber_id = ? ORDER BY sent_at"
                ),
            }

    def delete(self, email: str) -> bool:
        """Erase one person and everything linked to them."""
        with self._transaction() as conn:
            return conn.execute("DELETE FROM subscribers WHERE email = ?", (email,)).rowcount > 0

    def purge(self, unsubscribed_days: int) -> int:
        """Erase people with nothing left: never confirmed in time, or long unsubscribed."""
        now = self.clock()
        expired = _stamp(now)
        old = _stamp(now - dt.timedelta(days=unsubscribed_days))
        with self._transaction() as conn:
            return conn.execute(
                "DELETE FROM subscribers WHERE id NOT IN (SELECT subscriber_id FROM "
                "subscriptions WHERE status = 'confirmed') AND id NOT IN (SELECT subscriber_id "
                "FROM tokens WHERE used_at IS NULL AND expires_at > ?) AND id NOT IN (SELECT "
                "subscriber_id FROM subscriptions WHERE status = 'unsubscribed' AND "
                "updated_at > ?)",
                (expired, old),
            ).rowcount

    def counts(self) -> dict[str, dict[str, int]]:
        """Subscriptions per list and status, for a summary without addresses."""
        result: dict[str, dict[str, int]] = {}
        with self._connection() as conn:
            for r in conn.execute(
                "SELECT list_id, status, count(*) FROM subscriptions GROUP BY list_id, status"
            ):
                result.setdefault(r[0], {})[r[1]] = r[2]
        return result

    def delivered(self, issue: str) -> set[int]:
        with self._connection() as conn:
            return {
                r[0]
                for r in conn.execute(
                    "SELECT subscriber_id FROM deliveries WHERE issue = ?", (issue,)
                )
            }

    def record_delivery(self, issue: str, subscriber_id: int) -> None:
        with self._transaction() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO deliveries (issue, subscriber_id, sent_at) VALUES (?, ?, ?)",
                (issue, subscriber_id, _stamp(self.clock())),
            )
