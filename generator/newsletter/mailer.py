"""Outgoing mail: build the message, then hand it to SMTP or write it to the outbox folder.

The outbox (the default) writes each mail as an .eml file, so the whole signup flow can be
followed on a laptop without a mail server; any mail program opens the files.
"""

from __future__ import annotations

import datetime as dt
import email.policy
import os
import smtplib
import ssl
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from pathlib import Path
from urllib.parse import urlsplit

from generator.atomic import write_atomically
from generator.config import SiteConfig

Send = Callable[[EmailMessage], None]
# Long header lines stay whole (a folded List-Unsubscribe URL would break in some programs);
# bodies are encoded to 7 bit so any SMTP server takes them.
MAIL_POLICY = email.policy.default.clone(max_line_length=998, cte_type="7bit")


class MailError(Exception):
    """Mail could not be sent; the message says why without naming the recipient."""


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str
    html: str = ""
    unsubscribe_url: str = ""  # also put in List-Unsubscribe with one-click POST
    list_id: str = ""  # for the List-Id header
    list_name: str = ""
    bulk: bool = False  # newsletters are bulk mail; confirmation mails are not


def sender_address(config: SiteConfig) -> str:
    """From: the configured sender, else the site's contact address, else nyhedsbrev@host."""
    if config.newsletter.smtp.sender:
        return config.newsletter.smtp.sender
    address = config.contact_email or f"nyhedsbrev@{_host(config)}"
    return formataddr((config.title, address))


def build_message(config: SiteConfig, mail: Mail, now: dt.datetime) -> EmailMessage:
    msg = EmailMessage(policy=MAIL_POLICY)
    msg["From"] = sender_address(config)
    msg["To"] = mail.to
    msg["Subject"] = mail.subject
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = make_msgid(domain=_host(config))
    if mail.unsubscribe_url:
        msg["List-Unsubscribe"] = f"<{mail.unsubscribe_url}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    if mail.list_id:
        msg["List-Id"] = f"{mail.list_name} <{mail.list_id}.{_host(config)}>"
    if mail.bulk:
        msg["Precedence"] = "bulk"
    else:
        msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(mail.text)
    if mail.html:
        msg.add_alternative(mail.html, subtype="html")
    return msg


class Outbox:
    """Writes each message to FOLDER/<time>-<random>.eml; the name never holds the address."""

    def __init__(self, folder: Path):
        self.folder = folder

    @contextmanager
    def session(self) -> Iterator[Send]:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise MailError(f"cannot create the outbox: {exc.strerror or exc}") from None

        def send(msg: EmailMessage) -> None:
            name = f"{_time_prefix()}-{uuid.uuid4().hex[:12]}.eml"
            try:
                write_atomically(self.folder / name, msg.as_bytes())
            except OSError as exc:  # a full disk or a read-only folder: nothing half-written
                raise MailError(f"cannot write to the outbox: {exc.strerror or exc}") from None

        yield send


class SmtpMailer:
    """One SMTP connection per session (a whole newsletter goes through one)."""

    def __init__(self, config: SiteConfig, environ: Mapping[str, str]):
        self.smtp = config.newsletter.smtp
        self.password = environ.get(self.smtp.password_env, "")
        if self.smtp.user and not self.password:
            raise MailError(
                f"SMTP user {self.smtp.user!r} is set but the password variable "
                f"{self.smtp.password_env} is empty; export it before starting"
            )

    @contextmanager
    def session(self) -> Iterator[Send]:
        smtp = self.smtp
        context = ssl.create_default_context()
        try:
            if smtp.ssl:
                client: smtplib.SMTP = smtplib.SMTP_SSL(
                    smtp.host, smtp.port, timeout=smtp.timeout, context=context
                )
            else:
                client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
        except OSError as exc:
            raise MailError(f"cannot reach SMTP server {smtp.host}:{smtp.port}: {exc}") from None
        try:
            if smtp.starttls:
                client.starttls(context=context)
            if smtp.user:
                client.login(smtp.user, self.password)

            def send(msg: EmailMessage) -> None:
                try:
                    client.send_message(msg)
                except smtplib.SMTPRecipientsRefused:
                    raise MailError("the SMTP server refused the recipient") from None
                except (smtplib.SMTPException, OSError) as exc:
                    raise MailError(f"SMTP error: {type(exc).__name__}") from None

            yield send
        except smtplib.SMTPAuthenticationError:
            raise MailError(f"the SMTP server {smtp.host} did not accept the login") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise MailError(f"the SMTP server {smtp.host}: {type(exc).__name__}: {exc}") from None
        finally:
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                client.close()


def make_mailer(
    config: SiteConfig, environ: Mapping[str, str] | None = None
) -> Outbox | SmtpMailer:
    """SMTP when [newsletter.smtp] host is set, otherwise the outbox folder."""
    if config.newsletter.smtp.host:
        return SmtpMailer(config, os.environ if environ is None else environ)
    return Outbox(outbox_dir(config))


def outbox_dir(config: SiteConfig) -> Path:
    return config.site_dir / config.newsletter.outbox


def address_of(header: str) -> str:
    return parseaddr(header)[1]


def _host(config: SiteConfig) -> str:
    return urlsplit(config.base_url).hostname or "localhost"


def _time_prefix() -> str:
    return time.strftime("%Y%m%d-%H%M%S", time.gmtime()) + f"-{time.time_ns() % 10**9:09d}"
