"""Every generated page passes the Nu HTML Checker (vnu) with zero errors and warnings."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from lxml import etree

from tests.theme_support import VNU, require

pytestmark = pytest.mark.browser


def vnu(*paths: str) -> list[str]:
    """Run vnu once over files or folders; one line per message."""
    java = shutil.which("java")
    if java is None:
        pytest.fail("java is missing: apt-get install default-jre-headless (see .ci/run)")
    result = subprocess.run(
        [
            java,
            "-jar",
            str(require(VNU)),
            "--skip-non-html",
            "--also-check-css",
            "--format",
            "json",
            *paths,
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    messages = json.loads(result.stderr or '{"messages": []}')["messages"]
    return [
        f"{m.get('url', '').rsplit('/output/', 1)[-1]}:{m.get('lastLine')}: "
        f"{m.get('subType', m['type'])}: "
        f"{m.get('message')}"
        for m in messages
    ]


@pytest.fixture(scope="module")
def vnu_messages(theme_site, tmp_path_factory) -> list[str]:
    """vnu over the whole built site, plus the pages browsers make from the feeds (XSLT)."""
    extra = tmp_path_factory.mktemp("feed-pages")
    style = etree.XSLT(etree.parse(str(theme_site.output / "assets/feed.xsl")))
    for name in ("feed.xml", "atom.xml", "emne/nis2/feed.xml"):
        page = style(etree.parse(str(theme_site.output / name)))
        target = extra / (name.replace("/", "-") + ".html")
        target.write_bytes(
            etree.tostring(page, method="html", encoding="utf-8", doctype="<!DOCTYPE html>")
        )
    return vnu(str(theme_site.output), str(extra))


def test_vnu_finds_no_errors_in_any_generated_page(vnu_messages):
    assert [m for m in vnu_messages if ": error: " in m] == []


# vnu reads the files without an origin, so the policy's 'self' matches nothing for it, and
# it counts JSON-LD data blocks as inline scripts (browsers do not run them, so script-src
# does not apply). tests/test_csp.py checks in Chromium that every page satisfies its policy.
VNU_CSP_MISREADINGS = (
    "Resource violates Content Security Policy (meta tag)",
    "Inline script violates Content Security Policy (meta tag)",
)


def test_vnu_finds_no_warnings_either(vnu_messages):
    warnings = [m for m in vnu_messages if ": warning: " in m]
    assert [m for m in warnings if not any(text in m for text in VNU_CSP_MISREADINGS)] == []


def test_vnu_checked_every_page_type(theme_site):
    pages = {p.relative_to(theme_site.output).as_posix() for p in theme_site.output.rglob("*.html")}
    for expected in (
        "index.html",
        "artikel/saadan-ser-en-artikel-med-det-hele-ud/index.html",
        "soeg/index.html",
        "nyhedsbrev/index.html",
        "nyhedsbrev/tak/index.html",
        "404.html",
        "2019/05/artikel.html",
        "arkiv/2024/09/index.html",
    ):
        assert expected in pages


def test_vnu_reports_a_broken_page(tmp_path):
    """Guards the checks above: vnu must see an error in invalid HTML."""
    broken = tmp_path / "broken.html"
    broken.write_text("<!doctype html><html lang=da><title>x</title><p><div></p>", "utf-8")
    assert any(": error: " in m for m in vnu(str(broken)))
