"""Partial rebuilds in memory: only what a change affects is rendered, and the result is
always the same as a full build of the same sources."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from generator.build import BuildOptions, build
from generator.changes import Changes, classify
from generator.config import load_config
from generator.incremental import IncrementalSite
from generator.markdown_render import MarkdownRenderer
from generator.watch import Debouncer, SiteWatcher
from tests.conftest import NOW, Site


def make_site(site: Site) -> None:
    for number in range(1, 8):
        site.article(
            f"2021/a{number}.md",
            f"title: Artikel {number}\ndate: 2021-06-{number:02d} 09:00\n"
            f"section: {'Drift' if number % 2 else 'Udbud'}\ntags: [Cloud, KL]\n",
            f"Tekst {number} med et [link](a1.md).\n",
        )
    site.page("om", "Om os")


def preview_of(site: Site) -> IncrementalSite:
    preview = IncrementalSite(site.root, include_drafts=False, now=NOW)
    assert preview.rebuild().error is None
    return preview


def same_as_full_build(site: Site, preview: IncrementalSite, tmp: Path, cache: bool = True) -> None:
    output = tmp / "full"
    build(load_config(site.root), BuildOptions(output, now=NOW, search=False, cache=cache))
    built = {
        p.relative_to(output).as_posix(): p.read_bytes()
        for p in output.rglob("*")
        if p.is_file() and not p.name.startswith(".")
    }
    assert set(preview.outputs) == set(built)
    different = [key for key in built if built[key] != preview.outputs[key]]
    assert different == []


def change(site: Site, preview: IncrementalSite, *paths: Path):
    result = preview.rebuild(Changes(frozenset(site.root / p for p in paths)))
    assert result.error is None, result.error
    return result


def test_a_body_edit_renders_only_its_page_and_the_feeds_carrying_it(site, tmp_path):
    make_site(site)
    preview = preview_of(site)
    site.article(
        "2021/a3.md",
        "title: Artikel 3\ndate: 2021-06-03 09:00\nsection: Drift\ntags: [Cloud, KL]\n",
        "Ny tekst.\n",
    )
    result = change(site, preview, "content/articles/2021/a3.md")
    pages = {c for c in result.changed if c.endswith(".html")}
    assert pages == {"artikel/artikel-3/index.html"}
    assert "feed.xml" in result.changed and "sektion/drift/feed.xml" in result.changed
    assert "sektion/udbud/feed.xml" not in result.changed
    same_as_full_build(site, preview, tmp_path)


def test_a_body_edit_skips_the_passes_over_the_whole_site_and_stays_right(site, tmp_path):
    make_site(site)
    preview = preview_of(site)
    a3 = "title: Artikel 3\ndate: 2021-06-03 09:00\nsection: Drift\ntags: [Cloud, KL]\n"
    site.article("2021/a3.md", a3, "Tekst 3 med et [link](a1.md).\n\n## Nyt afsnit\n\nMere.\n")
    result = change(site, preview, "content/articles/2021/a3.md")
    assert set(result.timings) == {"body edit"}  # no validation, library or plan pass
    assert "Nyt afsnit" in preview.outputs["artikel/artikel-3/index.html"].decode()
    assert "Nyt afsnit" in preview.outputs["emne/kl/feed.xml"].decode()
    same_as_full_build(site, preview, tmp_path / "1")
    # A full rebuild after body edits starts from what the edits left behind.
    site.article("2021/a5.md", a3.replace("Artikel 3", "Ny titel"), "Tekst 5.\n")
    assert "library" in change(site, preview, "content/articles/2021/a5.md").timings
    same_as_full_build(site, preview, tmp_path / "2")
    site.article("2021/a3.md", a3, "Tekst 3 igen.\n")
    assert set(change(site, preview, "content/articles/2021/a3.md").timings) == {"body edit"}
    same_as_full_build(site, preview, tmp_path / "3")


def test_a_body_edit_hands_over_its_page_before_the_feeds_are_rendered(site, tmp_path):
    make_site(site)
    preview = preview_of(site)
    seen = []

    def early(generation, changed):
        outputs = preview.outputs
        seen.append(
            (generation, changed, outputs["artikel/artikel-3/index.html"], outputs["feed.xml"])
        )

    old_feed = preview.outputs["feed.xml"]
    a3 = "title: Artikel 3\ndate: 2021-06-03 09:00\nsection: Drift\ntags: [Cloud, KL]\n"
    path = site.article("2021/a3.md", a3, "Helt ny tekst.\n")
    result = preview.rebuild(Changes(frozenset({path})), early)
    [(generation, changed, page, feed)] = seen
    assert changed == {"artikel/artikel-3/index.html"} and b"Helt ny tekst" in page
    assert feed == old_feed  # not rendered yet
    assert result.generation == generation and "feed.xml" in result.changed  # one rebuild
    assert b"Helt ny tekst" in preview.outputs["feed.xml"]
    same_as_full_build(site, preview, tmp_path)
    seen.clear()  # a title edit has no such early part: lists and feeds change together
    path = site.article("2021/a3.md", a3.replace("Artikel 3", "Ny titel"), "Tekst.\n")
    assert preview.rebuild(Changes(frozenset({path})), early).error is None and seen == []


def test_a_body_edit_that_breaks_a_link_is_reported_and_recovers(site, tmp_path):
    make_site(site)
    preview = preview_of(site)
    a3 = "title: Artikel 3\ndate: 2021-06-03 09:00\nsection: Drift\ntags: [Cloud, KL]\n"
    good = dict(preview.outputs)
    site.article("2021/a3.md", a3, "Tekst.\n\nSe [denne](findes-ikke.md).\n")
    path = site.root / "content/articles/2021/a3.md"
    result = preview.rebuild(Changes(frozenset({path})))
    assert result.error is not None and "library" not in result.timings
    problem = result.error.problems[0]
    assert str(problem.path) == "content/articles/2021/a3.md" and problem.line == 10
    assert "findes-ikke.md" in problem.message and dict(preview.outputs) == good
    site.article("2021/a3.md", a3, "Tekst.\n\nSe [denne](a1.md).\n")
    assert change(site, preview, "content/articles/2021/a3.md").error is None
    same_as_full_build(site, preview, tmp_path)


def test_a_title_edit_also_updates_lists_neighbours_and_related(site, tmp_path):
    make_site(site)
    preview = preview_of(site)
    site.article(
        "2021/a3.md",
        "title: Ny overskrift\ndate: 2021-06-03 09:00\nsection: Drift\ntags: [Cloud, KL]\n",
        "Tekst 3 med et [link](a1.md).\n",
    )
    result = change(site, preview, "content/articles/2021/a3.md")
    assert "library" in result.timings  # front matter changed: the full rebuild
    assert "index.html" in result.changed  # the front page lists it
    assert "artikel/artikel-4/index.html" in result.changed  # its newer neighbour links it
    assert "artikel/ny-overskrift/index.html" in result.changed
    assert "artikel/artikel-3/index.html" not in preview.outputs
    same_as_full_build(site, preview, tmp_path)


def test_renaming_a_linked_article_re_renders_the_bodies_linking_to_it(site, tmp_path):
    make_site(site)
    preview = preview_of(site)
    site.article("2021/a1.md", "title: Omdøbt\ndate: 2021-06-01 09:00\nsection: Drift\n")
    result = change(site, preview, "content/articles/2021/a1.md")
    assert "artikel/artikel-5/index.html" in result.changed  # its body links to a1.md
    assert 'href="/artikel/omdoebt/"' in preview.outputs["artikel/artikel-5/index.html"].decode()
    same_as_full_build(site, preview, tmp_path)


def test_adding_deleting_and_config_changes_match_a_full_build(site, tmp_path):
    make_site(site)
    preview = preview_of(site)
    added = site.article("2022/ny.md", "title: Ny\ndate: 2022-01-01 10:00\ntags: [KL]\n")
    change(site, preview, "content/articles/2022/ny.md")
    same_as_full_build(site, preview, tmp_path / "1")
    (site.root / "content/articles/2021/a2.md").unlink()
    change(site, preview, "content/articles/2021/a2.md")
    same_as_full_build(site, preview, tmp_path / "2")
    site.config(site_extra="page_size = 2\n")
    change(site, preview, "site.toml")
    same_as_full_build(site, preview, tmp_path / "3")
    added.unlink()
    (site.root / "content/articles/2022").rmdir()
    change(site, preview, "content/articles/2022")  # a folder event alone is enough
    same_as_full_build(site, preview, tmp_path / "4")


def count_markdown(monkeypatch) -> list[str]:
    """Every Markdown body rendered from now on (small sites render in this process)."""
    rendered: list[str] = []
    original = MarkdownRenderer.render

    def counting(self, text, context):
        rendered.append(text)
        return original(self, text, context)

    monkeypatch.setattr(MarkdownRenderer, "render", counting)
    return rendered


def test_a_preview_on_a_warm_build_cache_renders_no_markdown_and_matches_a_cold_build(
    site, tmp_path, monkeypatch
):
    make_site(site)
    site.build()
    rendered = count_markdown(monkeypatch)
    preview = preview_of(site)
    assert rendered == [] and preview.bodies_rendered_at_start == 0
    same_as_full_build(site, preview, tmp_path, cache=False)
    site.article(  # bodies of the cache are read again from disk when a link target changes
        "2021/a1.md", "title: Omdøbt\ndate: 2021-06-01 09:00\nsection: Drift\n"
    )
    change(site, preview, "content/articles/2021/a1.md")
    assert 'href="/artikel/omdoebt/"' in preview.outputs["artikel/artikel-5/index.html"].decode()
    same_as_full_build(site, preview, tmp_path / "2", cache=False)


def test_a_preview_saves_its_bodies_for_the_next_preview_and_keeps_the_builds_reuse(
    site, tmp_path, monkeypatch
):
    make_site(site)
    site.article("2021/kladde.md", "title: Kladde\ndate: 2021-07-01 10:00\ndraft: true\n")
    first = IncrementalSite(site.root, now=NOW)  # drafts shown: a body the build has not
    assert first.rebuild().error is None and first.bodies_rendered_at_start == 9
    rendered = count_markdown(monkeypatch)
    again = IncrementalSite(site.root, now=NOW)
    assert again.rebuild().error is None and rendered == []
    assert site.build().rendered > 0  # a build cannot use a preview's front matter (base_url)
    rendered.clear()
    with_draft = IncrementalSite(site.root, now=NOW)
    assert with_draft.rebuild().error is None and with_draft.bodies_rendered_at_start == 1
    assert len(rendered) == 1  # the draft's body: the build does not render drafts
    last = IncrementalSite(site.root, now=NOW)
    assert last.rebuild().error is None and last.bodies_rendered_at_start == 0
    assert site.build().rendered == 0  # the build's own records survived the preview's save


def test_a_preview_on_a_damaged_cache_warns_renders_again_and_matches_a_cold_build(
    site, tmp_path, monkeypatch
):
    make_site(site)
    site.build()
    cache = site.root / ".kommunenyt-cache/build"
    body = next((cache / "bodies").rglob("*.json"))
    body.write_text("{not json")
    rendered = count_markdown(monkeypatch)
    preview = preview_of(site)
    assert len(rendered) == 1  # the damaged body only
    same_as_full_build(site, preview, tmp_path / "1", cache=False)
    (cache / "index.json").write_bytes(b"garbage\n{}")
    rendered.clear()
    preview = preview_of(site)
    assert len(rendered) == 8
    assert any("the build cache was not used" in str(w) for w in preview.warnings)
    same_as_full_build(site, preview, tmp_path / "2", cache=False)


def test_a_failed_rebuild_keeps_the_last_good_site(site):
    make_site(site)
    preview = preview_of(site)
    good = dict(preview.outputs)
    site.write("content/articles/2021/a1.md", "---\ntitle: x\ndate: 2021-02-30\n---\n")
    result = preview.rebuild(Changes(frozenset({site.root / "content/articles/2021/a1.md"})))
    assert result.error is not None
    problem = result.error.problems[0]
    assert str(problem.path) == "content/articles/2021/a1.md" and problem.line == 3
    assert dict(preview.outputs) == good


def test_changes_are_sorted_by_kind(tmp_path):
    root = tmp_path
    assert classify(root, root / "site.toml") == "config"
    assert classify(root, root / "content/articles/2021/x.md") == "article"
    assert classify(root, root / "content/pages/om.md") == "page"
    assert classify(root, root / "content/authors.yaml") == "authors"
    assert classify(root, root / "content/static/billede.jpg") == "static"
    assert classify(root, root / "templates/base.html") == "template"
    assert classify(root, root / "templates/assets/x.css") == "static"
    assert classify(root, root / "content/articles/2021/.x.md.swp") is None
    assert classify(root, root / "content/articles/2021/x.md~") is None
    assert classify(root, root / "output/index.html") is None


def test_the_debouncer_turns_a_burst_into_one_batch():
    batches: list[frozenset[Path]] = []
    done = threading.Event()

    def flush(paths: frozenset[Path]) -> None:
        batches.append(paths)
        done.set()

    debouncer = Debouncer(flush, quiet=0.2, longest=5)
    debouncer.start()
    try:
        for number in range(50):
            debouncer.add(Path(f"/x/{number}.md"))
            time.sleep(0.002)
        assert done.wait(5)
        time.sleep(0.4)
        assert len(batches) == 1 and len(batches[0]) == 50
    finally:
        debouncer.stop()


def _first_batch_after(debouncer: Debouncer, add, done: threading.Event) -> float:
    start = time.monotonic()
    add()
    assert done.wait(5)
    return time.monotonic() - start


def test_a_file_whose_writing_is_over_is_handed_over_without_the_full_quiet_period():
    batches: list[frozenset[Path]] = []
    done = threading.Event()

    def flush(paths: frozenset[Path]) -> None:
        batches.append(paths)
        done.set()

    debouncer = Debouncer(flush, quiet=1.0, longest=5, settled_quiet=0.02)
    debouncer.start()
    try:
        saved = _first_batch_after(
            debouncer, lambda: debouncer.add(Path("/x/a.md"), settled=True), done
        )
        assert saved < 0.5
        done.clear()
        still_writing = _first_batch_after(debouncer, lambda: debouncer.add(Path("/x/b.md")), done)
        assert still_writing >= 0.95
        done.clear()

        def one_written_one_not() -> None:
            debouncer.add(Path("/x/c.md"), settled=True)
            debouncer.add(Path("/x/d.md"))

        assert _first_batch_after(debouncer, one_written_one_not, done) >= 0.95
        assert batches == [
            frozenset({Path("/x/a.md")}),
            frozenset({Path("/x/b.md")}),
            frozenset({Path("/x/c.md"), Path("/x/d.md")}),
        ]
    finally:
        debouncer.stop()


def test_the_watcher_sees_an_ordinary_save_end_and_rebuilds_before_the_quiet_period(site):
    """A save by open–write–close: watchdog reports the close, so the long wait is skipped."""
    make_site(site)
    article = site.root / "content" / "articles" / "2021" / "a1.md"
    seen: list[Changes] = []
    done = threading.Event()

    def on_changes(changes: Changes) -> None:
        seen.append(changes)
        done.set()

    watcher = SiteWatcher(site.root, on_changes, quiet=3.0, longest=10)
    watcher.start()
    try:
        time.sleep(0.2)  # let inotify settle
        start = time.monotonic()
        with article.open("a", encoding="utf-8") as out:
            out.write("\nEn rettelse.\n")
        assert done.wait(10)
        assert time.monotonic() - start < 1.5
        assert article.resolve() in {p.resolve() for c in seen for p in c.paths}
    finally:
        watcher.stop()
