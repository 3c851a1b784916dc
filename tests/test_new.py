"""`kommunenyt new`: the file, its front matter, and never overwriting."""

from __future__ import annotations

import datetime as dt

import pytest

from generator.check import check_site
from generator.cli import main
from generator.errors import SiteError
from generator.new import new_article
from generator.reader import split_source
from tests.conftest import Site


def test_new_creates_the_article_with_its_front_matter(site: Site):
    moment = dt.datetime(2021, 12, 31, 23, 30, tzinfo=dt.UTC)  # 00:30 on 1 January in Denmark
    path = new_article(site.root, "Køge flytter it-driften", "Drift", ["Cloud", "KL"], moment)
    assert path == site.root / "content/articles/2022/koege-flytter-it-driften.md"
    source = split_source(path, site.root, problems=None)  # type: ignore[arg-type]
    assert source is not None
    assert dict(source.meta) == {
        "title": "Køge flytter it-driften",
        "date": "2022-01-01 00:30",
        "slug": "koege-flytter-it-driften",
        "lead": "",
        "section": "Drift",
        "tags": ["Cloud", "KL"],
        "draft": True,
    }
    report = check_site(site.root)
    assert report.errors == []
    site.build(drafts=True)
    assert "Kladde" in site.read("artikel/koege-flytter-it-driften/")


def test_new_uses_the_default_section_and_refuses_to_overwrite(site: Site, capsys):
    assert main(["new", "Åbne data", "--site", str(site.root)]) == 0
    created = capsys.readouterr().out.strip()
    path = site.root / created
    assert path.parent.parent.name == "articles" and path.name == "aabne-data.md"
    assert "section: Nyheder" in path.read_text(encoding="utf-8")
    path.write_text("mit eget arbejde", encoding="utf-8")
    assert main(["new", "Åbne data", "--site", str(site.root)]) == 1
    assert "already exists" in capsys.readouterr().err
    assert path.read_text(encoding="utf-8") == "mit eget arbejde"


def test_new_refuses_a_title_without_letters(site: Site):
    with pytest.raises(SiteError, match="no URL"):
        new_article(site.root, "!!!")
