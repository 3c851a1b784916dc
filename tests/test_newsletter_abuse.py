"""Bots and tricksters against the running signup service, over real HTTP on 127.0.0.1.

Oversized bodies, mail-header injection, Unicode tricks in addresses, replayed and expired
tokens, enumeration by message or by timing, and posts from other origins: each is
refused, and none leaves a trace in the database or the outbox.
"""

from __future__ import annotations

import email
import email.policy
import socket
import sqlite3
import statistics
import threading
import time

import pytest

from tests.newsletter_support import Service, link_in, token_of

EVIL = "ondsindet.example"


@pytest.fixture
def service(site):
    running = Service(site, "[newsletter.builtin]\nrate_limit = 100000")
    yield running
    running.stop()


def rows(service: Service, sql: str = "SELECT email FROM subscribers ORDER BY id") -> list:
    if not service.database.exists():
        return []
    with sqlite3.connect(service.database) as conn:
        return [r[0] if len(r) == 1 else tuple(r) for r in conn.execute(sql)]


def raw_request(service: Service, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", service.port), timeout=10) as conn:
        conn.sendall(data)
        conn.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def confirmed(service: Service) -> list[str]:
    return rows(
        service,
        "SELECT s.email FROM subscribers s JOIN subscriptions c ON c.subscriber_id = s.id "
        "WHERE c.status = 'confirmed' ORDER BY s.email",
    )


# --- oversized bodies --------------------------------------------------------------------


def test_a_huge_declared_body_gets_413_at_once_without_being_read(service):
    started = time.monotonic()
    answer = raw_request(
        service,
        b"POST /nyhedsbrev/tilmeld HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: 1073741824\r\n\r\nemail=a",
    )
    assert answer.startswith(b"HTTP/1.0 413") or answer.startswith(b"HTTP/1.1 413")
    assert time.monotonic() - started < 5
    assert service.signup(name="x" * 20_000).status == 413
    assert rows(service) == []


def test_too_many_fields_or_a_broken_length_are_400(service):
    many = {f"f{n}": "x" for n in range(60)}
    assert service.request("POST", "/nyhedsbrev/tilmeld", many).status == 400
    broken = service.request(
        "POST", "/nyhedsbrev/tilmeld", {"email": "a@b.dk"}, headers={"Content-Length": "tal"}
    )
    assert broken.status == 400
    assert rows(service) == []


# --- header injection ----------------------------------------------------------------------

INJECTED_ADDRESSES = [
    f"anna@example.dk\r\nBcc: offer@{EVIL}",
    f"anna@example.dk\nCc: offer@{EVIL}",
    f"anna@example.dk%0d%0aBcc:offer@{EVIL}",
    f"=?utf-8?q?anna=0D=0ABcc=3A_offer=40{EVIL}?=@example.dk",
    "=?utf-8?b?QmNjOiBvZmZlckBvbmRzaW5kZXQuZXhhbXBsZQ==?=@example.dk",
    f"anna@example.dk, offer@{EVIL}",
    f'"anna@example.dk" <offer@{EVIL}>',
    f"anna@example.dk\x00offer@{EVIL}",
]


@pytest.mark.parametrize("address", INJECTED_ADDRESSES)
def test_an_address_carrying_headers_is_refused(service, address):
    reply = service.signup(address, headers={"Accept": "application/json"})
    assert reply.status == 400 and "email" in reply.json()["errors"]
    assert rows(service) == [] and service.mails() == []


def test_a_name_cannot_forge_a_header_in_the_mail(service):
    names = [
        f"Anna\r\nBcc: offer@{EVIL}",
        f"Anna\nSubject: Vundet!\n\nKlik her: https://{EVIL}/",
        f"=?utf-8?q?Anna=0D=0ABcc=3A_offer=40{EVIL}?=",
        f"Anna\u2028Bcc: offer@{EVIL}",
    ]
    for number, name in enumerate(names):
        assert service.signup(f"person{number}@example.dk", name=name).status == 303
    expected = {
        "From",
        "To",
        "Subject",
        "Date",
        "Message-ID",
        "List-Unsubscribe",
        "List-Unsubscribe-Post",
        "Auto-Submitted",
        "MIME-Version",
        "Content-Type",
    }
    files = sorted(service.outbox.glob("*.eml"))
    assert len(files) == len(names)
    for path in files:
        raw = path.read_bytes()
        head = raw.split(b"\r\n\r\n", 1)[0] if b"\r\n\r\n" in raw else raw.split(b"\n\n", 1)[0]
        assert EVIL.encode() not in head
        mail = email.message_from_bytes(raw, policy=email.policy.default)
        assert set(mail.keys()) <= expected, set(mail.keys()) - expected
        assert len(mail["To"].addresses) == 1 and mail["To"].addresses[0].domain == "example.dk"
        assert mail["Subject"] == "Bekræft din tilmelding til Testnyt"
    stored = rows(service, "SELECT name FROM subscribers ORDER BY id")
    assert all("\n" not in name and "\r" not in name and "\u2028" not in name for name in stored)


# --- Unicode tricks ------------------------------------------------------------------------

REFUSED = {
    "homoglyph in the domain": "anna@exаmple.dk",  # Cyrillic а
    "homoglyph before @": "аnna@example.dk",
    "right-to-left override": "anna\u202e@example.dk",
    "zero-width space": "an\u200bna@example.dk",
    "NUL": "anna\x00@example.dk",
    "fullwidth letters": "ａｎｎａ@example.dk",
    "ligature": "\ufb01ona@example.dk",
    "replacement character": "anna\ufffd@example.dk",
}


@pytest.mark.parametrize("address", REFUSED.values(), ids=REFUSED.keys())
def test_tricky_unicode_addresses_are_refused(service, address):
    reply = service.signup(address, headers={"Accept": "application/json"})
    assert reply.status == 400 and "email" in reply.json()["errors"], reply.body
    assert rows(service) == []


def test_an_overlong_utf8_sequence_is_refused_not_replaced(service):
    body = b"email=anna%C0%AE@example.dk&lists=ugebrev&consent=ja"
    answer = raw_request(
        service,
        b"POST /nyhedsbrev/tilmeld HTTP/1.0\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body,
    )
    assert answer.split(b" ", 2)[1] == b"400"
    assert rows(service) == []


def test_one_mailbox_is_one_row_however_it_is_typed(service):
    for typed in (
        "Anna@Æblegrød.DK",
        "anna@xn--blegrd-oua3m.dk",
        "ANNA@æblegrød.dk",
        "anna@ＸＮ--blegrd-oua3m.dk",
    ):
        assert service.signup(typed).status == 303, typed
    assert service.signup("læser@kommune.dk").status == 303  # Danish letters are welcome
    assert rows(service) == ["anna@xn--blegrd-oua3m.dk", "læser@kommune.dk"]
    assert {m["To"] for m in service.mails()} == {"anna@xn--blegrd-oua3m.dk", "læser@kommune.dk"}


# --- tokens --------------------------------------------------------------------------------


def confirm_token(service: Service, address: str) -> str:
    service.signup(address)
    mail = next(m for m in reversed(service.mails()) if m["To"] == address)
    return token_of(link_in(mail, "nyhedsbrev/bekraeft"))


def test_a_token_confirms_once_even_when_replayed_at_the_same_moment(service):
    token = confirm_token(service, "anna@example.dk")
    statuses: list[int] = []
    barrier = threading.Barrier(8)

    def replay() -> None:
        barrier.wait()
        statuses.append(service.request("POST", "/nyhedsbrev/bekraeft", {"token": token}).status)

    threads = [threading.Thread(target=replay) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] + [410] * 7
    assert rows(service, "SELECT count(*) FROM consents WHERE confirmed_at IS NOT NULL") == [1]


def test_a_token_is_dead_after_unsubscribing_expiry_or_erasure(service):
    token = confirm_token(service, "anna@example.dk")
    mail = service.mails()[-1]
    service.request("POST", path_of(link_in(mail, "nyhedsbrev/afmeld")), {"alle": "ja"})
    assert service.request("POST", "/nyhedsbrev/bekraeft", {"token": token}).status == 410

    late = confirm_token(service, "bo@example.dk")
    service.clock.advance(hours=48)  # exactly at the expiry moment: already too late
    assert service.request("POST", "/nyhedsbrev/bekraeft", {"token": late}).status == 410

    erased = confirm_token(service, "carl@example.dk")
    unsubscribe = path_of(link_in(service.mails()[-1], "nyhedsbrev/afmeld"))
    service.app.store.delete("carl@example.dk")
    assert service.request("POST", "/nyhedsbrev/bekraeft", {"token": erased}).status == 404
    assert service.request("GET", unsubscribe).status == 404
    assert confirmed(service) == []


def path_of(url: str) -> str:
    return url.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


# --- enumeration ---------------------------------------------------------------------------


def answer_of(service: Service, address: str, json: bool) -> tuple:
    reply = service.signup(address, headers={"Accept": "application/json"} if json else {})
    headers = tuple(sorted((k, v) for k, v in reply.headers.items() if k != "date"))
    return reply.status, headers, reply.body


def test_the_answer_is_the_same_for_new_waiting_subscribed_and_unsubscribed(service):
    token = confirm_token(service, "kendt@example.dk")
    service.request("POST", "/nyhedsbrev/bekraeft", {"token": token})
    service.signup("venter@example.dk")
    gone = confirm_token(service, "afmeldt@example.dk")
    service.request("POST", "/nyhedsbrev/bekraeft", {"token": gone})
    service.request(
        "POST", path_of(link_in(service.mails()[-1], "nyhedsbrev/afmeld")), {"alle": "ja"}
    )
    for json in (False, True):
        answers = {
            answer_of(service, address, json)
            for address in (
                f"ny-{json}@example.dk",
                "venter@example.dk",
                "kendt@example.dk",
                "afmeldt@example.dk",
            )
        }
        assert len(answers) == 1, answers


def ks_distance(first: list[float], second: list[float]) -> float:
    """The Kolmogorov-Smirnov statistic: how well one threshold tells the samples apart."""
    points = sorted(first + second)
    return max(
        abs(sum(x <= p for x in first) / len(first) - sum(x <= p for x in second) / len(second))
        for p in points
    )


def test_timing_does_not_tell_a_new_address_from_a_subscribed_one(service):
    token = confirm_token(service, "kendt@example.dk")
    assert service.request("POST", "/nyhedsbrev/bekraeft", {"token": token}).status == 200
    new, known = [], []
    for number in range(40):  # interleaved, so drift in the machine's load hits both alike
        for address, sink in ((f"ny{number}@example.dk", new), ("kendt@example.dk", known)):
            started = time.perf_counter()
            assert service.signup(address).status == 303
            sink.append(time.perf_counter() - started)
    difference = abs(statistics.median(new) - statistics.median(known))
    spread = statistics.quantiles(new + known, n=4)
    # Without the answer floor a new address took ~1.5 ms longer (fsync of its inserts),
    # which this distance finds at ~0.6. Under the null hypothesis, 40+40 samples stay
    # below 0.44 in 99.9 % of runs.
    assert ks_distance(new, known) < 0.44, (new, known)
    assert difference < 0.002, f"medians differ by {difference * 1000:.2f} ms ({spread})"
    assert min(new + known) >= 0.15


# --- other origins -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": f"https://{EVIL}"},
        {"Origin": "null"},
        {"Origin": "http://127.0.0.1:1"},
        {"Referer": f"https://{EVIL}/side-med-formular"},
    ],
    ids=["foreign", "null", "other-port", "referer-only"],
)
def test_posts_from_other_origins_change_nothing(service, headers):
    token = confirm_token(service, "anna@example.dk")
    unsubscribe = path_of(link_in(service.mails()[-1], "nyhedsbrev/afmeld"))
    before = service.mails()

    def post(path: str, fields: dict) -> int:
        return service.request("POST", path, fields, headers=headers, origin=None).status

    assert (
        post("/nyhedsbrev/tilmeld", {"email": "b@example.dk", "lists": "ugebrev", "consent": "ja"})
        == 403
    )
    assert post("/nyhedsbrev/bekraeft", {"token": token}) == 403
    assert service.request("POST", "/nyhedsbrev/bekraeft", {"token": token}).status == 200
    assert post(unsubscribe, {"alle": "ja"}) == 403
    assert rows(service) == ["anna@example.dk"] and confirmed(service) == ["anna@example.dk"]
    assert len(service.mails()) == len(before)
