"""The output folder: swapped in whole, never half-written, never losing what the user put there."""

from __future__ import annotations

import hashlib

import pytest

from generator.errors import SiteError


def snapshot(folder):
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_failed_build_leaves_previous_output_byte_for_byte(site, either_way):
    site.article("a.md", "title: God\ndate: 2024-01-02 10:00")
    site.build()
    before = snapshot(site.output)
    site.article("b.md", "title: God nok\ndate: 2024-01-03 10:00")
    site.write(
        "templates/404.html", "{% extends 'base.html' %}{% block content %}{{ x( }}{% endblock %}"
    )
    with pytest.raises(SiteError):
        site.build()
    assert snapshot(site.output) == before
    assert [p.name for p in site.root.iterdir() if p.name.startswith(".output.")] == [
        ".output.kommunenyt-lock"
    ]


def test_removed_article_disappears_from_the_output(site, either_way):
    path = site.article("a.md", "title: Snart væk\ndate: 2024-01-02 10:00")
    site.build()
    assert site.exists("artikel/snart-vaek/")
    path.unlink()
    site.build()
    assert not site.exists("artikel/snart-vaek/")


def test_files_the_user_put_in_output_are_kept(site, either_way):
    site.build()
    (site.output / "google1234.html").write_text("verification", "utf-8")
    (site.output / "egne").mkdir()
    (site.output / "egne/fil.txt").write_text("min fil", "utf-8")
    site.article("a.md", "title: Ny\ndate: 2024-01-02 10:00")
    site.build()
    assert (site.output / "google1234.html").read_text("utf-8") == "verification"
    assert (site.output / "egne/fil.txt").read_text("utf-8") == "min fil"
    assert site.exists("artikel/ny/")


def test_user_file_with_a_generated_name_stops_the_build(site, either_way):
    site.build()
    (site.output / "om").mkdir()
    (site.output / "om/index.html").write_text("min egen side", "utf-8")
    site.page("om", "Om")
    with pytest.raises(SiteError, match="move it to content/static/"):
        site.build()
    assert (site.output / "om/index.html").read_text("utf-8") == "min egen side"


def test_refuses_a_non_empty_folder_it_did_not_write(site, tmp_path):
    target = tmp_path / "mine"
    target.mkdir()
    (target / "vigtig.txt").write_text("behold mig", "utf-8")
    with pytest.raises(SiteError, match="did not write"):
        site.build(output=target)
    assert (target / "vigtig.txt").read_text("utf-8") == "behold mig"


@pytest.mark.parametrize("where", [".", "content", "templates", "content/static"])
def test_refuses_to_write_over_the_sources(site, where):
    (site.root / "content/static").mkdir(parents=True, exist_ok=True)
    (site.root / "templates").mkdir(exist_ok=True)
    with pytest.raises(SiteError):
        site.build(output=site.root / where)
    assert (site.root / "site.toml").is_file()


def test_unchanged_files_are_not_rewritten(site, either_way):
    site.article("a.md", "title: Stabil\ndate: 2024-01-02 10:00")
    site.article("b.md", "title: Ændres\ndate: 2024-01-01 10:00")
    site.build()
    stable = (site.output / "artikel/stabil/index.html").stat()
    changed = site.root / "content/articles/b.md"
    changed.write_text(changed.read_text("utf-8") + "\nNy sætning.\n", "utf-8")
    report = site.build()
    assert (site.output / "artikel/stabil/index.html").stat().st_ino == stable.st_ino
    assert 0 < report.changed < report.files


def test_building_twice_gives_identical_output(site):
    site.article("a.md", "title: A\ndate: 2024-01-02 10:00\ntags: [X, Y]")
    site.article("b.md", "title: B\ndate: 2024-01-02 10:00\ntags: [Y]")
    site.build()
    first = snapshot(site.output)
    site.build(output=site.root / "again")
    assert snapshot(site.root / "again") == first
