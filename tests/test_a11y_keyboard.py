"""Keyboard use, zoom, motion, page weight and privacy of the default theme, in Chromium."""

from __future__ import annotations

import pytest

from tests.conftest import THEME_ARTICLE
from tests.theme_support import watch_requests

pytestmark = pytest.mark.browser

WEIGHT_LIMIT = 50 * 1024  # bytes over the wire for an article page and its CSS, before images
ZOOM_PAGES = [
    "",
    THEME_ARTICLE,
    "artikel/nis2-guide/",
    "sektion/sikkerhed/",
    "emner/",
    "arkiv/2024/",
    "soeg/?q=sikkerhed",
    "nyhedsbrev/",
    "tilgaengelighed/",
    "404.html",
]


@pytest.fixture
def desktop(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def test_skip_link_is_first_visible_on_focus_and_moves_focus_to_main(desktop, theme_server):
    desktop.goto(theme_server + THEME_ARTICLE)
    desktop.keyboard.press("Tab")
    focused = desktop.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Gå til indhold"
    box = desktop.locator(".skip-link").bounding_box()
    assert box is not None and box["y"] >= 0 and box["height"] > 10  # on screen when focused
    desktop.keyboard.press("Enter")
    assert desktop.evaluate("document.activeElement.id") == "indhold"
    desktop.keyboard.press("Tab")
    in_main = desktop.evaluate("document.querySelector('main').contains(document.activeElement)")
    assert in_main, "the next Tab after the skip link lands in the main content"


def test_every_focused_element_shows_a_clear_outline(desktop, theme_server):
    for path in (THEME_ARTICLE, "nyhedsbrev/", "soeg/"):
        desktop.goto(theme_server + path)
        seen = 0
        for _ in range(25):
            desktop.keyboard.press("Tab")
            style = desktop.evaluate(
                """() => { const s = getComputedStyle(document.activeElement);
                   return [document.activeElement.tagName, s.outlineStyle,
                           parseFloat(s.outlineWidth)]; }"""
            )
            tag, outline, width = style
            if tag == "BODY":
                break
            seen += 1
            assert outline != "none" and width >= 2, f"{path}: {tag} has no visible focus"
        assert seen >= 5


def test_no_positive_tabindex_so_focus_follows_reading_order(desktop, theme_server):
    for path in ZOOM_PAGES:
        desktop.goto(theme_server + path)
        positive = desktop.evaluate(
            "[...document.querySelectorAll('[tabindex]')].filter(e => e.tabIndex > 0).length"
        )
        assert positive == 0, path


def test_text_at_200_percent_needs_no_horizontal_scrolling(desktop, theme_server):
    overflowing = []
    for path in ZOOM_PAGES:
        desktop.goto(theme_server + path)
        desktop.evaluate("document.documentElement.style.fontSize = '200%'")
        widths = desktop.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        if widths[0] > widths[1]:
            overflowing.append((path, widths))
    assert overflowing == []


def test_reduced_motion_means_no_animation(browser, theme_server):
    context = browser.new_context(reduced_motion="reduce")
    page = context.new_page()
    page.goto(theme_server)
    page.keyboard.press("Tab")
    assert page.evaluate("document.getAnimations().length") == 0
    behaviour = page.evaluate("getComputedStyle(document.documentElement).scrollBehavior")
    assert behaviour == "auto"
    context.close()


def test_article_page_and_css_weigh_under_50_kb_without_fonts_or_third_parties(
    browser, theme_server
):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems = watch_requests(page)
    responses = []
    page.on("requestfinished", lambda request: responses.append(request))
    page.goto(theme_server + "artikel/nis2-guide/", wait_until="networkidle")
    weight = 0
    kinds = set()
    for request in responses:
        kinds.add(request.resource_type)
        if request.resource_type in ("image", "media"):
            continue
        sizes = request.sizes()
        weight += sizes["responseBodySize"] + sizes["responseHeadersSize"]
    context.close()
    assert problems == []
    assert "font" not in kinds
    assert "script" not in kinds, "an article needs no JavaScript"
    assert 0 < weight < WEIGHT_LIMIT, f"{weight} bytes"


def test_browsing_the_site_sets_no_cookie_and_calls_no_third_party(browser, theme_server):
    context = browser.new_context()
    page = context.new_page()
    problems = watch_requests(page)
    for path in ("", THEME_ARTICLE, "soeg/?q=kommune", "nyhedsbrev/", "emne/nis2/"):
        page.goto(theme_server + path, wait_until="networkidle")
        assert page.evaluate("document.cookie") == ""
    assert context.cookies() == []
    context.close()
    assert problems == []


def test_footer_links_to_privacy_policy_and_the_statement_on_was_digst(desktop, theme_server):
    desktop.goto(theme_server)
    footer = desktop.locator(".site-footer")
    assert footer.get_by_role("link", name="Privatlivspolitik").count() == 1
    statement = footer.get_by_role("link", name="Tilgængelighedserklæring på was.digst.dk")
    assert statement.get_attribute("href") == "https://www.was.digst.dk/kommunenyt-dk"
    desktop.goto(theme_server + "tilgaengelighed/")
    link = desktop.get_by_role("link", name="Læs tilgængelighedserklæringen på was.digst.dk")
    assert link.get_attribute("href") == "https://www.was.digst.dk/kommunenyt-dk"
