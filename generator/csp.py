"""The Content-Security-Policy every generated page carries in a <meta http-equiv> tag.

Strict by default: scripts, styles, images and fonts only from the site itself, no inline
script or style, no plugins, no frames, no <base>. The few exceptions are made here, each
for a reason: Pagefind compiles its WebAssembly (the search page only), and the signup
form may post to the newsletter provider's own origin. docs/security.md gives the same
policy as an HTTP header for nginx, where frame-ancestors (ignored in <meta>) is added.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from markupsafe import Markup

from generator.config import SiteConfig
from generator.newsletter.form import signup_form


def provider_origin(config: SiteConfig) -> str | None:
    """The origin signups are sent to when it is not the site's own, else None."""
    action = urlsplit(signup_form(config).action)
    if action.scheme in ("http", "https") and _HOST.fullmatch(action.netloc):
        origin = f"{action.scheme}://{action.netloc}"
        return None if origin == config.origin else origin
    return None


_HOST = re.compile(r"[A-Za-z0-9.-]+(:[0-9]+)?")


def content_security_policy(config: SiteConfig, wasm: bool = False) -> Markup:
    """The policy as one header value; `wasm` allows WebAssembly (Pagefind on the search page).

    Markup: it holds only the constants below and a host name checked against _HOST, so
    templates can show its quotes as they are (the header value docs/security.md copies).
    """
    provider = provider_origin(config)
    extra = f" {provider}" if provider else ""
    directives = [
        "default-src 'none'",
        "script-src 'self'" + (" 'wasm-unsafe-eval'" if wasm else ""),
        "style-src 'self'",
        "img-src 'self'",
        "font-src 'self'",
        "media-src 'self'",
        "manifest-src 'self'",
        "connect-src 'self'" + extra,
        "form-action 'self'" + extra,
        "base-uri 'none'",
        "object-src 'none'",
    ]
    return Markup("; ".join(directives))
