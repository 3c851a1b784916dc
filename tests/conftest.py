"""Shared fixtures: small sites in temporary folders, a pinned clock, a static server, Chromium."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from generator import writer
from generator.build import BuildOptions, BuildReport, build
from generator.config import load_config
from generator.serve import serve_in_thread

FIXTURES = Path(__file__).parent / "fixtures"
CPH = ZoneInfo("Europe/Copenhagen")
# Every test site is built as if it were this moment, so output never depends on the clock.
NOW = dt.datetime(2026, 11, 28, 12, 0, tzinfo=CPH)
CHROMIUM = os.environ.get("KOMMUNENYT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

MINIMAL_CONFIG = """\
[site]
title = "Testnyt"
base_url = "https://testnyt.dk/"
description = "Nyheder til test"
"""


class Site:
    """A site folder under construction: write files, build, read the output."""

    def __init__(self, root: Path):
        self.root = root
        self.output = root / "output"
        root.mkdir(parents=True, exist_ok=True)
        self.write("site.toml", MINIMAL_CONFIG)

    @classmethod
    def sample_copy(cls, root: Path, *extra_articles: Path) -> Site:
        """A copy of the repository's own sample site (plus extra 2024 articles) at `root`."""
        repo = Path(__file__).parent.parent
        root.mkdir(parents=True)
        shutil.copy(repo / "site.toml", root / "site.toml")
        shutil.copytree(repo / "content", root / "content")
        for article in extra_articles:
            shutil.copy(article, root / "content/articles/2024" / article.name)
        site = cls.__new__(cls)
        site.root, site.output = root, root / "output"
        return site

    def write(self, rel: str, text: str | bytes) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    def config(self, extra: str = "", site_extra: str = "") -> None:
        """Rewrite site.toml: `site_extra` lines go under [site], `extra` after it."""
        self.write(
            "site.toml",
            MINIMAL_CONFIG + textwrap.dedent(site_extra) + "\n" + textwrap.dedent(extra),
        )

    def article(self, rel: str, front: str, body: str = "Brødtekst.\n") -> Path:
        front = textwrap.dedent(front).strip("\n")
        return self.write(
            f"content/articles/{rel}", f"---\n{front}\n---\n\n{textwrap.dedent(body)}"
        )

    def page(self, slug: str, title: str, body: str = "Tekst.\n") -> Path:
        return self.write(f"content/pages/{slug}.md", f"---\ntitle: {title}\n---\n\n{body}")

    def build(
        self,
        now: dt.datetime = NOW,
        drafts: bool = False,
        output: Path | None = None,
        base_url: str | None = None,
    ) -> BuildReport:
        config = load_config(self.root)
        if base_url:
            config = config.with_base_url(base_url)
        return build(config, BuildOptions(output or self.output, include_drafts=drafts, now=now))

    def read(self, url: str) -> str:
        """The text of the output file behind a site-relative URL ("artikel/x/")."""
        rel = url + "index.html" if url == "" or url.endswith("/") else url
        return (self.output / rel).read_text(encoding="utf-8")

    def exists(self, url: str) -> bool:
        rel = url + "index.html" if url == "" or url.endswith("/") else url
        return (self.output / rel).is_file()


@pytest.fixture
def site(tmp_path: Path) -> Site:
    return Site(tmp_path / "site")


@pytest.fixture(params=["swap", "patch"])
def either_way(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the test twice: rebuilds swap a whole new output folder in, or patch the output
    in place (generator.writer chooses by the share of files rendered; here it is forced)."""
    monkeypatch.setattr(writer, "PATCH_SHARE", -1.0 if request.param == "swap" else 1.0)
    return request.param


@pytest.fixture(scope="session")
def sample_site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    """The repository's own sample site, built once per test session into a temp folder."""
    built = Site.sample_copy(tmp_path_factory.mktemp("sample") / "site")
    built.build(base_url="http://127.0.0.1/")
    return built


@contextmanager
def served_folder(folder: Path) -> Iterator[str]:
    """A static server for `folder` on a free port of 127.0.0.1; yields its base URL."""
    server, _ = serve_in_thread(folder)
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def sample_server(sample_site: Site) -> Iterator[str]:
    """The built sample site served over HTTP on 127.0.0.1; yields the base URL."""
    with served_folder(sample_site.output) as base:
        yield base


def wait_until(page, expression: str, timeout: float = 15000) -> None:
    """Wait until a JavaScript expression is true in `page` (timeout in ms).

    Polled from Python: Playwright's wait_for_function evaluates its string with eval(), which
    the pages' Content-Security-Policy (rightly) forbids. A reload in between is waited out.
    """
    from playwright.sync_api import Error

    deadline = time.monotonic() + timeout / 1000
    while True:
        try:
            if page.evaluate(f"() => Boolean({expression})"):
                return
        except Error as error:
            if "context was destroyed" not in str(error) and "navigat" not in str(error):
                raise
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {expression}")
        time.sleep(0.05)


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright; never downloads a browser."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install chromium (see .ci/run)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


# The theme's own tests: the sample site plus one article that uses every element
# (image, table, quotes, footnotes, aliases), built as if it were this moment, so the
# fixture article and the sample's NIS2 guide are both in the two-day news sitemap.
THEME_NOW = dt.datetime(2024, 9, 11, 12, 0, tzinfo=CPH)
THEME_ARTICLE = "artikel/saadan-ser-en-artikel-med-det-hele-ud/"
THEME_FIXTURE = FIXTURES / "theme" / "alt-i-en.md"  # an article using every feature


@pytest.fixture(scope="session")
def theme_site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    built = Site.sample_copy(tmp_path_factory.mktemp("theme") / "site", THEME_FIXTURE)
    built.build(now=THEME_NOW, base_url="http://127.0.0.1/")
    return built


@pytest.fixture(scope="session")
def theme_server(theme_site: Site) -> Iterator[str]:
    """The theme site served on 127.0.0.1; yields the base URL."""
    with served_folder(theme_site.output) as base:
        yield base
