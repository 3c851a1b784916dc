"""A small static file server for previewing the built site on 127.0.0.1."""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path
from typing import Any


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
