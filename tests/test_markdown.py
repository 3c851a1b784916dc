"""Snapshot-style tests of the Markdown rules editors rely on."""

from generator.markdown_render import MarkdownRenderer, is_dialogue_text


def render(text: str) -> str:
    return MarkdownRenderer().render(text)


SEED_QUOTE = (
    "- Erfaringen fortæller os, at vi for snart en del år siden traf en fornuftig beslutning "
    "om at udlicitere vores it-drift, fortæller Jean Rygaard."
)


def test_dash_paragraph_is_a_dialogue_quote_not_a_list():
    html = render(f"Indledning.\n\n{SEED_QUOTE}\n\nEfter citatet.\n")
    assert "<ul>" not in html
    assert '<p class="replik">– Erfaringen fortæller os' in html
    assert html.index("Indledning") < html.index("replik") < html.index("Efter citatet")


def test_dialogue_quote_keeps_inline_markup():
    html = render(
        "- Vi har **aldrig** set så mange [angreb](https://example.dk), siger Mette Holm.\n"
    )
    assert (
        '<p class="replik">– Vi har <strong>aldrig</strong> set så mange <a href="https://example.dk">angreb</a>'
        in html
    )


def test_dialogue_quote_inside_blockquote():
    html = render("> - Citatet er langt nok til at være en hel sætning her, siger hun.\n")
    assert '<blockquote>\n<p class="replik">– Citatet' in html


def test_short_one_item_list_stays_a_list():
    html = render("- Se også: rapporten\n")
    assert "<ul>\n<li>Se også: rapporten</li>\n</ul>" in html


def test_one_item_list_without_sentence_end_stays_a_list():
    html = render("- Et langt punkt på listen uden punktum til sidst men mange ord\n")
    assert "<ul>" in html


def test_real_lists_stay_lists():
    html = render(
        "- Første punkt er en hel sætning med punktum.\n- Andet punkt er det også, faktisk.\n"
    )
    assert html.count("<li>") == 2
    assert "replik" not in html


def test_nested_list_is_not_a_quote():
    html = render("- Et punkt med en underliste, som er lang nok til en sætning.\n    - under\n")
    assert "replik" not in html


def test_dialogue_rule():
    assert is_dialogue_text("Det giver os en større fleksibilitet, siger Jean Rygaard.")
    assert is_dialogue_text("Hvorfor skulle vi dog gøre det selv i fremtiden?")
    assert not is_dialogue_text("Se også: rapporten.")
    assert not is_dialogue_text("Et punkt uden afsluttende tegn og med mange ord")


def test_danish_quotation_marks_and_dashes():
    html = render('Han kaldte det "en milepæl" -- og mente det.\n')
    assert "&raquo;en milepæl&laquo;" in html
    assert "&ndash;" in html


def test_code_is_left_alone():
    html = render('```yaml\ntitle: "x" -- y\n```\n')
    assert "&quot;x&quot; -- y" in html or '"x" -- y' in html
    assert "raquo" not in html


def test_extensions_tables_footnotes_toc_attr_list():
    html = render(
        "## Større overblik {: .vigtig }\n\n| Post | Kr. |\n|---|---:|\n| Drift | 1.000 |\n\n"
        "Tekst[^1].\n\n[^1]: Kilde: KL.\n"
    )
    assert '<h2 class="vigtig" id="stoerre-overblik">' in html
    assert '<div aria-label="Tabel" class="tabel" role="region" tabindex="0">' in html
    assert 'class="footnote"' in html
    assert "Tilbage til fodnote 1 i teksten" in html


def test_raw_html_is_the_editors():
    html = render('<aside class="faktaboks">Fakta</aside>\n')
    assert '<aside class="faktaboks">Fakta</aside>' in html
