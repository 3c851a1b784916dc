"""HTTP plumbing for the signup service: the request as it arrived, the answer to give."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

MAX_BODY = 16 * 1024
SECURITY_HEADERS = [
    ("Cache-Control", "no-store"),
    ("X-Content-Type-Options", "nosniff"),
    # Confirm and unsubscribe URLs carry tokens: never send them to another site. (With
    # no-referrer, browsers would post the page's forms with "Origin: null".)
    ("Referrer-Policy", "same-origin"),
    ("X-Robots-Tag", "noindex"),
    (
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'self'",
    ),
]


@dataclass(frozen=True)
class Answer:
    status: str
    body: bytes
    headers: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: Mapping[str, list[str]]
    form: Mapping[str, list[str]]
    headers: Mapping[str, str]
    client: str
    wants_json: bool

    def value(self, name: str, source: str = "form") -> str:
        values = (self.form if source == "form" else self.query).get(name, [""])
        return values[0].strip()


class BadRequest(Exception):
    def __init__(self, status: str, message: str):
        super().__init__(message)
        self.status = status


def read_request(
    environ: Mapping[str, Any], path: str, trusted_proxies: tuple[str, ...]
) -> Request:
    method = str(environ.get("REQUEST_METHOD", "GET")).upper()
    headers = {
        key[5:].replace("_", "-").lower(): str(value)
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    form: dict[str, list[str]] = {}
    if method == "POST":
        form = read_form(environ)
    return Request(
        method=method,
        path=path,
        query=parse(str(environ.get("QUERY_STRING", ""))),
        form=form,
        headers=headers,
        client=client_address(environ, headers, trusted_proxies),
        wants_json="application/json" in headers.get("accept", ""),
    )


def client_address(
    environ: Mapping[str, Any], headers: Mapping[str, str], trusted: tuple[str, ...]
) -> str:
    """The client's address; X-Forwarded-For is believed only from trusted proxies."""
    address = str(environ.get("REMOTE_ADDR", ""))
    if address in trusted and headers.get("x-forwarded-for"):
        hops = [h.strip() for h in headers["x-forwarded-for"].split(",") if h.strip()]
        for hop in reversed(hops):
            if hop not in trusted and is_ip(hop):
                return hop
    return address


def read_form(environ: Mapping[str, Any]) -> dict[str, list[str]]:
    kind = str(environ.get("CONTENT_TYPE", "")).split(";")[0].strip().lower()
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise BadRequest("400 Bad Request", "Content-Length is not a number") from None
    if length > MAX_BODY:
        raise BadRequest("413 Content Too Large", "the form is too large")
    data = environ["wsgi.input"].read(length) if length > 0 else b""
    if not data:
        return {}
    if kind not in ("application/x-www-form-urlencoded", ""):
        raise BadRequest("415 Unsupported Media Type", "send the form url-encoded")
    try:
        return parse(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise BadRequest("400 Bad Request", "the form is not UTF-8") from None


def parse(text: str) -> dict[str, list[str]]:
    try:
        # strict: an overlong or broken UTF-8 sequence (%C0%AE) is refused, not turned into
        # U+FFFD characters that could slip into an address
        return parse_qs(
            text, keep_blank_values=True, max_num_fields=50, encoding="utf-8", errors="strict"
        )
    except UnicodeDecodeError:
        raise BadRequest("400 Bad Request", "the form is not UTF-8") from None
    except ValueError:
        raise BadRequest("400 Bad Request", "too many form fields") from None


def is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def html(status: str, body: str) -> Answer:
    return Answer(status, body.encode("utf-8"), [("Content-Type", "text/html; charset=utf-8")])


def json_answer(status: str, data: dict[str, Any]) -> Answer:
    body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    return Answer(status, body, [("Content-Type", "application/json; charset=utf-8")])


def redirect(location: str) -> Answer:
    return Answer("303 See Other", b"", [("Location", location)])


def not_allowed(allow: str) -> Answer:
    return Answer("405 Method Not Allowed", b"", [("Allow", allow)])


def origin_of(request: Request) -> str:
    """Where a browser says a post comes from: Origin, else the Referer's origin ("" if none)."""
    origin = request.headers.get("origin", "")
    if not origin:
        referer = urlsplit(request.headers.get("referer", ""))
        origin = f"{referer.scheme}://{referer.netloc}" if referer.netloc else ""
    return origin
