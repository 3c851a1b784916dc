"""The build cache: a warm build gives byte for byte the output of a cold one, and rewrites
only the files whose bytes change."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from generator import parallel
from generator.build import BuildOptions, build
from generator.config import load_config
from tests.conftest import NOW, Site
from tests.test_output import snapshot


@pytest.fixture(autouse=True)
def fork_even_for_small_sites(monkeypatch):
    """Small test sites would otherwise always run in one process."""
    monkeypatch.setattr(parallel, "MIN_ITEMS_PER_WORKER", 2)


def make_site(site: Site) -> None:
    for number in range(1, 9):
        site.article(
            f"2021/a{number}.md",
            f"title: Artikel {number}\ndate: 2021-06-{number:02d} 09:00\n"
            f"section: {'Drift' if number % 2 else 'Udbud'}\n"
            f"tags: [Cloud, {'KL' if number % 3 else 'NIS2'}]\n",
            f'Tekst {number} om "kommunal" it -- med et [link](a1.md).\n\n## Mere\n\nOg mere.\n',
        )
    site.page("om", "Om os")


def warm(site: Site, **options) -> object:
    config = load_config(site.root)
    return build(config, BuildOptions(site.output, now=NOW, jobs=2, **options))


def cold(site: Site, folder: Path) -> dict[str, str]:
    config = load_config(site.root)
    build(config, BuildOptions(folder, now=NOW, cache=False, jobs=1))
    return snapshot(folder)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text, (old, text)
    path.write_text(text.replace(old, new, 1), "utf-8")


EDITS = {
    "body": lambda s: edit(s.root / "content/articles/2021/a3.md", "Og mere.", "Og meget mere."),
    "newest body": lambda s: edit(s.root / "content/articles/2021/a8.md", "Tekst 8", "Tekst otte"),
    "front matter comment": lambda s: edit(
        s.root / "content/articles/2021/a2.md", "title:", "# en kommentar\ntitle:"
    ),
    "title": lambda s: edit(s.root / "content/articles/2021/a5.md", "Artikel 5", "Femte artikel"),
    "date": lambda s: edit(s.root / "content/articles/2021/a2.md", "2021-06-02", "2021-07-15"),
    "section": lambda s: edit(s.root / "content/articles/2021/a4.md", "Udbud", "Sikkerhed"),
    "tags": lambda s: edit(s.root / "content/articles/2021/a6.md", "Cloud", "Backup, Cloud"),
    "delete": lambda s: (s.root / "content/articles/2021/a7.md").unlink(),
    "add": lambda s: s.article(
        "2022/ny.md", "title: Helt ny\ndate: 2022-01-03 10:00\ntags: [KL]", "Ny tekst.\n"
    ),
    "linked article renamed": lambda s: (s.root / "content/articles/2021/a1.md").rename(
        s.root / "content/articles/2021/a1-ny.md"
    ),
    "page": lambda s: s.page("om", "Om redaktionen"),
    "template": lambda s: s.write(
        "templates/page.html",
        "{% extends 'base.html' %}{% block content %}<h1>{{ page.title }}!</h1>"
        "{{ page.body_html|safe }}{% endblock %}",
    ),
    "config": lambda s: s.config(site_extra="page_size = 3\n"),
    "authors": lambda s: s.write("content/authors.yaml", "Ida Jæger:\n  email: ida@example.dk\n"),
}


def test_a_warm_build_after_each_edit_equals_a_cold_build(site, tmp_path, either_way):
    make_site(site)
    warm(site)
    for number, (name, change) in enumerate(EDITS.items()):
        change(site)
        if name == "linked article renamed":  # its link would now be broken: fix it too
            for path in (site.root / "content/articles").rglob("*.md"):
                edit(path, "](a1.md)", "](a1-ny.md)") if "](a1.md)" in path.read_text(
                    "utf-8"
                ) else None
        report = warm(site)
        assert report.warnings == [], name
        expected = cold(site, tmp_path / f"cold-{number}")
        assert snapshot(site.output) == expected, f"after the {name} edit"


def test_a_rebuild_with_nothing_changed_rewrites_no_file(site):
    make_site(site)
    warm(site)
    before = stats(site.output)
    report = warm(site)
    assert stats(site.output) == before
    assert (report.changed, report.rendered) == (0, 0)
    assert report.files == len(before) - 1  # all but the manifest


def test_a_one_article_edit_rewrites_only_the_files_whose_bytes_change(site, tmp_path):
    make_site(site)
    warm(site)
    before_stats, before_bytes = stats(site.output), snapshot(site.output)
    edit(site.root / "content/articles/2021/a3.md", "Og mere.", "Og meget mere.")
    report = warm(site)
    after_stats, after_bytes = stats(site.output), snapshot(site.output)
    rewritten = {name for name in after_stats if after_stats[name] != before_stats.get(name)}
    changed = {name for name in after_bytes if after_bytes[name] != before_bytes.get(name)}
    assert rewritten == changed
    assert "artikel/artikel-3/index.html" in changed
    assert "index.html" not in changed  # the front page shows no body
    assert report.changed == len(changed - {".kommunenyt-manifest.json"})
    assert report.rendered < report.files / 4
    assert after_bytes == cold(site, tmp_path / "cold")


def test_no_cache_renders_everything_and_gives_the_same_output(site, tmp_path):
    make_site(site)
    warm(site)
    first = snapshot(site.output)
    report = warm(site, cache=False)
    assert report.rendered == report.files - sum(
        1 for name in first if name.startswith("pagefind/")
    )
    assert report.changed == 0
    assert snapshot(site.output) == first


def stats(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        p.relative_to(folder).as_posix(): (os.stat(p).st_ino, os.stat(p).st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_a_body_edit_signs_again_only_the_files_that_show_that_body(site, monkeypatch):
    from generator.deps import Signatures

    make_site(site)
    first = warm(site)
    signed = []
    original = Signatures.job
    monkeypatch.setattr(
        Signatures, "job", lambda self, job: signed.append(job.url) or original(self, job)
    )
    edit(site.root / "content/articles/2021/a8.md", "Tekst 8", "Tekst otte")
    warm(site)
    pages_and_feeds = [url for url in signed if not url.startswith(("static/", "assets/"))]
    assert "artikel/artikel-8/" in pages_and_feeds
    assert any(url.endswith("feed.xml") for url in pages_and_feeds)  # the feeds carrying it
    # The front page and its section's page list it but show no body.
    assert "" not in pages_and_feeds and "sektion/udbud/" not in pages_and_feeds
    assert len(pages_and_feeds) < first.files / 3


def test_related_articles_are_ranked_again_only_when_some_front_matter_changed(
    site, monkeypatch, tmp_path
):
    from generator import library

    make_site(site)
    warm(site)
    ranked = []
    original = library._related
    monkeypatch.setattr(library, "_related", lambda *a: ranked.append(1) or original(*a))
    edit(site.root / "content/articles/2021/a3.md", "Og mere.", "Og meget mere.")
    warm(site)
    assert ranked == []  # a body edit: the last build's ranking is taken over
    assert snapshot(site.output) == cold(site, tmp_path / "cold")
    edit(site.root / "content/articles/2021/a3.md", "tags: [Cloud, NIS2]", "tags: [KL]")
    ranked.clear()
    warm(site)
    assert ranked == [1]
    assert snapshot(site.output) == cold(site, tmp_path / "cold2")


def test_signatures_made_by_workers_in_a_cold_build_match_those_made_before_rendering(site):
    make_site(site)
    for number in range(40):  # enough files for several workers
        site.article(
            f"2020/x{number}.md", f"title: Ældre {number}\ndate: 2020-03-{number % 28 + 1:02d}"
        )
    cold_report = warm(site)  # no cache yet: signatures computed where files are rendered
    edit(site.root / "content/articles/2021/a5.md", "Artikel 5", "Femte artikel")
    report = warm(site)  # a title edit: every signature computed first, then compared
    assert 0 < report.rendered < cold_report.files / 3


def test_a_source_unchanged_since_it_was_hashed_is_not_read_again(site, monkeypatch):
    from generator import sources

    monkeypatch.setattr(sources, "_SETTLED_NS", 0)  # trust times at once (normally 2 s old)
    make_site(site)
    warm(site)
    read = []
    original = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: read.append(self.name) or original(self))
    edit(site.root / "content/articles/2021/a3.md", "Og mere.", "Og MERE.")  # same size
    warm(site)
    markdown_read = [name for name in read if name.endswith(".md")]
    assert set(markdown_read) == {"a3.md"}  # hashed, parsed, its body read: no other file
    assert "Og MERE." in site.read("artikel/artikel-3/")


def test_a_cold_build_reads_each_source_once_to_parse_and_once_to_render(site, monkeypatch):
    make_site(site)
    read = []
    original = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: read.append(self.name) or original(self))
    warm(site)  # no cache yet
    markdown_read = [name for name in read if name.endswith(".md")]
    # hashed and parsed from the same bytes (in a worker on a big site), then the body read
    # where it is rendered: workers send back front matter, never whole files
    assert markdown_read and all(markdown_read.count(name) == 2 for name in markdown_read)


@pytest.fixture
def trusted_stats(monkeypatch):
    """File times count as settled at once (normally after 2 s), so tests need not wait."""
    from generator import sources

    monkeypatch.setattr(sources, "_SETTLED_NS", 0)


def build_at(site: Site, now) -> object:
    return build(load_config(site.root), BuildOptions(site.output, now=now, jobs=1))


def test_nothing_changed_is_known_without_reading_a_source(site, monkeypatch, trusted_stats):
    from generator import sources

    make_site(site)
    first = warm(site)
    warm(site)  # nothing changed: notes the files' stats for the next build
    read_sources = sources.read_sources

    def must_not_read(*args, **kwargs):
        raise AssertionError("the sources were read")

    monkeypatch.setattr(sources, "read_sources", must_not_read)
    report = warm(site)
    assert (report.articles, report.pages, report.files) == (
        first.articles,
        first.pages,
        first.files,
    )
    assert [str(w) for w in report.warnings] == [str(w) for w in first.warnings]
    monkeypatch.setattr(sources, "read_sources", read_sources)
    edit(site.root / "content/articles/2021/a3.md", "Og mere.", "Og MERE.")
    assert warm(site).changed > 0  # and a real change is still seen


def test_the_clock_still_publishes_a_scheduled_article_when_nothing_else_changed(
    site, trusted_stats
):
    import datetime as dt

    make_site(site)
    site.article("2021/senere.md", "title: Senere\ndate: 2021-07-01 09:00")
    before = dt.datetime(2021, 6, 30, 12, tzinfo=dt.UTC)
    build_at(site, before)
    build_at(site, before)
    assert not site.exists("artikel/senere/")
    build_at(site, before + dt.timedelta(days=1))  # the article's time has come
    assert site.exists("artikel/senere/")
    in_window = site.read("news-sitemap.xml")
    assert "artikel/senere/" in in_window
    build_at(site, before + dt.timedelta(days=5))  # and it has left the news window
    assert "artikel/senere/" not in site.read("news-sitemap.xml")


def test_compiled_templates_are_kept_per_generator_version_and_damage_is_ignored(site, tmp_path):
    make_site(site)
    other_version = site.root / ".kommunenyt-cache/templates/0.0.1-0123456789abcdef"
    other_version.mkdir(parents=True)
    (other_version / "__jinja2_x.cache").write_bytes(b"old")
    warm(site)
    folders = list((site.root / ".kommunenyt-cache/templates").iterdir())
    assert len(folders) == 1 and folders[0] != other_version  # the other version's went
    compiled = sorted(folders[0].glob("*.cache"))
    assert compiled
    for path in compiled:  # truncated or garbage: Jinja compiles the template again
        path.write_bytes(path.read_bytes()[:40])
    edit(site.root / "content/articles/2021/a3.md", "Og mere.", "Og meget mere.")
    warm(site)
    assert snapshot(site.output) == cold(site, tmp_path / "cold")


def test_a_build_without_cache_keeps_no_compiled_templates(site):
    make_site(site)
    warm(site, cache=False)
    assert not (site.root / ".kommunenyt-cache/templates").exists()
