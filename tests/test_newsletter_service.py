"""The builtin signup service over real HTTP on 127.0.0.1, with a real SQLite database."""

from __future__ import annotations

import csv
import io
import logging
import sqlite3
import subprocess
import sys
import threading
from collections import Counter

import pytest

from tests.newsletter_support import (
    Service,
    html_of,
    link_in,
    path_and_query,
    text_of,
    token_of,
)


@pytest.fixture
def service(site):
    running = Service(site)
    yield running
    running.stop()


def export(service: Service, *extra: str) -> list[dict[str, str]]:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "generator",
            "subscribers",
            "export",
            "--site",
            str(service.site.root),
            *extra,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return list(csv.DictReader(io.StringIO(result.stdout)))


def confirm(service: Service, mail) -> None:
    token = token_of(link_in(mail, "nyhedsbrev/bekraeft"))
    reply = service.request("POST", "/nyhedsbrev/bekraeft", {"token": token})
    assert reply.status == 200, reply.body


def test_signup_confirm_export_and_one_click_unsubscribe(service):
    reply = service.signup("Anna@Example.DK", lists=["ugebrev", "udbud"])
    assert reply.status == 303
    assert reply.headers["location"] == "/nyhedsbrev/tak/"
    assert export(service) == []  # pending: not a subscriber until confirmed

    [mail] = service.mails()
    assert mail["To"] == "anna@example.dk"
    assert mail["Subject"] == "Bekræft din tilmelding til Testnyt"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Ugebrevet og Udbudsnyt" in text_of(mail)
    assert 'href="http://127.0.0.1:' in html_of(mail)

    confirm_link = link_in(mail, "nyhedsbrev/bekraeft")
    page = service.request("GET", path_and_query(confirm_link))
    assert page.status == 200
    assert "<button" in page.body and ">Bekræft</button>" in page.body
    assert 'method="post"' in page.body
    assert "Testnyt" in page.body and 'aria-label="Sektioner"' in page.body  # the site's frame
    done = service.request("POST", "/nyhedsbrev/bekraeft", {"token": token_of(confirm_link)})
    assert done.status == 200
    assert "Tak – din tilmelding er bekræftet" in done.body

    [row] = export(service)
    assert row["email"] == "anna@example.dk" and row["name"] == "Anna Jensen"
    assert row["lists"] == "udbud ugebrev"
    assert row["consent_text"].startswith("Jeg giver samtykke")
    assert row["confirmed_at"] and row["consent_given_at"]
    assert [r["email"] for r in export(service, "--list", "udbud")] == ["anna@example.dk"]

    # The mail program's one-click unsubscribe (RFC 8058): a POST to the header's URL.
    header_url = mail["List-Unsubscribe"].strip("<>")
    gone = service.request(
        "POST",
        path_and_query(header_url),
        {"List-Unsubscribe": "One-Click"},
        origin=None,
    )
    assert gone.status == 200
    assert export(service) == []


def test_unsubscribe_link_opens_a_page_and_one_press_unsubscribes(service):
    service.signup(lists=["ugebrev", "udbud"])
    confirm(service, service.mails()[0])
    link = path_and_query(link_in(service.mails()[0], "nyhedsbrev/afmeld")) + "&liste=udbud"
    page = service.request("GET", link)
    assert page.status == 200 and "Afmeld Udbudsnyt</button>" in page.body
    assert len(export(service)) == 1  # opening the page changed nothing
    reply = service.request("POST", link, {})
    assert reply.status == 200 and "Du er nu afmeldt Udbudsnyt" in reply.body
    [row] = export(service)
    assert row["lists"] == "ugebrev"


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"email": "anna@"}, "email", "Skriv en gyldig e-mailadresse"),
        ({"email": ""}, "email", "Skriv din e-mailadresse"),
        ({"consent": ""}, "consent", "Du skal give samtykke"),
        ({"lists": ["nyhedsbrev-der-ikke-findes"]}, "lists", "Vi har ikke et nyhedsbrev"),
        ({"lists": []}, "lists", "Vælg mindst ét nyhedsbrev"),
    ],
)
def test_bad_input_gets_a_danish_answer_on_a_page_like_the_site(service, fields, field, message):
    page = service.signup(**fields)
    assert page.status == 400
    assert message in page.body
    assert "<title>Fejl: Tilmeld dig nyhedsbrevet – Testnyt</title>" in page.body
    assert 'role="status"' in page.body and 'aria-invalid="true"' in page.body
    assert 'aria-label="Sektioner"' in page.body and 'href="/privatlivspolitik/"' in page.body
    answer = service.signup(**fields, headers={"Accept": "application/json"})
    assert answer.status == 400
    data = answer.json()
    assert data["ok"] is False and message in data["errors"][field]
    assert service.mails() == []
    assert not _subscriber_rows(service)


def test_form_shown_again_keeps_what_was_typed(service):
    page = service.signup("anna@", name="Anna <b>Jensen</b>", consent="")
    assert 'value="anna@"' in page.body
    assert 'value="Anna &lt;b&gt;Jensen&lt;/b&gt;"' in page.body  # escaped, not markup
    assert 'value="ugebrev" checked' in page.body and 'value="udbud" checked' not in page.body


def test_honeypot_drops_the_signup_but_answers_like_a_success(service):
    reply = service.signup(website="http://spam.example")
    assert reply.status == 303 and reply.headers["location"] == "/nyhedsbrev/tak/"
    answer = service.signup(website="x", headers={"Accept": "application/json"})
    assert answer.status == 200 and answer.json()["ok"] is True
    assert service.mails() == [] and not _subscriber_rows(service)


def test_second_signup_reveals_nothing_and_creates_no_duplicate(service):
    first = service.signup(headers={"Accept": "application/json"})
    again = service.signup(headers={"Accept": "application/json"})
    assert first.status == again.status == 200 and first.body == again.body
    confirm(service, service.mails()[0])
    after_confirm = service.signup(headers={"Accept": "application/json"})
    assert after_confirm.body == first.body
    plain = service.signup()
    assert plain.status == 303 and plain.headers["location"] == "/nyhedsbrev/tak/"
    assert _subscriber_rows(service) == [("anna@example.dk",)]
    assert len(export(service)) == 1
    subjects = [m["Subject"] for m in service.mails()]
    assert subjects.count("Du er allerede tilmeldt Testnyt") == 2  # only the owner learns it


def test_rate_limit_answers_429_with_retry_after(site):
    service = Service(site, "[newsletter.builtin]\nrate_limit = 3\nrate_window = 600")
    try:
        for n in range(3):
            assert service.signup(f"person{n}@example.dk").status == 303
        blocked = service.signup("person9@example.dk")
        assert blocked.status == 429
        assert 0 < int(blocked.headers["retry-after"]) <= 600
        assert "For mange forsøg" in blocked.body
        as_json = service.signup("person9@example.dk", headers={"Accept": "application/json"})
        assert as_json.status == 429 and as_json.json()["ok"] is False
        assert len(service.mails()) == 3
    finally:
        service.stop()


def test_posts_from_other_origins_are_refused(service):
    foreign = service.request(
        "POST",
        "/nyhedsbrev/tilmeld",
        {"email": "anna@example.dk", "lists": "ugebrev", "consent": "ja"},
        origin="https://ondsindet.example",
    )
    assert foreign.status == 403 and "andet websted" in foreign.body
    by_referer = service.request(
        "POST",
        "/nyhedsbrev/tilmeld",
        {"email": "anna@example.dk", "lists": "ugebrev", "consent": "ja"},
        headers={"Referer": "https://ondsindet.example/side"},
        origin=None,
    )
    assert by_referer.status == 403
    assert service.mails() == [] and not _subscriber_rows(service)
    # A post that names no origin (not a browser) is judged on its content alone.
    plain = service.request(
        "POST",
        "/nyhedsbrev/tilmeld",
        {"email": "anna@example.dk", "lists": "ugebrev", "consent": "ja"},
        origin=None,
    )
    assert plain.status == 303


def test_confirmation_tokens_are_single_use(service):
    service.signup()
    token = token_of(link_in(service.mails()[0], "nyhedsbrev/bekraeft"))
    assert service.request("POST", "/nyhedsbrev/bekraeft", {"token": token}).status == 200
    again = service.request("POST", "/nyhedsbrev/bekraeft", {"token": token})
    assert again.status == 410 and "allerede brugt" in again.body
    page = service.request("GET", f"/nyhedsbrev/bekraeft?token={token}")
    assert page.status == 410 and "<button" not in page.body


def test_confirmation_tokens_expire(service):
    service.signup()
    token = token_of(link_in(service.mails()[0], "nyhedsbrev/bekraeft"))
    service.clock.advance(hours=48, seconds=1)
    expired = service.request("POST", "/nyhedsbrev/bekraeft", {"token": token})
    assert expired.status == 410 and "udløbet" in expired.body
    assert export(service) == []


def test_a_running_service_erases_signups_whose_link_expired(service):
    service.signup("glemt@example.dk")
    service.clock.advance(hours=47)
    service.signup("anden@example.dk")
    assert service.app.store.person("glemt@example.dk") is not None  # its link still works
    service.clock.advance(hours=2)
    service.signup("tredje@example.dk")
    assert service.app.store.person("glemt@example.dk") is None
    assert service.app.store.person("anden@example.dk") is not None
    assert service.app.store.person("tredje@example.dk") is not None


def test_unknown_or_malformed_tokens_lead_nowhere(service):
    for token in ("x" * 43, "kort", "'; DROP TABLE subscribers; --"):
        reply = service.request("POST", "/nyhedsbrev/bekraeft", {"token": token})
        assert reply.status == 404 and "Linket virker ikke" in reply.body
    assert service.request("GET", "/nyhedsbrev/afmeld?token=" + "y" * 43).status == 404


def test_following_the_confirm_link_alone_subscribes_nobody(service):
    """Mail scanners open every link; only the button's POST confirms."""
    service.signup()
    link = path_and_query(link_in(service.mails()[0], "nyhedsbrev/bekraeft"))
    for _ in range(3):
        assert service.request("GET", link, origin=None).status == 200
        assert service.request("HEAD", link, origin=None).status == 200
    assert export(service) == []


def test_fetch_gets_json_answers(service):
    reply = service.signup(headers={"Accept": "application/json"})
    assert reply.status == 200
    assert reply.headers["content-type"] == "application/json; charset=utf-8"
    assert reply.json() == {
        "ok": True,
        "message": "Tak! Vi har sendt dig en mail. Klik på linket i mailen for at bekræfte din "
        "tilmelding – først da begynder du at få nyhedsbrevet.",
    }
    token = token_of(link_in(service.mails()[0], "nyhedsbrev/bekraeft"))
    confirmed = service.request(
        "POST", "/nyhedsbrev/bekraeft", {"token": token}, {"Accept": "application/json"}
    )
    assert confirmed.json()["ok"] is True and "bekræftet" in confirmed.json()["title"]


def test_200_concurrent_signups_from_20_threads_lose_and_duplicate_nothing(site):
    service = Service(site, "[newsletter.builtin]\nrate_limit = 1000")
    addresses = [f"person{n:03d}@example.dk" for n in range(100)]
    work = [a for a in addresses for _ in range(2)]  # every address signs up twice
    statuses: Counter[int] = Counter()
    lock = threading.Lock()

    def worker(chunk: list[str]) -> None:
        for address in chunk:
            status = service.signup(address).status
            with lock:
                statuses[status] += 1

    threads = [threading.Thread(target=worker, args=(work[i::20],)) for i in range(20)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert statuses == Counter({303: 200})
        rows = _subscriber_rows(service)
        assert sorted(r[0] for r in rows) == addresses
        mails = service.mails()
        assert len(mails) == 200
        assert Counter(m["To"] for m in mails) == {a: 2 for a in addresses}
        for mail in mails[::7]:
            confirm(service, mail)
        assert len(export(service)) == len({m["To"] for m in mails[::7]})
    finally:
        service.stop()


def test_restart_keeps_subscribers_and_pending_links(service):
    service.signup("anna@example.dk")
    service.signup("bo@example.dk")
    confirm(service, service.mails()[0])
    pending_mail = service.mails()[1]
    service.stop()
    service.start()  # a new process would do the same: open the same database
    assert [r["email"] for r in export(service)] == ["anna@example.dk"]
    confirm(service, pending_mail)
    assert {r["email"] for r in export(service)} == {"anna@example.dk", "bo@example.dk"}


def test_tokens_and_addresses_never_reach_the_log(service, caplog):
    caplog.set_level(logging.DEBUG)
    service.signup("hemmelig@example.dk")
    mail = service.mails()[0]
    confirm_link = link_in(mail, "nyhedsbrev/bekraeft")
    service.request("GET", path_and_query(confirm_link))
    confirm(service, mail)
    unsubscribe = path_and_query(mail["List-Unsubscribe"].strip("<>"))
    service.request("GET", unsubscribe)
    service.request("POST", unsubscribe, {"List-Unsubscribe": "One-Click"}, origin=None)
    service.signup("anden@", website="")
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "nyhedsbrev/tilmeld" in logged  # requests are logged …
    for secret in ("hemmelig", "anden@", token_of(confirm_link), token_of(unsubscribe)):
        assert secret not in logged  # … but never who or which token


def test_service_pages_follow_a_new_build_of_the_site(service):
    before = service.request("GET", "/nyhedsbrev/bekraeft?token=" + "z" * 43)
    assert "Sikkerhed" not in before.body
    service.site.article("b.md", "title: Ny sektion\nsection: Sikkerhed\ndate: 2026-11-21 10:00")
    service.site.build(base_url=service.base + "/")
    after = service.request("GET", "/nyhedsbrev/bekraeft?token=" + "z" * 43)
    assert 'href="/sektion/sikkerhed/"' in after.body


def test_oversized_wrongly_encoded_and_misdirected_requests(service):
    big = service.signup(name="x" * 20_000)
    assert big.status == 413
    multipart = service.request(
        "POST",
        "/nyhedsbrev/tilmeld",
        headers={"Content-Type": "multipart/form-data; boundary=x"},
        fields={"email": "a@example.dk"},
    )
    assert multipart.status == 415
    assert service.request("PUT", "/nyhedsbrev/tilmeld", {}).status == 405
    assert service.request("GET", "/nyhedsbrev/tilmeld").headers["location"] == "/nyhedsbrev/"
    security = service.request("GET", "/nyhedsbrev/afmeld?token=" + "q" * 43).headers
    assert security["referrer-policy"] == "same-origin"
    assert "frame-ancestors 'none'" in security["content-security-policy"]


def test_the_app_runs_under_waitress(site):
    waitress = pytest.importorskip("waitress")
    service = Service(site)
    service.stop()
    server = waitress.create_server(service.app, host="127.0.0.1", port=service.port)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        assert service.signup().status == 303
        confirm(service, service.mails()[0])
        assert [r["email"] for r in export(service)] == ["anna@example.dk"]
    finally:
        server.close()


def _subscriber_rows(service: Service) -> list[tuple[str]]:
    if not service.database.exists():
        return []
    with sqlite3.connect(service.database) as conn:
        return conn.execute("SELECT email FROM subscribers ORDER BY email").fetchall()


def test_the_wsgi_factory_reads_the_site_from_the_environment(site, monkeypatch):
    from generator.newsletter.app import SignupApp, create_app

    site.config('[newsletter.builtin]\ndatabase = "data/db.sqlite3"\n')
    monkeypatch.setenv("KOMMUNENYT_SITE", str(site.root))
    app = create_app()
    assert isinstance(app, SignupApp)
    assert (site.root / "data" / "db.sqlite3").is_file()
