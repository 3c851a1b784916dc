"""The sample site in a real headless Chromium: what a reader sees on three key pages."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser, sample_server):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.problems = []  # type: ignore[attr-defined]
    page.on("console", lambda m: m.type == "error" and page.problems.append(m.text))
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    page.on(
        "request",
        lambda r: (
            urlsplit(r.url).hostname not in ("127.0.0.1", None)
            and page.problems.append(f"third-party request {r.url}")
        ),
    )
    page.on("response", lambda r: r.status >= 400 and page.problems.append(f"{r.status} {r.url}"))
    yield page
    context.close()


def test_front_page_shows_the_newest_article_large(page, sample_server):
    page.goto(sample_server)
    assert page.title().startswith("Kommunenyt")
    lead_story = page.locator(".card--large .card__title a")
    assert lead_story.count() == 1
    assert page.locator(".card").count() == 10
    assert page.locator("nav[aria-label=Sektioner] a").filter(has_text="Udbud").count() == 1
    # The stylesheet is applied: the header rule has the accent colour, not the browser default.
    border = page.eval_on_selector(".site-header", "e => getComputedStyle(e).borderBottomWidth")
    assert border == "4px"
    lead_story.click()
    page.wait_for_load_state()
    assert "/artikel/" in page.url
    assert page.problems == []


def test_article_page_reads_like_a_news_article(page, sample_server):
    page.goto(sample_server + "artikel/hoeje-taastrup-outsourcer-it-drift/")
    assert page.locator("h1").inner_text() == "Høje-Taastrup outsourcer it-drift"
    assert page.locator(".lead").first.inner_text().startswith("Høje-Taastrup har valgt")
    assert page.locator(".byline").inner_text().startswith("Af Redaktionen")
    assert "14. juni 2021 kl. 09.30" in page.locator(".dateline").inner_text()
    quotes = page.locator(".article__body p.replik")
    assert quotes.count() == 2
    assert quotes.first.inner_text().startswith("– Erfaringen")
    assert page.locator(".article__body ul").count() == 0
    assert page.locator(".tags a").all_inner_texts() == ["Outsourcing", "KMD", "Høje-Taastrup"]
    cta = page.get_by_role("link", name="Tilmeld dig nyhedsbrevet")
    assert cta.count() >= 1
    cta.first.click()
    page.wait_for_load_state()
    assert page.url.endswith("/nyhedsbrev/")
    assert page.problems == []


def test_signup_page_form_is_usable_by_keyboard(page, sample_server):
    page.goto(sample_server + "nyhedsbrev/")
    assert page.locator("h1").inner_text() == "Tilmeld dig nyhedsbrevet"
    email = page.get_by_role("textbox", name="E-mailadresse")
    assert email.get_attribute("type") == "email"
    email.fill("læser@example.dk")
    page.get_by_role("textbox", name="Navn").fill("Læser")
    consent = page.get_by_role("checkbox", name="Jeg giver samtykke", exact=False)
    assert not consent.is_checked()
    consent.focus()
    page.keyboard.press("Space")
    assert consent.is_checked()
    assert page.get_by_role("group", name="Vælg nyhedsbreve").count() == 1
    # The honeypot is out of sight and out of the tab order.
    honeypot = page.locator("input[name=website]")
    assert honeypot.get_attribute("tabindex") == "-1"
    box = honeypot.bounding_box()
    assert box is None or box["x"] < 0
    assert (
        page.get_by_role("link", name="privatlivspolitik", exact=True).get_attribute("href")
        == "/privatlivspolitik/"
    )
    assert page.problems == []


def test_skip_link_is_first_and_phone_width_has_no_horizontal_scroll(browser, sample_server):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    for url in ("", "artikel/nis2-guide/", "nyhedsbrev/"):
        page.goto(sample_server + url)
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Gå til indhold"
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (url, overflow)
    context.close()
