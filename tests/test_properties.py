"""Property-based tests: whatever an editor types, the build answers with a site or a clear error.

Random titles, tags and Markdown (Danish letters, combining characters, control characters,
very long lines, HTML-looking text) never crash the reader or renderer, and everything the
user wrote in a title or tag comes out escaped.
"""

from __future__ import annotations

import unicodedata

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape

from generator.build import BuildOptions, build
from generator.config import load_config
from generator.errors import SiteError
from generator.markdown_render import MarkdownRenderer
from generator.reader import strip_control_characters
from tests.conftest import NOW, Site

DANISH = "æøåÆØÅéü"
TRICKY = "<>&\"'`/\\:#-*[]{}|!%@"
COMBINING = "\u030a\u0308\u0301"  # ring (å as a + ring), diaeresis, acute
CONTROL = "\x00\x01\x07\x0b\x1b\x7f\u200b\u202e"
ALPHABET = st.sampled_from(
    list(
        "abcdefghijklmnopqrstuvwxyz ABC 0123456789" + DANISH + TRICKY + COMBINING + CONTROL + "\n\t"
    )
)
texts = st.text(ALPHABET, min_size=0, max_size=120)
long_lines = st.text(ALPHABET, min_size=2000, max_size=6000)
markdown_blocks = st.lists(
    st.one_of(
        texts,
        long_lines,
        texts.map(lambda t: "- " + t),
        texts.map(lambda t: "> - " + t),
        texts.map(lambda t: "## " + t),
        texts.map(lambda t: f"[{t}](../{t}.md)"),
        texts.map(lambda t: f"| {t} | x |\n|---|---|\n| 1 | 2 |"),
        texts.map(lambda t: f"```\n{t}\n```"),
        texts.map(lambda t: f"{t}[^1]\n\n[^1]: {t}"),
    ),
    max_size=8,
)


def visible(text: str) -> str:
    """What the generator shows of a front-matter text: NFC, whitespace folded."""
    return " ".join(unicodedata.normalize("NFC", strip_control_characters(text)).split())


@settings(max_examples=100, deadline=None)
@given(markdown_blocks)
def test_renderer_never_crashes(blocks):
    html = MarkdownRenderer().render("\n\n".join(blocks))
    assert isinstance(html, str)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(title=texts, lead=texts, tags=st.lists(texts, max_size=4), blocks=markdown_blocks)
def test_build_gives_a_site_or_a_clear_error_and_escapes_front_matter(
    tmp_path_factory, title, lead, tags, blocks
):
    site = Site(tmp_path_factory.mktemp("prop") / "site")
    front = yaml.safe_dump(
        {"title": title, "date": "2024-01-02 10:00", "lead": lead, "tags": tags}, allow_unicode=True
    )
    site.write("content/articles/a.md", f"---\n{front}---\n\n" + "\n\n".join(blocks))
    try:
        build(load_config(site.root), BuildOptions(site.output, now=NOW, search=False))
    except SiteError as error:
        for problem in error.problems:
            assert str(problem).startswith("content/articles/a.md"), str(problem)
        return
    page = next(site.output.glob("artikel/*/index.html")).read_text("utf-8")
    assert str(escape(visible(title))) in page
    if visible(lead):
        assert str(escape(visible(lead))) in page
    tag_names = " ".join(p.read_text("utf-8") for p in site.output.glob("emne/*/index.html"))
    for tag in tags:
        if visible(tag) and any(c.isalnum() for c in tag):
            # A tag may be shown in another spelling of the same slug, but never unescaped.
            assert "<" not in visible(tag) or visible(tag) not in tag_names
