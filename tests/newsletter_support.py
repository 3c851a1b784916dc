"""Helpers for the newsletter tests: a site with the signup service running on 127.0.0.1.

The service is started the way `kommunenyt signup-server` starts it (wsgiref, threads),
on a port the OS picks; the site is built with that address as its base URL, so the
links in the mails lead back to the running service.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import http.client
import json
import re
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

from generator.config import load_config
from generator.newsletter.app import SignupApp, build_app
from generator.newsletter.server import make_wsgi_server
from tests.conftest import NOW, Site

LISTS = """
[[newsletter.lists]]
id = "ugebrev"
name = "Ugebrevet"
description = "Ugens nyheder."
default = true

[[newsletter.lists]]
id = "udbud"
name = "Udbudsnyt"
"""


class Clock:
    """The service's notion of now; tests move it forward to expire tokens."""

    def __init__(self, start: dt.datetime = NOW):
        self.moment = start
        self._lock = threading.Lock()

    def __call__(self) -> dt.datetime:
        with self._lock:
            return self.moment

    def advance(self, **delta: float) -> None:
        with self._lock:
            self.moment += dt.timedelta(**delta)


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: str

    def json(self) -> dict:
        return json.loads(self.body)


class Service:
    """A built site plus its running signup service."""

    def __init__(self, site: Site, newsletter: str = "", clock: Clock | None = None):
        self.site = site
        self.clock = clock or Clock()
        self.server = make_wsgi_server(lambda e, s: [], "127.0.0.1", 0)
        self.port = self.server.server_port
        self.base = f"http://127.0.0.1:{self.port}"
        site.page("privatlivspolitik", "Privatlivspolitik")
        if not (site.root / "content/articles").exists():
            site.article("a.md", "title: En nyhed\nsection: Drift\ndate: 2026-11-20 10:00")
        site.config("[newsletter]\n" + newsletter + "\n" + LISTS)
        site.build(base_url=self.base + "/")
        self.config = load_config(site.root).with_base_url(self.base + "/")
        self.thread: threading.Thread | None = None
        self.start()

    def start(self) -> None:
        if self.thread is not None:  # a restart: a new server process on the same port
            self.server = make_wsgi_server(lambda e, s: [], "127.0.0.1", self.port)
        self.app: SignupApp = build_app(self.config, self.site.output, clock=self.clock)
        self.server.set_app(self.app)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def outbox(self) -> Path:
        return self.site.root / "var" / "outbox"

    @property
    def database(self) -> Path:
        return self.site.root / "var" / "subscribers.sqlite3"

    def mails(self) -> list[EmailMessage]:
        files = sorted(self.outbox.glob("*.eml")) if self.outbox.is_dir() else []
        return [
            email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in files
        ]

    def request(
        self,
        method: str,
        path: str,
        fields: dict | list | None = None,
        headers: dict[str, str] | None = None,
        origin: str | None = "same",
    ) -> Reply:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        body = urlencode(fields, doseq=True).encode() if fields is not None else None
        sent = dict(headers or {})
        if body is not None:
            sent.setdefault("Content-Type", "application/x-www-form-urlencoded")
        if origin == "same":
            sent.setdefault("Origin", self.base)
        elif origin:
            sent["Origin"] = origin
        try:
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            text = response.read().decode("utf-8")
            return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, text)
        finally:
            conn.close()

    def signup(self, email_address: str = "anna@example.dk", **extra: object) -> Reply:
        fields: dict[str, object] = {
            "email": email_address,
            "name": "Anna Jensen",
            "lists": ["ugebrev"],
            "consent": "ja",
            "website": "",
        }
        headers = extra.pop("headers", None)
        fields.update(extra)
        return self.request("POST", "/nyhedsbrev/tilmeld", fields, headers)  # type: ignore[arg-type]


def text_of(mail: EmailMessage) -> str:
    return mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def html_of(mail: EmailMessage) -> str:
    return mail.get_body(("html",)).get_content()  # type: ignore[union-attr]


def link_in(mail: EmailMessage, path: str) -> str:
    """The first link to `path` in the plain-text part of a mail."""
    match = re.search(rf"http://127\.0\.0\.1:\d+/{re.escape(path)}\S*", text_of(mail))
    assert match, f"no link to {path} in:\n{text_of(mail)}"
    return match.group(0)


def path_and_query(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def token_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["token"][0]
