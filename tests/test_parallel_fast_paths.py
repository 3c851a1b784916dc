"""Shortcuts taken for speed give exactly the output of the slow, obvious way."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown.inlinepatterns import SimpleTextInlineProcessor

from generator.markdown_render import MarkdownRenderer, QuickInline, QuickSmarty

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
    "Linjeskift her  \nog *kursiv*, **fed**, _lav_, __høj__ og `kode` og \\*ikke\\*.",
    "<https://kl.dk> og <mail@kommune.dk> og &amp; og &copy; og <span>html</span>",
    "Ingen særlige tegn, bare æøå og tal 1,5 mio. kr. (og parentes).",
    "[ref][1] og [kort] og ![billede][2]\n\n[1]: https://a.dk\n[kort]: https://b.dk\n[2]: x.png",
    "* punkt med *kursiv*\n* punkt uden\n\n> citat med [link](https://c.dk)",
]

INLINE_ALPHABET = "ab æø 12.,:;!?-\n*_`[]()<>&^\\\"'#|>"


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


def stock_inline_renderer() -> MarkdownRenderer:
    """The renderer with Python-Markdown's own inline pass put back."""
    from markdown.treeprocessors import InlineProcessor

    renderer = MarkdownRenderer()
    assert isinstance(renderer._md.treeprocessors["inline"], QuickInline)
    renderer._md.treeprocessors.register(InlineProcessor(renderer._md), "inline", 20)
    return renderer


@pytest.mark.parametrize("text", TRICKY)
def test_quick_inline_renders_exactly_like_python_markdowns_own(text):
    assert MarkdownRenderer().render(text) == stock_inline_renderer().render(text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=INLINE_ALPHABET, max_size=120))
def test_quick_inline_matches_the_stock_pass_on_any_mix_of_markup(text):
    assert MarkdownRenderer().render(text) == stock_inline_renderer().render(text)


def test_quick_inline_steps_aside_for_an_inline_pattern_it_does_not_know():
    quick, stock = MarkdownRenderer(), stock_inline_renderer()
    for renderer in (quick, stock):  # a pattern triggered by "%", unknown to the shortcut
        renderer._md.inlinePatterns.register(SimpleTextInlineProcessor(r"(%)"), "percent", 5)
    assert quick.render("100 % sikkert") == stock.render("100 % sikkert")
    assert quick._md.treeprocessors["inline"]._triggers is None
