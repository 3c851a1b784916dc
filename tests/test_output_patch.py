"""Small rebuilds patch the output in place: only the changed files move, under a journal,
and a patch that was cut short is finished by the next build."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from generator import output_patch, writer
from generator.errors import SiteError
from tests.conftest import Site
from tests.test_cache_equivalence import cold, edit, warm
from tests.test_output import snapshot


def patch_dir(site: Site) -> Path:
    return site.root / ".output.kommunenyt-patch"


def beside_output(site: Site) -> list[str]:
    return sorted(p.name for p in site.root.iterdir() if p.name.startswith(".output."))


def many_articles(site: Site, count: int = 40) -> None:
    for number in range(count):
        site.article(
            f"2021/a{number}.md",
            f"title: Artikel {number}\ndate: 2021-{1 + number % 12:02d}-{1 + number % 28:02d}\n"
            f"section: {('Drift', 'Udbud', 'Sikkerhed')[number % 3]}\n"
            f"tags: [Emne {number % 11}, Emne {number % 13}]\n",
            f"Tekst {number} om kommunal it.\n\n## Mere\n\nOg mere.\n",
        )


def inodes(folder: Path) -> dict[str, int]:
    return {
        p.relative_to(folder).as_posix(): p.stat().st_ino for p in folder.rglob("*") if p.is_file()
    }


def built_then_edited(site: Site, monkeypatch) -> dict[str, str]:
    """A small site built (its output's snapshot returned), then one body edited, with every
    rebuild forced to patch."""
    many_articles(site, 6)
    warm(site)
    before = snapshot(site.output)
    monkeypatch.setattr(writer, "PATCH_SHARE", 1.0)
    edit(site.root / "content/articles/2021/a1.md", "Og mere.", "Ny tekst.")
    return before


def test_one_edited_article_is_patched_in_and_nothing_else_moves(site, tmp_path):
    many_articles(site)
    warm(site)
    before_bytes, before_inodes = snapshot(site.output), inodes(site.output)
    edit(site.root / "content/articles/2021/a3.md", "Og mere.", "Og meget mere.")
    report = warm(site)
    assert report.rendered * 20 <= report.files  # small enough to patch (writer.PATCH_SHARE)
    assert beside_output(site) == [".output.kommunenyt-lock"]  # no spare, no staging: a patch
    after_bytes, after_inodes = snapshot(site.output), inodes(site.output)
    assert after_bytes == cold(site, tmp_path / "cold")
    moved = {name for name in after_inodes if after_inodes[name] != before_inodes.get(name)}
    changed = {name for name in after_bytes if after_bytes[name] != before_bytes.get(name)}
    assert "artikel/artikel-3/index.html" in changed
    assert moved == changed  # every other file is the very file it was, the manifest too


def test_a_template_change_still_swaps_a_whole_new_folder_in(site):
    many_articles(site, 10)
    warm(site)
    site.write("templates/page.html", "{% extends 'base.html' %}{% block content %}x{% endblock %}")
    site.write(
        "templates/article.html", "{% extends 'base.html' %}{% block content %}y{% endblock %}"
    )
    warm(site)
    assert ".output.kommunenyt-spare" in beside_output(site)


def test_a_patch_leaves_the_users_files_and_a_later_swap_does_not_revive_deleted_ones(
    site, monkeypatch, tmp_path
):
    many_articles(site, 6)
    warm(site)
    (site.output / "egen.txt").write_text("min", "utf-8")
    monkeypatch.setattr(writer, "PATCH_SHARE", -1.0)
    edit(site.root / "content/articles/2021/a1.md", "Og mere.", "Udgave 1.")
    warm(site)  # swapped: the spare now holds egen.txt too
    (site.output / "egne").mkdir()
    (site.output / "egne/fil.txt").write_text("også min", "utf-8")
    monkeypatch.setattr(writer, "PATCH_SHARE", 1.0)
    edit(site.root / "content/articles/2021/a1.md", "Udgave 1.", "Udgave 2.")
    warm(site)  # patched: nothing of the user's is looked at or touched
    assert (site.output / "egne/fil.txt").read_text("utf-8") == "også min"
    (site.output / "egen.txt").unlink()
    monkeypatch.setattr(writer, "PATCH_SHARE", -1.0)
    for number in (3, 4):  # two swaps: the second starts from the patched folder
        edit(
            site.root / "content/articles/2021/a1.md", f"Udgave {number - 1}.", f"Udgave {number}."
        )
        warm(site)
    assert not (site.output / "egen.txt").exists()
    assert (site.output / "egne/fil.txt").read_text("utf-8") == "også min"
    ours = {k: v for k, v in snapshot(site.output).items() if not k.startswith("egne/")}
    assert ours == cold(site, tmp_path / "cold")


def test_a_user_file_where_a_patch_adds_a_page_stops_the_build(site, either_way):
    many_articles(site, 6)
    warm(site)
    (site.output / "artikel/helt-ny").mkdir()
    (site.output / "artikel/helt-ny/index.html").write_text("min egen side", "utf-8")
    before = snapshot(site.output)
    site.article("2022/ny.md", "title: Helt ny\ndate: 2022-01-03 10:00")
    with pytest.raises(SiteError, match="move it to content/static/"):
        warm(site)
    assert snapshot(site.output) == before
    assert beside_output(site) in (
        [".output.kommunenyt-lock"],
        [".output.kommunenyt-lock", ".output.kommunenyt-spare"],
    )


def test_a_user_link_where_a_patch_needs_a_folder_stops_the_build(site, tmp_path, either_way):
    many_articles(site, 6)
    warm(site)
    outside = tmp_path / "udenfor"
    outside.mkdir()
    (site.output / "artikel/helt-ny").symlink_to(outside, target_is_directory=True)
    site.article("2022/ny.md", "title: Helt ny\ndate: 2022-01-03 10:00")
    with pytest.raises(SiteError, match="move it to content/static/"):
        warm(site)
    assert list(outside.iterdir()) == []


def test_a_build_that_fails_before_its_patch_leaves_no_trace(site, monkeypatch):
    before = built_then_edited(site, monkeypatch)
    site.write("templates/404.html", "{% extends 'base.html' %}{% block content %}{{ x( }}")
    with pytest.raises(SiteError):
        warm(site)
    assert snapshot(site.output) == before
    assert beside_output(site) == [".output.kommunenyt-lock"]


def interrupt_after(monkeypatch, calls: int) -> None:
    """The process "dies" (KeyboardInterrupt) after `calls` files moved from the patch folder
    into the output."""
    real_replace, done = os.replace, []

    def replace(source, target, **kwargs):
        if ".kommunenyt-patch/" in os.fspath(source) and ".kommunenyt-patch/" not in os.fspath(
            target
        ):
            if len(done) == calls:
                raise KeyboardInterrupt
            done.append(source)
        return real_replace(source, target, **kwargs)

    monkeypatch.setattr(output_patch.os, "replace", replace)


@pytest.mark.parametrize("renamed", [0, 1, 3])
def test_a_patch_cut_short_after_its_journal_is_finished_by_the_next_build(
    site, monkeypatch, tmp_path, renamed
):
    built_then_edited(site, monkeypatch)
    (site.root / "content/articles/2021/a5.md").unlink()  # files to remove, too
    with monkeypatch.context() as dying:
        interrupt_after(dying, renamed)
        with pytest.raises(KeyboardInterrupt):
            warm(site)
    journal = json.loads((patch_dir(site) / output_patch.JOURNAL).read_text("utf-8"))
    assert len(journal["replace"]) > renamed and journal["remove"]
    warm(site)  # the same build again: it finishes the patch first, then finds it done
    assert snapshot(site.output) == cold(site, tmp_path / "cold")
    assert not patch_dir(site).exists()
    assert not site.exists("artikel/artikel-5/")


def test_a_patch_without_its_journal_is_dropped_and_the_output_kept(site, monkeypatch):
    before = built_then_edited(site, monkeypatch)
    with monkeypatch.context() as dying:
        dying.setattr(output_patch, "write_atomically", _die)
        with pytest.raises(KeyboardInterrupt):
            warm(site)
    assert snapshot(site.output) == before
    assert beside_output(site) == [".output.kommunenyt-lock"]  # dropped at once (no journal)


def test_a_journal_naming_paths_outside_the_output_is_not_followed(site, tmp_path):
    many_articles(site, 3)
    warm(site)
    victim = tmp_path / "offer.txt"
    victim.write_text("bliv", "utf-8")
    patch_dir(site).mkdir()
    (patch_dir(site) / "x").write_text("ondt", "utf-8")
    journal = {"replace": ["../offer.txt"], "remove": ["../offer.txt"], "files": []}
    (patch_dir(site) / output_patch.JOURNAL).write_text(json.dumps(journal), "utf-8")
    edit(site.root / "content/articles/2021/a1.md", "Og mere.", "Ny tekst.")
    warm(site)
    assert victim.read_text("utf-8") == "bliv"
    assert snapshot(site.output) == cold(site, tmp_path / "cold")
    assert not patch_dir(site).exists()


def _die(*_args, **_kwargs):
    raise KeyboardInterrupt


def test_a_manifest_naming_paths_outside_the_output_deletes_nothing_there(
    site, monkeypatch, tmp_path
):
    many_articles(site, 3)
    warm(site)
    victim = site.root / "offer.txt"
    victim.write_text("bliv", "utf-8")
    manifest_path = site.output / ".kommunenyt-manifest.json"
    manifest = json.loads(manifest_path.read_text("utf-8"))
    manifest["files"].append("../offer.txt")
    manifest_path.write_text(json.dumps(manifest), "utf-8")
    monkeypatch.setattr(writer, "PATCH_SHARE", 1.0)
    edit(site.root / "content/articles/2021/a1.md", "Og mere.", "Ny tekst.")
    warm(site)
    assert victim.read_text("utf-8") == "bliv"
    assert snapshot(site.output) == cold(site, tmp_path / "cold")


def test_a_patch_that_adds_and_removes_no_file_leaves_the_manifest_alone(site):
    many_articles(site)
    warm(site, search=False)  # no search index, whose file names change with every page
    manifest = site.output / ".kommunenyt-manifest.json"
    before = manifest.stat()
    edit(site.root / "content/articles/2021/a3.md", "Og mere.", "Og meget mere.")
    report = warm(site, search=False)
    assert report.changed > 0
    after = manifest.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
