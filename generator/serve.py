"""Serving sites on 127.0.0.1: a built output folder, or the live preview from memory.

The live preview (`kommunenyt serve`) keeps the site in memory (generator.incremental),
rebuilds it when generator.watch reports changes, and tells open tabs to reload through
Server-Sent Events. Its client script and error page live in the theme's preview/
folder and are served under /__kommunenyt/ only here; a built site never contains them.
"""

from __future__ import annotations

import collections
import dataclasses
import functools
import http.server
import json
import mimetypes
import threading
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlencode, urlsplit

import jinja2

from generator.atomic import write_atomically
from generator.changes import Changes, RebuildResult
from generator.incremental import IncrementalSite
from generator.theme import default_theme_dir
from generator.urls import url_of


class SiteRequestHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the output folder with the site's own 404 page and no caching."""

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        page = Path(self.directory) / "404.html"
        if code == 404 and page.is_file():
            body = page.read_bytes()
            self.send_response(404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
            return
        super().send_error(code, message, explain)

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def guess_type(self, path: str | Path) -> str:
        kind = super().guess_type(path)
        if kind in (
            "text/html",
            "text/css",
            "text/plain",
            "application/javascript",
            "text/xml",
            "application/xml",
            "image/svg+xml",
        ):
            return f"{kind}; charset=utf-8"
        return kind

    def log_message(self, format: str, *args: object) -> None:
        pass


def make_server(
    directory: Path, host: str = "127.0.0.1", port: int = 8000, signup_app: Any = None
) -> http.server.ThreadingHTTPServer:
    """`signup_app` (the builtin newsletter service) answers the paths it handles."""
    handler_class: type[SiteRequestHandler] = SiteRequestHandler
    if signup_app is not None:
        from generator.newsletter.server import mount

        handler_class = mount(SiteRequestHandler, signup_app)  # type: ignore[assignment]
    handler = functools.partial(handler_class, directory=str(directory))
    server = http.server.ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def serve_in_thread(
    directory: Path, host: str = "127.0.0.1", port: int = 0, signup_app: Any = None
) -> tuple[http.server.ThreadingHTTPServer, threading.Thread]:
    """Start a server in the background (port 0 picks a free one); used by tests."""
    server = make_server(directory, host, port, signup_app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread


PREVIEW_PREFIX = "/__kommunenyt/"
_PREVIEW_FILES = {"livereload.js": "application/javascript", "fejl.css": "text/css"}
_TEXT_TYPES = ("text/", "application/javascript", "application/json", "application/xml")
_KEEPALIVE_SECONDS = 15.0
_RECENT_EVENTS = 64  # kept for streams that wake up late (LivePreview.wait_for_event)


@dataclass(frozen=True)
class ReloadEvent:
    """What one rebuild changed, as sent to the browser tabs."""

    generation: int
    changed: frozenset[str] | None  # output files; None means all of them
    error: bool
    sequence: int = 0  # its place in the stream (a rebuild may send two: pages, then feeds)

    def fields(self) -> dict:
        changed = None if self.changed is None else sorted(self.changed)
        return {"generation": self.generation, "changed": changed, "error": self.error}

    def json(self) -> str:
        return json.dumps(self.fields())


class LivePreview:
    """The site in memory plus the stream of reload events; rebuilds one at a time."""

    def __init__(self, site: IncrementalSite, service_dir: Path | None = None):
        self.site = site
        self.service_dir = service_dir  # where the newsletter service reads its navigation
        self._build_lock = threading.Lock()
        self._events = threading.Condition()
        self._last = ReloadEvent(0, None, False)
        self._recent: collections.deque[ReloadEvent] = collections.deque(maxlen=_RECENT_EVENTS)
        self.closed = False
        theme = default_theme_dir() / "preview"
        self._files = {name: (theme / name).read_bytes() for name in _PREVIEW_FILES}
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(theme)), autoescape=True, trim_blocks=True
        )
        self._error_template = env.get_template("fejl.html")

    def rebuild(self, changes: Changes | None = None) -> RebuildResult:
        """Rebuild and tell the tabs; after a body edit, first about the pages showing it
        (`IncrementalSite.rebuild`'s `early`), then about the feeds carrying it."""
        announced: set[str] = set()

        def early(generation: int, changed: frozenset[str]) -> None:
            announced.update(changed)
            self._publish(ReloadEvent(generation, changed, False))

        with self._build_lock:
            result = self.site.rebuild(changes, early)
            if result.error is None:
                self._write_service_data()
            changed = None if result.changed is None else result.changed - announced
            event = ReloadEvent(result.generation, changed, result.error is not None)
        if event.changed is None or event.changed or event.error != self._last.error:
            self._publish(event)
        return result

    def _publish(self, event: ReloadEvent) -> None:
        with self._events:
            self._last = dataclasses.replace(event, sequence=self._last.sequence + 1)
            self._recent.append(self._last)
            self._events.notify_all()

    def last_event(self) -> ReloadEvent:
        with self._events:
            return self._last

    def recent_events(self) -> list[ReloadEvent]:
        """The last events as published (a stream that woke up late saw some joined)."""
        with self._events:
            return list(self._recent)

    def wait_for_event(self, after: int, timeout: float) -> ReloadEvent | None:
        """Every event after sequence number `after`, as one (None after `timeout` seconds).

        A stream may wake up only after several events (a body edit sends two at once):
        their changed files are joined, so the page event is not lost behind the feeds'.
        """
        with self._events:
            self._events.wait_for(lambda: self._last.sequence > after or self.closed, timeout)
            if self._last.sequence <= after:
                return None
            missed = [e for e in self._recent if e.sequence > after]
            if len(missed) < self._last.sequence - after:  # older ones forgotten: all changed
                return dataclasses.replace(self._last, changed=None)
            if any(e.changed is None for e in missed):
                return dataclasses.replace(self._last, changed=None)
            joined = frozenset().union(*(e.changed for e in missed))
            return dataclasses.replace(self._last, changed=joined)

    def close(self) -> None:
        with self._events:
            self.closed = True
            self._events.notify_all()

    def preview_file(self, name: str) -> bytes | None:
        return self._files.get(name)

    def error_page(self) -> bytes:
        problems = self.site.error.problems if self.site.error else []
        html = self._error_template.render(problems=problems, prefix=PREVIEW_PREFIX)
        return html.encode("utf-8")

    def _write_service_data(self) -> None:
        key = url_of("newsletter_service_data")
        data = self.site.outputs.get(key)
        if self.service_dir is None or data is None:
            return
        write_atomically(self.service_dir / key, data)


class PreviewRequestHandler(http.server.BaseHTTPRequestHandler):
    """Answers from the preview's memory; HTML pages get the live-reload script."""

    preview: LivePreview  # set on the subclass made by make_preview_server
    protocol_version = "HTTP/1.0"

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def _answer(self, send_body: bool) -> None:
        path = unquote(urlsplit(self.path).path)
        if path.startswith(PREVIEW_PREFIX):
            self._preview_resource(path[len(PREVIEW_PREFIX) :], send_body)
            return
        site = self.preview.site
        outputs, error, generation = site.outputs, site.error, site.generation
        key = path.lstrip("/")
        if key == "" or key.endswith("/"):
            key += "index.html"
        if ".." in key.split("/"):
            self._send(400, "text/plain", b"bad path", send_body)
            return
        data = outputs.get(key)
        status = 200
        if data is None and f"{key}/index.html" in outputs:
            self.send_response(301)
            self.send_header("Location", path + "/")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if data is None:
            status, data = 404, outputs.get("404.html", b"<!doctype html><title>404</title>")
            kind = "text/html"
        else:
            kind = mimetypes.guess_type(key)[0] or "application/octet-stream"
        if kind == "text/html" and error is not None:
            status, data = 500, self.preview.error_page()
        if kind == "text/html":
            data = _inject_script(data, generation, key, error is not None)
        self._send(status, kind, data, send_body)

    def _preview_resource(self, name: str, send_body: bool) -> None:
        if name == "events":
            self._event_stream()
        elif name == "status":
            site = self.preview.site
            status = {
                "generation": site.generation,
                "error": [str(p) for p in site.error.problems] if site.error else None,
                "files": len(site.outputs),
                "recent": [e.fields() for e in self.preview.recent_events()[-8:]],
            }
            self._send(200, "application/json", json.dumps(status).encode(), send_body)
        elif (data := self.preview.preview_file(name)) is not None:
            self._send(200, _PREVIEW_FILES[name], data, send_body)
        else:
            self._send(404, "text/plain", b"not found", send_body)

    def _event_stream(self) -> None:
        """Server-Sent Events: `hello` with the current state, then a `reload` per rebuild (two
        after a body edit: its pages, then its feeds, both of the rebuild's generation)."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        seen = self.preview.last_event().sequence
        hello = ReloadEvent(self.preview.site.generation, None, self.preview.site.error is not None)
        try:
            self._write_event("hello", hello.json(), retry=1000)
            while not self.preview.closed:
                event = self.preview.wait_for_event(seen, _KEEPALIVE_SECONDS)
                if event is None:
                    self.wfile.write(b": keepalive\n\n")
                else:
                    seen = event.sequence
                    self._write_event("reload", event.json())
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, OSError):
            return

    def _write_event(self, name: str, data: str, retry: int | None = None) -> None:
        prefix = f"retry: {retry}\n" if retry else ""
        self.wfile.write(f"{prefix}event: {name}\ndata: {data}\n\n".encode())
        self.wfile.flush()

    def _send(self, status: int, kind: str, data: bytes, send_body: bool) -> None:
        self.send_response(status)
        charset = "; charset=utf-8" if kind.startswith(_TEXT_TYPES) or kind.endswith("+xml") else ""
        self.send_header("Content-Type", kind + charset)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if send_body:
            self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass


def _inject_script(html: bytes, generation: int, page: str, error: bool) -> bytes:
    """Add the live-reload script to a page: an external file, so no inline script."""
    query = urlencode({"v": generation, "side": page, "fejl": int(error)})
    tag = f'<script src="{PREVIEW_PREFIX}livereload.js?{escape(query)}" defer></script>'.encode()
    for marker in (b"</head>", b"</body>"):
        at = html.find(marker)
        if at >= 0:
            return html[:at] + tag + b"\n" + html[at:]
    return html + tag


def bind_handler(
    server: http.server.ThreadingHTTPServer, preview: LivePreview, signup_app: Any = None
) -> None:
    """Let `server` answer from `preview`; `signup_app` (the newsletter service) answers its
    own paths. Done after binding, because the site's URLs need the port the server got."""
    handler_class: type[http.server.BaseHTTPRequestHandler] = type(
        "BoundPreviewHandler", (PreviewRequestHandler,), {"preview": preview}
    )
    if signup_app is not None:
        from generator.newsletter.server import mount

        handler_class = mount(handler_class, signup_app)
    server.RequestHandlerClass = handler_class
