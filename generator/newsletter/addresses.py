"""What the signup service accepts as an e-mail address and a name, and the one form it keeps.

An address is checked by email-validator (RFC 5322/6531 syntax, IDNA domains; Danish
letters before the @ are welcome) and then held to stricter rules against tricks: no part
may look like an RFC 2047 encoded word (=?…?=), no character may change under NFKC
(fullwidth ａ, ligatures), and neither the part before the @ nor any domain label may mix
scripts, like a Cyrillic а among Latin letters (confusable-homoglyphs). The address is kept
with its domain in ASCII (IDNA) and in lower case, so one mailbox is one row however it
was typed.
"""

from __future__ import annotations

import unicodedata

from confusable_homoglyphs import confusables
from email_validator import EmailNotValidError, validate_email

MAX_NAME = 200


class AddressProblem(Exception):
    """Why an address is refused: `reason` is the key of a Danish message in app.MESSAGES."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def canonical_address(text: str) -> str:
    """The address in the form it is stored and mailed; raises AddressProblem."""
    if "=?" in text or "?=" in text:
        raise AddressProblem("email_invalid")  # an encoded word where only an address belongs
    try:
        checked = validate_email(text, check_deliverability=False, allow_quoted_local=False)
    except EmailNotValidError:
        raise AddressProblem("email_invalid") from None
    local, domain = checked.local_part, checked.domain  # NFC, as the reader typed them
    if unicodedata.normalize("NFKC", local) != local or any(
        not c.isascii() and unicodedata.category(c)[0] not in "LMN" for c in local
    ):  # fullwidth letters, ligatures, symbols such as U+FFFD
        raise AddressProblem("email_lookalike")
    if any(confusables.is_mixed_script(part) for part in (local, *domain.split("."))):
        raise AddressProblem("email_lookalike")
    return f"{local}@{checked.ascii_domain}".lower()


def clean_name(text: str) -> str:
    """A name as shown and stored: NFC, no control or format characters (RTL overrides,
    zero-width joiners, NUL), whitespace folded to single spaces."""
    text = unicodedata.normalize("NFC", text)
    kept = "".join(
        " " if unicodedata.category(c) == "Cc" else c
        for c in text
        if unicodedata.category(c) not in ("Cf", "Co", "Cs")
    )
    return " ".join(kept.split())
