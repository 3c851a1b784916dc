import unicodedata

import pytest

from generator.slugs import is_valid_slug, slugify


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Høje-Taastrup outsourcer it-drift", "hoeje-taastrup-outsourcer-it-drift"),
        ("Ærø og Køge", "aeroe-og-koege"),
        ("Åbne data på Æblevej", "aabne-data-paa-aeblevej"),
        ("Drift & hosting", "drift-og-hosting"),
        ("Q&A: Sådan!", "q-og-a-saadan"),
        ("KMD", "kmd"),
        ("  Mange   mellemrum  ", "mange-mellemrum"),
        ("»Citat« fra KL", "citat-fra-kl"),
    ],
)
def test_danish_letters_are_transliterated(title, slug):
    assert slugify(title) == slug


def test_decomposed_letters_slug_like_composed_ones():
    nfd = unicodedata.normalize("NFD", "Åbenrå Ærø Søby")
    assert nfd != "Åbenrå Ærø Søby"
    assert slugify(nfd) == "aabenraa-aeroe-soeby"


def test_long_titles_are_cut_at_a_word_boundary():
    slug = slugify("kommune " * 30)
    assert len(slug) <= 80
    assert not slug.endswith("-")
    assert slug.endswith("kommune")


def test_only_punctuation_gives_no_slug():
    assert slugify("!!! ---") == ""


@pytest.mark.parametrize("slug", ["con", "nul", "lpt1", "../etc", "Store", "a/b", ""])
def test_unsafe_slugs_are_rejected(slug):
    assert not is_valid_slug(slug)


def test_plain_slug_is_valid():
    assert is_valid_slug("nis2-guide")
