"""Shortcuts taken for speed give exactly the output of the slow, obvious way."""

from __future__ import annotations

import pytest

from generator.markdown_render import MarkdownRenderer, QuickSmarty

TRICKY = [
    "Han sagde \"hej\" -- og gik... '90s er 'ude'",
    "Ingen tegn at pynte på her.",
    '"Citat" i `kode "x" -- ...` og <b title="a">b</b>',
    "Et --- langt og et -- kort og et ---- for langt",
    "Fire prikker.... og to .. og tre...",
    '> - "Vi er klar", siger it-chefen.\n\n- \'enkelt\' og "dobbelt"',
    "| a | 'b' |\n|---|---|\n| \"c\" | d -- e |\n",
    "[\"link\"](https://example.dk/a--b) og ![billede 'x'](static/x.png)",
    "Fodnote[^1] med \"citat\".\n\n[^1]: Den 'siger' -- noget...",
    "Rock 'n' roll i '80erne og 'citat'.",
]


def stock_renderer() -> MarkdownRenderer:
    """The renderer with Python-Markdown's own smarty pass put back."""
    from markdown.treeprocessors import InlineProcessor

    renderer = MarkdownRenderer()
    quick = renderer._md.treeprocessors["smarty"]
    assert isinstance(quick, QuickSmarty)
    stock = InlineProcessor(renderer._md)
    stock.inlinePatterns = quick.inlinePatterns
    renderer._md.treeprocessors.register(stock, "smarty", 6)
    return renderer


@pytest.mark.parametrize("text", TRICKY)
def test_quick_smarty_renders_exactly_like_python_markdowns_own(text):
    assert MarkdownRenderer().render(text) == stock_renderer().render(text)


def test_quick_smarty_still_makes_danish_quotes_dashes_and_ellipses():
    html = MarkdownRenderer().render('Han sagde "hej" -- og gik...')
    assert html == "<p>Han sagde &raquo;hej&laquo; &ndash; og gik&hellip;</p>"
