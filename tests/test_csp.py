"""Every generated page carries a strict Content-Security-Policy that it actually satisfies.

Headless Chromium visits every page type of the sample site (plus the fixture article with
every element), the search page while Pagefind loads its WebAssembly, the signup page while
its script posts to the signup service, the service's own pages, a feed's XSLT view, a
redirect, and the live preview with its reload script. Every `securitypolicyviolation`
event and every CSP console message is a failure. A control test shows the harness does
see a violation when a page breaks the policy.
"""

from __future__ import annotations

import email
import email.policy
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from generator.config import load_config
from generator.csp import content_security_policy
from generator.newsletter.app import preview_app
from generator.serve import serve_in_thread
from tests.conftest import THEME_ARTICLE, THEME_FIXTURE, THEME_NOW, Site, wait_until
from tests.test_serve import start_preview

pytestmark = pytest.mark.browser
WATCH = """
document.addEventListener('securitypolicyviolation', (e) => {
  const where = e.target && e.target.nodeName ? ` at <${e.target.nodeName.toLowerCase()}>` : '';
  window.__cspViolation(`${e.effectiveDirective} blocked ${e.blockedURI || 'inline'}${where}`);
}, true);
"""
# Chromium marks XSLT pages with a deprecation banner that it styles inline itself.
BROWSER_BANNER = "at <xslt-warning-banner>"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Site, str]]:
    """The sample site built for, and served with its signup service on, one local port."""
    site = Site.sample_copy(tmp_path_factory.mktemp("csp") / "site", THEME_FIXTURE)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://127.0.0.1:{port}/"
    site.build(now=THEME_NOW, base_url=base)
    config = load_config(site.root).with_base_url(base)
    server, _ = serve_in_thread(
        site.output, port=port, signup_app=preview_app(config, site.output, port)
    )
    try:
        yield site, base
    finally:
        server.shutdown()
        server.server_close()


class Watched:
    """A Chromium page that records CSP violations and requests to other hosts."""

    def __init__(self, browser):
        self.context = browser.new_context()
        self.page = self.context.new_page()
        self.violations: list[str] = []
        self.console: list[str] = []
        self.page.expose_function("__cspViolation", lambda text: self.violations.append(text))
        self.page.add_init_script(WATCH)
        self.page.on("console", self._console)
        self.page.on(
            "request",
            lambda r: (
                urlsplit(r.url).hostname not in ("127.0.0.1", None)
                and self.violations.append(f"third-party request {r.url}")
            ),
        )

    def _console(self, message) -> None:
        text = message.text
        if "Content Security Policy" in text or "Content-Security-Policy" in text:
            self.console.append(text)

    def problems(self) -> list[str]:
        """Violations the page caused (the browser's own banner aside), then the console's."""
        ours = [v for v in self.violations if BROWSER_BANNER not in v]
        banner = len(self.violations) - len(ours)
        return ours + [f"console: {text}" for text in self.console[banner:]]

    def policy(self) -> str:
        return self.page.evaluate(
            "document.querySelector('meta[http-equiv=\"Content-Security-Policy\"]')?.content ?? ''"
        )

    def close(self) -> None:
        self.context.close()


def page_types(output: Path) -> list[str]:
    """One URL of every kind of page the site has."""

    def first(pattern: str) -> str:
        found = sorted(output.glob(pattern))
        assert found, pattern
        return found[0].relative_to(output).as_posix().removesuffix("index.html")

    return [
        "",
        "side/2/",
        THEME_ARTICLE,
        first("artikel/*/index.html"),
        first("sektion/*/index.html"),
        first("emne/*/index.html"),
        first("forfatter/*/index.html"),
        "sektioner/",
        "emner/",
        "forfattere/",
        "arkiv/",
        first("arkiv/[0-9]*/index.html"),
        first("arkiv/[0-9]*/[0-9]*/index.html"),
        "om/",
        "nyhedsbrev/",
        "nyhedsbrev/tak/",
        "nyhedsbrev/arkiv/",
        "404.html",
    ]


def test_every_generated_html_file_declares_the_policy(served):
    site, _ = served
    config = load_config(site.root)
    pages = [p for p in site.output.rglob("*.html") if "pagefind" not in p.parts]
    assert len(pages) > 50
    for path in pages:
        html = path.read_text("utf-8")
        head = html[: html.index("</head>")]
        wasm = path.parent.name == "soeg"
        expected = f'<meta http-equiv="Content-Security-Policy" content="{content_security_policy(config, wasm)}">'
        assert expected in head, path
        assert head.index(expected) < head.index("<link"), "before anything is loaded"
        assert not re.search(r"<script(?![^>]*\b(src=|type=\"application/ld\+json\"))", html), path
        assert not re.search(r"\sstyle=|\son[a-z]+=", html), path


def test_every_page_type_satisfies_its_policy(browser, served):
    site, base = served
    watched = Watched(browser)
    failures = []
    for url in page_types(site.output):
        watched.violations.clear()
        watched.console.clear()
        response = watched.page.goto(base + url, wait_until="load")
        assert response is not None and response.status in (200, 404), url
        assert "default-src 'none'" in watched.policy(), url
        watched.page.wait_for_timeout(50)
        failures += [f"/{url}: {v}" for v in watched.problems()]
    watched.close()
    assert failures == []


def test_search_runs_pagefind_webassembly_within_the_policy(browser, served):
    _, base = served
    watched = Watched(browser)
    watched.page.goto(base + "soeg/?q=nis2", wait_until="load")
    wait_until(
        watched.page,
        "document.querySelector('[data-search-status]').textContent.includes('fundet')",
    )
    assert watched.page.locator("[data-search-results] li").count() > 0
    assert "'wasm-unsafe-eval'" in watched.policy()
    watched.close()
    assert watched.problems() == []


def test_other_pages_do_not_allow_webassembly(browser, served):
    _, base = served
    watched = Watched(browser)
    watched.page.goto(base + "arkiv/", wait_until="load")
    assert "wasm" not in watched.policy()
    watched.page.evaluate(
        "WebAssembly.compile(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])).catch(() => {})"
    )
    watched.page.wait_for_timeout(100)
    watched.close()
    assert any("script-src" in v or "wasm" in v.lower() for v in watched.violations)


def test_signup_fetch_confirm_and_unsubscribe_pages_satisfy_the_policy(browser, served):
    site, base = served
    watched = Watched(browser)
    page = watched.page
    page.goto(base + "nyhedsbrev/", wait_until="load")
    page.get_by_role("textbox", name="E-mailadresse").fill("csp-test@example.dk")
    page.locator("#signup-consent").check()
    with page.expect_response(lambda r: r.url.endswith("/nyhedsbrev/tilmeld")) as answer:
        page.get_by_role("button", name="Tilmeld mig").click()
    assert answer.value.status == 200, "the script's fetch reached the service"
    wait_until(page, "document.querySelector('[data-signup-status]').textContent.trim()")
    mails = sorted((site.root / "var/outbox").glob("*.eml"))
    mail = email.message_from_bytes(mails[-1].read_bytes(), policy=email.policy.default)
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    link = re.search(r"http://127\.0\.0\.1:\d+/nyhedsbrev/bekraeft\?\S+", text).group(0)  # type: ignore[union-attr]
    page.goto(link, wait_until="load")
    assert "default-src 'none'" in watched.policy(), "the service's pages carry it too"
    page.get_by_role("button").first.click()
    page.wait_for_load_state("load")
    assert "bekræftet" in page.content()
    page.goto(base + "nyhedsbrev/afmeld?token=" + "x" * 43, wait_until="load")
    watched.close()
    assert watched.problems() == []


def test_feed_xslt_view_satisfies_the_policy(browser, served):
    _, base = served
    watched = Watched(browser)
    for feed in ("feed.xml", "atom.xml", "emne/nis2/atom.xml"):
        watched.page.goto(base + feed, wait_until="load")
        assert watched.page.locator("h1").count() == 1, "the XSLT page was shown"
        assert "default-src 'none'" in watched.policy(), feed
    watched.page.wait_for_timeout(100)
    watched.close()
    assert watched.problems() == []


def test_an_alias_redirects_within_the_policy(browser, served):
    site, base = served
    alias = next(
        p for p in site.output.rglob("index.html") if 'http-equiv="refresh"' in p.read_text()
    )
    watched = Watched(browser)
    url = alias.relative_to(site.output).as_posix().removesuffix("index.html")
    with watched.page.expect_navigation(url=re.compile(r"/artikel/")):
        watched.page.goto(base + url)
    watched.close()
    assert watched.problems() == []


@pytest.mark.parametrize("url", ["", "soeg/", "nyhedsbrev/", "feed.xml"])
def test_the_harness_sees_a_page_that_breaks_the_policy(browser, served, url):
    """Control: an inline style and an inline script added to the page are reported."""
    _, base = served
    watched = Watched(browser)
    watched.page.goto(base + url, wait_until="load")
    watched.page.evaluate(
        """() => {
          const root = document.querySelector('main') || document.body || document.documentElement;
          const p = document.createElement('p');
          p.setAttribute('style', 'color: red');
          root.append(p);
          const s = document.createElement('script');
          s.textContent = 'window.ran = true';
          root.append(s);
        }"""
    )
    watched.page.wait_for_timeout(100)
    ran = watched.page.evaluate("window.ran === true")
    watched.close()
    assert not ran, "the inline script was blocked"
    assert any("style-src" in v for v in watched.violations), watched.violations
    assert any("script-src" in v for v in watched.violations), watched.violations


def test_live_preview_reload_script_and_error_page_satisfy_the_policy(browser, site):
    site.article("2021/koege.md", "title: Køge\ndate: 2021-06-14 09:30", "Første udgave.\n")
    preview = start_preview(site)
    watched = Watched(browser)
    try:
        page = watched.page
        page.goto(preview.url + "artikel/koege/", wait_until="load")
        assert page.evaluate(
            "performance.getEntriesByType('resource').some(e => e.name.includes('livereload.js'))"
        )
        with page.expect_navigation(timeout=15000):  # the script reloads the tab on a save
            site.article("2021/koege.md", "title: Køge\ndate: 2021-06-14 09:30", "Ny udgave.\n")
        assert "Ny udgave" in page.content()
        with page.expect_navigation(timeout=15000):  # a broken save shows the error page
            site.write("content/articles/2021/koege.md", "---\ntitle: [\n---\n")
        assert "Sitet kan ikke bygges" in page.content()
        assert "default-src 'none'" in watched.policy()
    finally:
        watched.close()
        preview.process.terminate()
        preview.process.wait(timeout=10)
    assert watched.problems() == []


@pytest.mark.parametrize(
    ("newsletter", "origin"),
    [
        ('provider = "builtin"', None),
        (
            'provider = "listmonk"\n[newsletter.listmonk]\nurl = "https://lister.kommune.dk/"\n'
            '[[newsletter.lists]]\nid = "ugebrev"\nname = "Ugebrevet"\n'
            'listmonk_uuid = "0f8d6a1e-4c1b-4f6e-9a55-2b0e6f1d7c3a"',
            "https://lister.kommune.dk",
        ),
        (
            'provider = "form"\n[newsletter.form]\naction = "https://post.example:8443/tilmeld"',
            "https://post.example:8443",
        ),
    ],
    ids=["builtin", "listmonk", "form"],
)
def test_the_signup_providers_origin_may_receive_the_form(site, newsletter, origin):
    site.config(f"[newsletter]\n{newsletter}\n")
    policy = content_security_policy(load_config(site.root))
    directives = dict(d.split(" ", 1) for d in policy.split("; "))
    expected = "'self'" + (f" {origin}" if origin else "")
    assert directives["form-action"] == directives["connect-src"] == expected
    assert directives["default-src"] == "'none'" and "wasm" not in policy
