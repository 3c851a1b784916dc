"""Unguessable tokens for links in mails; only their hashes are stored for confirmation."""

from __future__ import annotations

import hashlib
import re
import secrets

_SHAPE = re.compile(r"[A-Za-z0-9_-]{32,64}")


def new_token() -> str:
    """256 random bits, URL-safe (43 characters)."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """What the database keeps: a leaked database does not hand out working links."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def plausible_token(token: str) -> bool:
    """Reject garbage before it reaches the database (and never hash arbitrary input)."""
    return bool(_SHAPE.fullmatch(token))
