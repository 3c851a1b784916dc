"""The real generated signup page in headless Chromium, served by the preview with the
signup service mounted, exactly as `kommunenyt serve` runs it."""

from __future__ import annotations

import re
import socket
from urllib.parse import urlsplit

import pytest

from generator.config import load_config
from generator.newsletter.app import preview_app
from generator.serve import serve_in_thread
from tests.newsletter_support import LISTS, html_of, link_in

pytestmark = pytest.mark.browser


@pytest.fixture
def preview(site):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://127.0.0.1:{port}/"
    site.page("privatlivspolitik", "Privatlivspolitik")
    site.article("a.md", "title: En nyhed\nsection: Drift\ndate: 2026-11-20 10:00")
    site.config("[newsletter]\n" + LISTS)
    site.build(base_url=base)
    config = load_config(site.root).with_base_url(base)
    server, _ = serve_in_thread(
        site.output, port=port, signup_app=preview_app(config, site.output, port)
    )
    yield base
    server.shutdown()
    server.server_close()


def new_page(browser, **options):
    context = browser.new_context(**options)
    page = context.new_page()
    page.problems = []  # type: ignore[attr-defined]
    page.on("console", lambda m: m.type == "error" and page.problems.append(m.text))
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    page.on(
        "request",
        lambda r: urlsplit(r.url).hostname != "127.0.0.1" and page.problems.append(r.url),
    )
    return page


def outbox_mails(site):
    from email import message_from_bytes, policy

    folder = site.root / "var" / "outbox"
    files = sorted(folder.glob("*.eml")) if folder.is_dir() else []
    return [message_from_bytes(p.read_bytes(), policy=policy.default) for p in files]


def test_signing_up_in_chromium_shows_the_answer_in_the_page(browser, preview, site):
    page = new_page(browser)
    page.goto(preview + "nyhedsbrev/")
    page.get_by_role("textbox", name="E-mailadresse").fill("læser@example.dk")
    page.get_by_role("textbox", name="Navn").fill("Lise Læser")
    page.get_by_label("Udbudsnyt").check()
    page.locator("#signup-consent").check()
    page.get_by_role("button", name="Tilmeld mig").click()
    status = page.get_by_role("status")
    status.filter(has_text="Tak! Vi har sendt dig en mail").wait_for()
    assert page.url == preview + "nyhedsbrev/"  # answered in place, no page load
    assert page.locator("#signup-email").is_hidden()
    [mail] = outbox_mails(site)
    assert mail["To"] == "læser@example.dk"
    assert "Ugebrevet og Udbudsnyt" in html_of(mail)

    # The confirmation link opens a page of the site; its button confirms.
    page.goto(link_in(mail, "nyhedsbrev/bekraeft"))
    assert page.get_by_role("heading", level=1).inner_text() == "Bekræft din tilmelding"
    page.get_by_role("button", name="Bekræft").click()
    page.get_by_role("heading", name="Tak – din tilmelding er bekræftet").wait_for()
    assert page.locator("nav[aria-label=Sektioner] a", has_text="Drift").count() == 1
    assert page.problems == []  # type: ignore[attr-defined]


def test_mistakes_are_shown_at_the_fields_and_focus_moves_there(browser, preview, site):
    page = new_page(browser)
    page.goto(preview + "nyhedsbrev/")
    page.get_by_role("textbox", name="E-mailadresse").fill("ikke-en-adresse")
    page.get_by_role("button", name="Tilmeld mig").click()
    page.get_by_role("status").filter(has_text="Tilmeldingen blev ikke sendt").wait_for()
    email_field = page.locator("#signup-email")
    assert email_field.get_attribute("aria-invalid") == "true"
    assert "Skriv en gyldig e-mailadresse" in page.locator("#signup-email-fejl").inner_text()
    assert "Du skal give samtykke" in page.locator("#signup-consent-fejl").inner_text()
    assert "signup-email-fejl" in email_field.get_attribute("aria-describedby")
    assert page.evaluate("document.activeElement.id") == "signup-email"
    # Fixing the mistakes clears the old messages.
    email_field.fill("rettet@example.dk")
    page.locator("#signup-consent").check()
    page.get_by_role("button", name="Tilmeld mig").click()
    page.get_by_role("status").filter(has_text="Tak!").wait_for()
    assert page.locator("[data-error-for]").count() == 0
    assert len(outbox_mails(site)) == 1
    # The browser reports the 400 answer to the first try; nothing else went wrong.
    assert all("status of 400" in p for p in page.problems)  # type: ignore[attr-defined]


def test_without_javascript_the_form_posts_and_lands_on_the_thank_you_page(browser, preview, site):
    page = new_page(browser, java_script_enabled=False)
    page.goto(preview + "nyhedsbrev/")
    page.get_by_role("textbox", name="E-mailadresse").fill("uden-js@example.dk")
    page.get_by_role("button", name="Tilmeld mig").click()
    page.wait_for_load_state()
    assert page.title().startswith("Fejl: Tilmeld dig nyhedsbrevet")
    assert "Du skal give samtykke" in page.get_by_role("status").inner_text()
    assert page.locator("#signup-email").input_value() == "uden-js@example.dk"
    page.locator("#signup-consent").check()
    page.get_by_role("button", name="Tilmeld mig").click()
    page.wait_for_url(re.compile(r".*/nyhedsbrev/tak/$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Tak for din tilmelding"
    assert len(outbox_mails(site)) == 1
