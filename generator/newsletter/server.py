"""Run the signup service on the standard library's wsgiref, and mount it in `serve`.

wsgiref is enough for a municipality's signup traffic and needs nothing installed; a
production setup may use waitress or gunicorn instead (docs/newsletter.md). Request lines
are logged without their query string, because confirm and unsubscribe links carry tokens.
"""

from __future__ import annotations

import http.server
import logging
import socketserver
import sys
import threading
from collections.abc import Callable
from typing import Any, Protocol
from wsgiref.handlers import SimpleHandler
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

log = logging.getLogger("kommunenyt.newsletter")
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Any]


class _QuietHandler(WSGIRequestHandler):
    """Logs method, path (no query) and status through `logging`, never tokens."""

    timeout = 30  # a client that sends its request slower than this is cut off (slowloris)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        path = self.path.split("?", 1)[0]
        log.debug("%s %s %s", self.command, path, code)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("http: %s", (format % args).split("?", 1)[0])


class ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # the default of 5 resets connections when many arrive at once


def make_wsgi_server(app: WSGIApp, host: str = "127.0.0.1", port: int = 8025) -> WSGIServer:
    server = ThreadingWSGIServer((host, port), _QuietHandler)
    server.set_app(app)
    return server


def serve_in_thread(
    app: WSGIApp, host: str = "127.0.0.1", port: int = 0
) -> tuple[WSGIServer, threading.Thread]:
    """Start the service in the background (port 0 picks a free one); used by tests."""
    server = make_wsgi_server(app, host, port)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread


def run_wsgi(handler: http.server.BaseHTTPRequestHandler, app: WSGIApp) -> None:
    """Answer one request of an http.server handler with a WSGI app (the preview's mount)."""
    path, _, query = handler.path.partition("?")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": handler.command,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": handler.server.server_address[0],
        "SERVER_PORT": str(handler.server.server_address[1]),
        "SERVER_PROTOCOL": handler.request_version,
        "REMOTE_ADDR": handler.client_address[0],
        "CONTENT_TYPE": handler.headers.get("Content-Type", ""),
        "CONTENT_LENGTH": handler.headers.get("Content-Length", ""),
    }
    for key, value in handler.headers.items():
        name = "HTTP_" + key.upper().replace("-", "_")
        if name not in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"):
            environ[name] = value
    runner = SimpleHandler(
        handler.rfile, handler.wfile, sys.stderr, environ, multithread=True, multiprocess=False
    )
    runner.http_version = handler.request_version.split("/")[-1]
    runner.origin_server = True  # write the status line ourselves, as a server does
    runner.server_software = handler.version_string()
    runner.run(app)
    handler.close_connection = True


class _Mountable(Protocol):
    def handles(self, path: str) -> bool: ...

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any: ...


def mount(
    base: type[http.server.BaseHTTPRequestHandler], app: _Mountable
) -> type[http.server.BaseHTTPRequestHandler]:
    """A subclass of the preview's handler that lets `app` answer the paths it handles."""

    class Mounted(base):  # type: ignore[misc, valid-type]
        def _answered_by_app(self) -> bool:
            if not app.handles(self.path.split("?", 1)[0]):
                return False
            run_wsgi(self, app)
            return True

        def do_GET(self) -> None:
            if not self._answered_by_app():
                super().do_GET()

        def do_HEAD(self) -> None:
            if not self._answered_by_app():
                super().do_HEAD()

        def do_POST(self) -> None:
            if not self._answered_by_app():
                self.send_error(405, "Method Not Allowed")

    return Mounted
