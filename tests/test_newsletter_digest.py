"""`kommunenyt newsletter`: the issue as email-safe HTML and text, --send, the archive page."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
import subprocess
import sys

from generator.newsletter.store import Store
from tests.newsletter_support import LISTS, Service, path_and_query

LIST_FILTER = """
[[newsletter.lists]]
id = "ugebrev"
name = "Ugebrevet"
default = true

[[newsletter.lists]]
id = "udbud"
name = "Udbudsnyt"
sections = ["Udbud"]
"""


def days_ago(days: float) -> str:
    moment = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    return moment.strftime("%Y-%m-%d %H:%M")


def write_articles(site) -> None:
    site.article(
        "ny.md",
        f"title: Regionen skifter journal\nsection: Sundheds-IT\ndate: {days_ago(1)}\n"
        "lead: Det nye system tages i brug til foråret & før sommerferien.",
    )
    site.article("udbud.md", f"title: Stort udbud på drift\nsection: Udbud\ndate: {days_ago(2)}")
    site.article("gammel.md", f"title: Gammel nyhed\nsection: Drift\ndate: {days_ago(20)}")
    site.article("kladde.md", f"title: Kladde\nsection: Drift\ndate: {days_ago(1)}\ndraft: true")


def kommunenyt(site, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "generator", "newsletter", "--site", str(site.root), *args],
        capture_output=True,
        text=True,
    )


def subscribe(site, address: str, lists: list[str], confirm: bool = True) -> None:
    store = Store(site.root / "var" / "subscribers.sqlite3")
    outcome = store.signup(address, "", lists, "Samtykke.", 48)
    if confirm:
        store.confirm(outcome.token or "")


def outbox(site) -> list[email.message.EmailMessage]:
    folder = site.root / "var" / "outbox"
    return [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
        for p in sorted(folder.glob("*.eml"))
    ]


def test_the_issue_renders_as_email_safe_html_and_plain_text(site):
    site.config("[newsletter]\n" + LISTS)
    write_articles(site)
    result = kommunenyt(site, "--since", "7d")
    assert result.returncode == 0, result.stderr
    assert "2 articles" in result.stderr
    [html_file] = (site.root / "var" / "newsletter").glob("*.html")
    html = html_file.read_text("utf-8")
    text = html_file.with_suffix(".txt").read_text("utf-8")
    # Mail-client safe: layout tables, inline styles, dark mode, nothing loaded from elsewhere.
    assert html.count('role="presentation"') >= 3 and 'style="' in html
    assert '<meta name="color-scheme" content="light dark">' in html
    assert "prefers-color-scheme: dark" in html
    assert "<script" not in html and "<img" not in html and "<link" not in html
    assert "display:flex" not in html and "grid" not in html
    assert 'href="https://testnyt.dk/artikel/regionen-skifter-journal/"' in html
    assert "foråret &amp; før sommerferien" in html  # escaped in HTML …
    assert "Gammel nyhed" not in html and "Kladde" not in html
    assert html.index("Regionen skifter journal") < html.index("Stort udbud på drift")
    # … and the text version reads well on its own.
    subject = text.splitlines()[0]
    assert re.fullmatch(r"Emne: Ugebrevet \d+\. \w+ \d{4} – Testnyt", subject)
    assert "foråret & før sommerferien" in text
    assert "Læs artiklen: https://testnyt.dk/artikel/stort-udbud-paa-drift/" in text
    assert "Afmeld med ét klik: https://testnyt.dk/nyhedsbrev/afmeld?token=" in text


def test_a_list_takes_only_its_sections(site):
    site.config("[newsletter]\n" + LIST_FILTER)
    write_articles(site)
    result = kommunenyt(site, "--list", "udbud", "--since", "30d")
    assert result.returncode == 0, result.stderr
    [html_file] = (site.root / "var" / "newsletter").glob("*-udbud.html")
    html = html_file.read_text("utf-8")
    assert "Stort udbud på drift" in html and "Regionen skifter journal" not in html


def test_nothing_new_is_an_error_not_an_empty_mail(site):
    site.config("[newsletter]\n" + LISTS)
    site.article("gammel.md", f"title: Gammel\ndate: {days_ago(30)}")
    result = kommunenyt(site, "--since", "7d", "--send")
    assert result.returncode == 1
    assert "no published articles for Ugebrevet" in result.stderr
    assert not (site.root / "var" / "outbox").exists()
    assert kommunenyt(site, "--since", "forleden").returncode == 1


def test_send_mails_each_confirmed_subscriber_with_their_own_unsubscribe_link(site):
    site.config("[newsletter]\n" + LISTS)
    write_articles(site)
    subscribe(site, "anna@example.dk", ["ugebrev"])
    subscribe(site, "bo@example.dk", ["ugebrev", "udbud"])
    subscribe(site, "carl@example.dk", ["udbud"])  # another list
    subscribe(site, "dorthe@example.dk", ["ugebrev"], confirm=False)  # never confirmed
    result = kommunenyt(site, "--send")
    assert result.returncode == 0, result.stderr
    assert "sent to 2 subscribers" in result.stderr
    mails = outbox(site)
    assert sorted(m["To"] for m in mails) == ["anna@example.dk", "bo@example.dk"]
    links = set()
    for mail in mails:
        header = mail["List-Unsubscribe"].strip("<>")
        assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert mail["Precedence"] == "bulk" and mail["List-Id"].startswith("Ugebrevet <ugebrev.")
        assert header.endswith("&liste=ugebrev")
        text = mail.get_body(("plain",)).get_content()
        assert (
            header in text
            and header.replace("&", "&amp;") in mail.get_body(("html",)).get_content()
        )
        links.add(header)
    assert len(links) == 2  # one link per person
    record = next((site.root / "content" / "nyhedsbreve").glob("*-ugebrev.yaml"))
    assert "regionen-skifter-journal" in record.read_text("utf-8")

    again = kommunenyt(site, "--send")  # an interrupted or repeated run sends nobody twice
    assert again.returncode == 0 and "sent to 0 subscribers" in again.stderr
    assert "(2 had it already)" in again.stderr
    assert len(outbox(site)) == 2


def test_sent_issues_are_published_in_the_newsletter_archive(site):
    site.config("[newsletter]\n" + LISTS)
    write_articles(site)
    subscribe(site, "anna@example.dk", ["ugebrev"])
    assert kommunenyt(site, "--send").returncode == 0
    site.build(now=dt.datetime.now(dt.UTC))
    archive = site.read("nyhedsbrev/arkiv/")
    slug = next((site.root / "content" / "nyhedsbreve").glob("*.yaml")).stem
    assert f'href="/nyhedsbrev/arkiv/{slug}/"' in archive and "2 artikler" in archive
    issue = site.read(f"nyhedsbrev/arkiv/{slug}/")
    assert '<h1 class="page-title">Ugebrevet' in issue
    assert 'href="/artikel/regionen-skifter-journal/"' in issue
    assert 'href="/artikel/stort-udbud-paa-drift/"' in issue
    assert 'href="/nyhedsbrev/arkiv/"' in site.read("nyhedsbrev/")  # linked from signup


def test_a_damaged_issue_record_names_file_and_line(site):
    site.article("a.md", "title: A\ndate: 2026-11-01 10:00")
    site.write("content/nyhedsbreve/2026-11-20-ugebrev.yaml", "title: X\nlist: ugebrev\n")
    result = subprocess.run(
        [sys.executable, "-m", "generator", "build", "--site", str(site.root)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "content/nyhedsbreve/2026-11-20-ugebrev.yaml" in result.stderr
    assert "the newsletter record needs date" in result.stderr


def test_the_digest_unsubscribe_link_works_with_one_click(site):
    write_articles(site)
    service = Service(site)
    try:
        service.signup()
        token_mail = service.mails()[0]
        link = re.search(
            r"/nyhedsbrev/bekraeft\?token=\S+", token_mail.get_body(("plain",)).get_content()
        )
        assert (
            service.request(
                "POST", "/nyhedsbrev/bekraeft", {"token": link.group(0).split("=")[1]}
            ).status
            == 200
        )
        assert kommunenyt(site, "--send").returncode == 0
        digest = service.mails()[-1]
        assert digest["Precedence"] == "bulk"
        target = path_and_query(digest["List-Unsubscribe"].strip("<>"))
        reply = service.request("POST", target, {"List-Unsubscribe": "One-Click"}, origin=None)
        assert reply.status == 200
        store = Store(service.database)
        assert store.confirmed("ugebrev") == []
    finally:
        service.stop()
