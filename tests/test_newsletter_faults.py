"""The signup service when things break: a locked, read-only or full database, a killed
server, and backups taken while it runs.

A broken database gives the reader a clear Danish 503 with Retry-After and the operator one
log line, never a stack trace; a killed server loses no confirmed subscription.
"""

from __future__ import annotations

import email
import email.policy
import errno
import logging
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from generator.cli import main
from tests.newsletter_support import LISTS, Service, token_of

REPO = Path(__file__).parent.parent


def assert_unavailable(service: Service, caplog, reason: str) -> None:
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="kommunenyt.newsletter"):
        page = service.signup("ny@example.dk")
        fetched = service.signup("ny@example.dk", headers={"Accept": "application/json"})
    for reply in (page, fetched):
        assert reply.status == 503, reply.body
        assert int(reply.headers["retry-after"]) > 0
        assert "Traceback" not in reply.body and "sqlite" not in reply.body.lower()
    assert "Prøv igen om et øjeblik" in page.body and "<h1" in page.body
    assert fetched.json()["ok"] is False
    lines = [r.getMessage() for r in caplog.records]
    assert any("database unavailable" in line and reason in line for line in lines), lines


@contextmanager
def tmpfs(folder: Path, size: str = "4m"):
    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True
    )
    try:
        yield mounted.returncode == 0
    finally:
        if mounted.returncode == 0:
            subprocess.run(["umount", "-l", str(folder)], check=False)


def test_a_database_locked_by_another_process_gives_503_then_recovers(site, caplog):
    service = Service(site, "[newsletter.builtin]\nrate_limit = 1000")
    service.app.store.busy_timeout = 0.5
    try:
        assert service.signup("foer@example.dk").status == 303
        holder = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import sqlite3, sys\n"
                f"c = sqlite3.connect({str(service.database)!r}, isolation_level=None)\n"
                "c.execute('BEGIN EXCLUSIVE')\nprint('locked', flush=True)\nsys.stdin.read()",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert holder.stdout.readline().strip() == "locked"  # type: ignore[union-attr]
        try:
            assert_unavailable(service, caplog, "database is locked")
        finally:
            holder.communicate("", timeout=10)
        assert service.signup("efter@example.dk").status == 303
        with sqlite3.connect(service.database) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            emails = [r[0] for r in conn.execute("SELECT email FROM subscribers ORDER BY id")]
        assert emails == ["foer@example.dk", "efter@example.dk"]
    finally:
        service.stop()


def test_a_read_only_database_gives_503(site, caplog):
    with tmpfs(site.root / "var") as mounted:
        if not mounted:
            pytest.skip("mounting a tmpfs needs root (CI runs as root)")
        service = Service(site, "[newsletter.builtin]\nrate_limit = 1000")
        try:
            assert service.signup("foer@example.dk").status == 303
            # The kernel remounts a disk read-only only when no file on it is open for
            # writing, so the service first lets go of its idle connections; a failing disk
            # turns read-only under open files all the same.
            service.app.store.close()
            remount = subprocess.run(
                ["mount", "-o", "remount,ro", str(site.root / "var")], capture_output=True
            )
            assert remount.returncode == 0, remount.stderr
            assert_unavailable(service, caplog, "")
            subprocess.run(["mount", "-o", "remount,rw", str(site.root / "var")], check=True)
            assert service.signup("efter@example.dk").status == 303
        finally:
            service.stop()


def test_a_full_disk_gives_503_and_loses_nothing_already_stored(site, caplog):
    with tmpfs(site.root / "var", "2m") as mounted:
        service = Service(site, "[newsletter.builtin]\nrate_limit = 1000")
        try:
            assert service.signup("foer@example.dk").status == 303
            filler = site.root / "var" / "fyld"
            if mounted:
                with filler.open("wb") as file:
                    try:
                        while True:
                            file.write(b"\0" * 65536)
                            file.flush()
                    except OSError as exc:
                        assert exc.errno == errno.ENOSPC
            else:  # not root: the disk is "full" at the operating-system call instead
                original = os.replace

                def full(*_args):
                    raise OSError(errno.ENOSPC, "No space left on device")

                os.replace = full  # type: ignore[assignment]
            caplog.clear()
            with caplog.at_level(logging.ERROR, logger="kommunenyt.newsletter"):
                reply = service.signup("ny@example.dk")
            assert reply.status == 503 and int(reply.headers["retry-after"]) > 0
            assert "Traceback" not in reply.body
            logged = " ".join(r.getMessage() for r in caplog.records)
            # SQLite's own words: "database or disk is full" or, when its WAL index cannot
            # grow, "disk I/O error"; the outbox says "No space left on device"
            assert any(w in logged for w in ("full", "disk I/O error", "No space")), logged
            if mounted:
                filler.unlink()
            else:
                os.replace = original  # type: ignore[assignment]
            assert service.signup("efter@example.dk").status == 303
            with sqlite3.connect(service.database) as conn:
                assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
                emails = {r[0] for r in conn.execute("SELECT email FROM subscribers")}
            assert {"foer@example.dk", "efter@example.dk"} <= emails
        finally:
            service.stop()


# --- a killed server -----------------------------------------------------------------------


def start_server(site) -> tuple[subprocess.Popen, int]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "generator",
            "signup-server",
            "--site",
            str(site.root),
            "--port",
            "0",
        ],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"},
    )
    for line in process.stderr:  # type: ignore[union-attr]
        found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        if found:
            threading.Thread(target=process.stderr.read, daemon=True).start()  # type: ignore[union-attr]
            return process, int(found.group(1))
    raise AssertionError("the signup server did not start")


def post(port: int, path: str, fields: dict) -> int:
    import http.client
    from urllib.parse import urlencode

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(
            "POST",
            path,
            urlencode(fields, doseq=True),
            {"Content-Type": "application/x-www-form-urlencoded"},
        )
        return conn.getresponse().status
    except OSError:
        return 0  # the server was killed under us
    finally:
        conn.close()


def test_a_server_killed_mid_load_loses_no_confirmed_subscription(site):
    site.config(
        "[newsletter]\n" + LISTS + "\n[newsletter.builtin]\nrate_limit = 100000\n",
    )
    site.article("a.md", "title: En nyhed\ndate: 2026-11-20 10:00")
    site.build()
    process, port = start_server(site)
    signup = {"lists": ["ugebrev"], "consent": "ja"}
    for n in range(120):
        assert post(port, "/nyhedsbrev/tilmeld", {**signup, "email": f"p{n}@example.dk"}) == 303
    tokens = {}
    for path in (site.root / "var/outbox").glob("*.eml"):
        mail = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        tokens[mail["To"]] = token_of(link_in_any(mail))
    confirmed_ok: list[str] = []
    signed_up_ok: list[str] = []
    lock = threading.Lock()

    def worker(part: int) -> None:
        for n in range(part, 120, 8):
            address = f"p{n}@example.dk"
            if post(port, "/nyhedsbrev/bekraeft", {"token": tokens[address]}) == 200:
                with lock:
                    confirmed_ok.append(address)
            extra = f"q{n}@example.dk"
            if post(port, "/nyhedsbrev/tilmeld", {**signup, "email": extra}) == 303:
                with lock:
                    signed_up_ok.append(extra)

    threads = [threading.Thread(target=worker, args=(part,)) for part in range(8)]
    for thread in threads:
        thread.start()
    while len(confirmed_ok) < 20:
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    for thread in threads:
        thread.join()
    process.wait(timeout=10)
    assert 20 <= len(confirmed_ok) < 120, "killed mid-load"
    with sqlite3.connect(site.root / "var/subscribers.sqlite3") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = {r[0] for r in conn.execute("SELECT email FROM subscribers")}
        confirmed = {
            r[0]
            for r in conn.execute(
                "SELECT s.email FROM subscribers s JOIN subscriptions c "
                "ON c.subscriber_id = s.id WHERE c.status = 'confirmed'"
            )
        }
    assert set(confirmed_ok) <= confirmed
    assert set(signed_up_ok) <= stored
    restarted, port = start_server(site)  # and the service starts again on the same data
    try:
        assert post(port, "/nyhedsbrev/tilmeld", {**signup, "email": "igen@example.dk"}) == 303
    finally:
        restarted.terminate()
        restarted.wait(timeout=10)


def link_in_any(mail) -> str:
    text = mail.get_body(("plain",)).get_content()
    return re.search(r"https?://\S+/nyhedsbrev/bekraeft\?\S+", text).group(0)  # type: ignore[union-attr]


# --- backups -------------------------------------------------------------------------------


def test_backup_while_signups_pour_in_is_consistent_and_restores(site, tmp_path, capsys):
    service = Service(site, "[newsletter.builtin]\nrate_limit = 100000")
    service.app.answer_floor = 0
    stop = threading.Event()
    written: list[str] = []

    def pour() -> None:
        n = 0
        while not stop.is_set():
            if service.signup(f"strøm{n}@example.dk").status == 303:
                written.append(f"strøm{n}@example.dk")
            n += 1

    threads = [threading.Thread(target=pour) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        while len(written) < 50:
            time.sleep(0.01)
        backups = [tmp_path / f"kopi{n}.sqlite3" for n in range(3)]
        for target in backups:
            assert main(["subscribers", "backup", str(target), "--site", str(site.root)]) == 0
        refused = main(["subscribers", "restore", str(backups[0]), "--site", str(site.root)])
        assert refused == 1, "no restore while the service runs"
        assert "stop it" in capsys.readouterr().err
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    counts = []
    for target in backups:
        with sqlite3.connect(target) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
            assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
            # one snapshot: every person has a subscription, a consent and a token
            orphans = conn.execute(
                "SELECT count(*) FROM subscribers s WHERE NOT EXISTS (SELECT 1 FROM "
                "subscriptions c WHERE c.subscriber_id = s.id) OR NOT EXISTS (SELECT 1 FROM "
                "tokens t WHERE t.subscriber_id = s.id)"
            ).fetchone()[0]
            assert orphans == 0
            counts.append(conn.execute("SELECT count(*) FROM subscribers").fetchone()[0])
    assert counts == sorted(counts) and counts[-1] <= len(written)
    assert main(["subscribers", "backup", str(backups[0]), "--site", str(site.root)]) == 1

    service.stop()
    service.app.close()  # the stopped service lets go of its lock
    before = set(rows(site))
    assert main(["subscribers", "restore", str(backups[1]), "--site", str(site.root)]) == 0
    with sqlite3.connect(backups[1]) as conn:
        expected = {r[0] for r in conn.execute("SELECT email FROM subscribers")}
    assert set(rows(site)) == expected and expected < before
    kept = next((site.root / "var").glob("subscribers.before-restore-*.sqlite3"))
    with sqlite3.connect(kept) as conn:
        assert {r[0] for r in conn.execute("SELECT email FROM subscribers")} == before
    assert main(["subscribers", "count", "--site", str(site.root)]) == 0
    assert f"ugebrev: 0 confirmed, {len(expected)} pending" in capsys.readouterr().out


def rows(site) -> list[str]:
    with sqlite3.connect(site.root / "var/subscribers.sqlite3") as conn:
        return [r[0] for r in conn.execute("SELECT email FROM subscribers")]
