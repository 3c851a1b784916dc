"""Mail delivery: a real SMTP server on 127.0.0.1 (aiosmtpd), and the .eml outbox."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import socket

import pytest

from generator.config import load_config
from generator.newsletter.app import build_app
from generator.newsletter.mailer import Mail, MailError, build_message, make_mailer
from generator.newsletter.server import serve_in_thread
from tests.newsletter_support import LISTS

aiosmtpd_controller = pytest.importorskip("aiosmtpd.controller")
aiosmtpd_smtp = pytest.importorskip("aiosmtpd.smtp")
NOW = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's hook name
        self.messages.append((envelope.mail_from, envelope.rcpt_tos, envelope.content))
        return "250 OK"


def _authenticate(server, session, envelope, mechanism, auth_data):
    ok = (
        isinstance(auth_data, aiosmtpd_smtp.LoginPassword)
        and auth_data.login == b"nyhedsbrev"
        and auth_data.password == b"rigtig-hemmelig"
    )
    return aiosmtpd_smtp.AuthResult(success=ok, handled=False)  # handled=False: answer 535


@pytest.fixture
def smtp_server():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = aiosmtpd_controller.Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=_authenticate,
        auth_require_tls=False,
    )
    controller.start()
    yield port, inbox
    controller.stop()


def smtp_site(site, port: int):
    site.config(
        f"""
[newsletter.smtp]
host = "127.0.0.1"
port = {port}
starttls = false
user = "nyhedsbrev"
from = "Testnyt <nyhedsbrev@testnyt.dk>"
[newsletter]
"""
        + LISTS
    )
    return load_config(site.root)


def test_mail_goes_out_over_smtp_with_the_password_from_the_environment(site, smtp_server):
    port, inbox = smtp_server
    config = smtp_site(site, port)
    mailer = make_mailer(config, {"KOMMUNENYT_SMTP_PASSWORD": "rigtig-hemmelig"})
    mail = Mail("anna@example.dk", "Prøve æøå", "Hej Anna\n", "<p>Hej</p>", "https://x/afmeld")
    with mailer.session() as send:
        send(build_message(config, mail, NOW))
    [(sender, recipients, content)] = inbox.messages
    assert sender == "nyhedsbrev@testnyt.dk" and recipients == ["anna@example.dk"]
    received = email.message_from_bytes(content, policy=email.policy.default)
    assert received["Subject"] == "Prøve æøå"
    assert received["List-Unsubscribe"] == "<https://x/afmeld>"
    assert received.get_body(("plain",)).get_content().replace("\r\n", "\n") == "Hej Anna\n"


def test_a_wrong_or_missing_smtp_password_is_a_clear_error(site, smtp_server):
    port, inbox = smtp_server
    config = smtp_site(site, port)
    with pytest.raises(MailError, match="KOMMUNENYT_SMTP_PASSWORD is empty"):
        make_mailer(config, {})
    mailer = make_mailer(config, {"KOMMUNENYT_SMTP_PASSWORD": "forkert"})
    with pytest.raises(MailError, match="did not accept the login"), mailer.session() as send:
        send(build_message(config, Mail("a@example.dk", "x", "x"), NOW))
    assert inbox.messages == []


def test_the_signup_service_sends_its_confirmation_over_smtp(site, smtp_server):
    port, inbox = smtp_server
    site.page("privatlivspolitik", "Privatlivspolitik")
    config = smtp_site(site, port)
    app = build_app(config, None, environ={"KOMMUNENYT_SMTP_PASSWORD": "rigtig-hemmelig"})
    server, _ = serve_in_thread(app)
    try:
        import urllib.request
        from urllib.parse import urlencode

        body = urlencode(
            {"email": "anna@example.dk", "lists": "ugebrev", "consent": "ja"}, doseq=True
        ).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{server.server_port}/nyhedsbrev/tilmeld",
            data=body,
            headers={"Accept": "application/json"},
        )
        with urllib.request.urlopen(request) as response:
            assert response.status == 200
    finally:
        server.shutdown()
        server.server_close()
    [(_, recipients, content)] = inbox.messages
    assert recipients == ["anna@example.dk"]
    assert b"nyhedsbrev/bekraeft?token=" in content.replace(b"=\r\n", b"").replace(b"=3D", b"=")
    assert not (site.root / "var" / "outbox").exists()  # SMTP replaces the outbox


def test_the_outbox_writes_one_eml_per_mail_named_without_the_address(site):
    config = load_config(site.root)
    mailer = make_mailer(config)
    with mailer.session() as send:
        for n in range(3):
            send(build_message(config, Mail(f"person{n}@example.dk", "Emne", "Tekst"), NOW))
    files = sorted((site.root / "var" / "outbox").iterdir())
    assert len(files) == 3 and all(f.suffix == ".eml" for f in files)
    assert not any("example" in f.name for f in files)
    first = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert first["From"] == "Testnyt <nyhedsbrev@testnyt.dk>"
    assert first["Auto-Submitted"] == "auto-generated"
