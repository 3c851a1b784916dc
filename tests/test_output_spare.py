"""The spare folder: the site swapped out by one build is the next build's starting point.

Whatever the spare held, the new output must be exactly what a build from an empty folder
gives, with the user's own files carried over and nothing stale left behind.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from generator import writer
from generator.build import BuildOptions, build
from generator.config import load_config
from tests.conftest import NOW, Site
from tests.test_output import snapshot


@pytest.fixture(autouse=True)
def always_swap(monkeypatch):
    """These rebuilds are about the swap: never patch in place, however small the change."""
    monkeypatch.setattr(writer, "PATCH_SHARE", -1.0)


def spare_of(site: Site) -> Path:
    return site.root / ".output.kommunenyt-spare"


def cold(site: Site, folder: Path) -> dict[str, str]:
    build(load_config(site.root), BuildOptions(folder, now=NOW, cache=False, jobs=1))
    return snapshot(folder)


def two_articles(site: Site) -> None:
    site.article("a.md", "title: Første\ndate: 2024-01-02 10:00\ntags: [KL]")
    site.article("b.md", "title: Anden\ndate: 2024-01-03 10:00\ntags: [NIS2]")


def rebuild_with_a_change(site: Site, text: str = "Ny tekst.\n") -> None:
    """A build with nothing changed writes nothing (and swaps nothing); this one does."""
    site.article("a.md", "title: Første\ndate: 2024-01-02 10:00\ntags: [KL]", text)
    site.build()


def test_the_previous_site_is_kept_as_a_spare_and_the_output_stays_exact(site, tmp_path):
    two_articles(site)
    site.build()
    assert not spare_of(site).exists()  # the first build had nothing to swap out
    site.article("a.md", "title: Første\ndate: 2024-01-02 10:00\ntags: [KL]", "Ny tekst.\n")
    site.build()
    assert (spare_of(site) / "artikel/foerste/index.html").is_file()
    steps = [
        lambda: site.article("c.md", "title: Tredje\ndate: 2024-01-04 10:00"),
        lambda: (site.root / "content/articles/b.md").unlink(),  # its pages must go
        lambda: site.article("a.md", "title: Omdøbt\ndate: 2024-01-02 10:00\ntags: [KL]"),
        lambda: site.config(site_extra="page_size = 1\n"),
    ]
    for number, step in enumerate(steps):
        step()
        site.build()
        assert snapshot(site.output) == cold(site, tmp_path / f"cold-{number}"), number
    assert not site.exists("artikel/anden/")
    assert [p.name for p in site.root.iterdir() if ".staging-" in p.name] == []


def test_unchanged_files_are_the_same_files_through_the_spare(site):
    two_articles(site)
    site.build()
    rebuild_with_a_change(site)
    inode = os.stat(site.output / "artikel/anden/index.html").st_ino
    rebuild_with_a_change(site, "Nyere tekst.\n")
    rebuild_with_a_change(site, "Nyeste tekst.\n")
    assert os.stat(site.output / "artikel/anden/index.html").st_ino == inode


def test_a_user_file_removed_from_the_output_does_not_come_back_from_the_spare(site):
    two_articles(site)
    site.build()
    (site.output / "egen.txt").write_text("min", "utf-8")
    rebuild_with_a_change(site, "1\n")
    rebuild_with_a_change(site, "2\n")  # the spare now holds a link to egen.txt too
    (site.output / "egen.txt").unlink()
    rebuild_with_a_change(site, "3\n")
    rebuild_with_a_change(site, "4\n")
    assert not (site.output / "egen.txt").exists()
    assert not (spare_of(site) / "egen.txt").exists()


def test_a_spare_that_cannot_be_trusted_is_thrown_away(site, tmp_path):
    two_articles(site)
    site.build()
    rebuild_with_a_change(site)
    (spare_of(site) / ".kommunenyt-manifest.json").write_text("{ødelagt", "utf-8")
    (spare_of(site) / "fremmed.html").write_text("rester", "utf-8")
    rebuild_with_a_change(site, "Igen.\n")
    assert snapshot(site.output) == cold(site, tmp_path / "cold")


def test_a_file_in_the_spare_where_a_folder_is_needed_is_replaced(site, tmp_path):
    two_articles(site)
    site.build()
    rebuild_with_a_change(site)
    for name in ("artikel/foerste", "emne"):  # files where the site has folders
        path = spare_of(site) / name
        path.rename(tmp_path / name.replace("/", "-"))
        path.write_text("i vejen", "utf-8")
    rebuild_with_a_change(site, "Igen.\n")
    assert snapshot(site.output) == cold(site, tmp_path / "cold")


def test_a_build_without_cache_starts_from_an_empty_folder(site, tmp_path):
    two_articles(site)
    site.build()
    rebuild_with_a_change(site)
    (spare_of(site) / "artikel/anden/index.html").unlink()
    config = load_config(site.root)
    build(config, BuildOptions(site.output, now=NOW, cache=False))
    assert snapshot(site.output) == cold(site, tmp_path / "cold")


def test_a_folder_of_the_spare_replaced_by_a_link_never_leads_a_write_outside(site, tmp_path):
    two_articles(site)
    site.build()
    rebuild_with_a_change(site)
    outside = tmp_path / "udenfor"
    outside.mkdir()
    folder = spare_of(site) / "artikel/anden"
    for child in folder.iterdir():
        child.unlink()
    folder.rmdir()
    folder.symlink_to(outside, target_is_directory=True)
    rebuild_with_a_change(site, "Igen.\n")
    assert list(outside.iterdir()) == []
    assert snapshot(site.output) == cold(site, tmp_path / "cold")
