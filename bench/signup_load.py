"""Load on the builtin signup service over loopback: many signups, then their confirmations.

Starts `kommunenyt signup-server` (wsgiref, threads) on a throw-away site, drives it with
CLIENTS concurrent clients (one HTTP connection per request, as browsers behind nginx do),
and reports throughput, latency percentiles and errors for both phases. Afterwards it
checks that no signup was lost or duplicated (every tenth request repeats an address),
that every confirmation holds, and that the database passes PRAGMA integrity_check.

    python bench/signup_load.py                 # 10,000 signups from 50 clients
    python bench/signup_load.py --signups 1000  # a quick run

Each accepted signup is answered no sooner than the service's answer floor (150 ms, so
timing does not reveal whether an address was known): latency percentiles start there.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import http.client
import os
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parent.parent
SITE_TOML = """\
[site]
title = "Belastningsnyt"
base_url = "https://belastning.example/"

[newsletter]
provider = "builtin"

[newsletter.builtin]
rate_limit = 1000000  # every client is 127.0.0.1 here; behind nginx each reader has its own

[[newsletter.lists]]
id = "ugebrev"
name = "Ugebrevet"
default = true
"""


def make_site(root: Path) -> None:
    (root / "content/articles").mkdir(parents=True)
    (root / "site.toml").write_text(SITE_TOML, "utf-8")
    (root / "content/articles/a.md").write_text(
        "---\ntitle: En nyhed\ndate: 2024-01-02 10:00\n---\n\nTekst.\n", "utf-8"
    )
    run = [sys.executable, "-m", "generator", "build", "--site", str(root)]
    subprocess.run(run, check=True, capture_output=True, env=_env())


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO)}


def start_server(root: Path) -> tuple[subprocess.Popen, int]:
    process = subprocess.Popen(
        [sys.executable, "-m", "generator", "signup-server", "--site", str(root), "--port", "0"],
        stderr=subprocess.PIPE,
        text=True,
        env={**_env(), "PYTHONUNBUFFERED": "1"},
    )
    for line in process.stderr:  # type: ignore[union-attr]
        found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        if found:
            drain = process.stderr.read  # type: ignore[union-attr]
            threading.Thread(target=drain, daemon=True).start()
            return process, int(found.group(1))
    raise SystemExit("the signup server did not start")


def post(port: int, path: str, fields: dict) -> tuple[int, float]:
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        body = urlencode(fields, doseq=True)
        conn.request("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"})
        response = conn.getresponse()
        response.read()
        status = response.status
    except OSError:
        status = 0
    finally:
        conn.close()
    return status, time.perf_counter() - started


def phase(name: str, port: int, requests: list[tuple[str, dict]], clients: int, ok: int) -> dict:
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(lambda r: post(port, *r), requests))
    seconds = time.perf_counter() - started
    latencies = sorted(t for _, t in results)
    errors = sum(status != ok for status, _ in results)
    cuts = statistics.quantiles(latencies, n=100)
    figures = {
        "requests": len(results),
        "seconds": seconds,
        "per_second": len(results) / seconds,
        "p50": cuts[49] * 1000,
        "p95": cuts[94] * 1000,
        "p99": cuts[98] * 1000,
        "max": latencies[-1] * 1000,
        "errors": errors,
    }
    print(
        f"{name}: {figures['requests']} requests from {clients} clients in {seconds:.1f} s = "
        f"{figures['per_second']:.0f}/s; latency p50 {figures['p50']:.0f} ms, "
        f"p95 {figures['p95']:.0f} ms, p99 {figures['p99']:.0f} ms, max {figures['max']:.0f} ms; "
        f"errors {errors}"
    )
    return figures


def tokens_from_outbox(outbox: Path) -> dict[str, str]:
    """The first confirmation token mailed to each address."""
    found: dict[str, str] = {}
    for path in sorted(outbox.glob("*.eml")):
        mail = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        match = re.search(r"bekraeft\?token=([A-Za-z0-9_-]+)", text)
        if match:
            found.setdefault(str(mail["To"]), match.group(1))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--signups", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kommunenyt-load-") as folder:
        root = Path(folder) / "site"
        make_site(root)
        server, port = start_server(root)
        try:
            signup = {"lists": ["ugebrev"], "consent": "ja", "name": "Læser Belastning"}
            addresses = [f"laeser{n}@kommune{n % 98}.example" for n in range(args.signups)]
            requests = []
            for n, address in enumerate(addresses):
                requests.append(("/nyhedsbrev/tilmeld", {**signup, "email": address}))
                if n % 10 == 9:  # a reader who presses the button twice
                    requests.append(("/nyhedsbrev/tilmeld", {**signup, "email": addresses[n - 5]}))
            phase("signups", port, requests, args.clients, 303)
            tokens = tokens_from_outbox(root / "var/outbox")
            confirms = [("/nyhedsbrev/bekraeft", {"token": t}) for t in tokens.values()]
            phase("confirmations", port, confirms, args.clients, 200)
        finally:
            server.terminate()
            server.wait(timeout=30)
        with sqlite3.connect(root / "var/subscribers.sqlite3") as conn:
            integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
            people = conn.execute("SELECT count(*), count(DISTINCT email) FROM subscribers")
            rows, distinct = people.fetchone()
            confirmed = conn.execute(
                "SELECT count(*) FROM subscriptions WHERE status = 'confirmed'"
            ).fetchone()[0]
        mails = len(list((root / "var/outbox").glob("*.eml")))
    lost = len(addresses) - distinct
    print(
        f"database: {rows} people ({distinct} distinct, {lost} lost, {rows - distinct} "
        f"duplicated), {confirmed} confirmed, {mails} mails for {len(requests)} signups; "
        f"integrity_check: {integrity}"
    )
    good = (
        integrity == "ok"
        and rows == distinct == len(addresses) == confirmed
        and mails == len(requests)
    )
    print("OK" if good else "FAILED")
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
