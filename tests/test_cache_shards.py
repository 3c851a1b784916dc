"""The build cache's index in shards: a save writes only the shards whose content changed,
then the index, then deletes the shards no index names; an interrupted save leaves the
previous cache whole, and two processes saving one after the other leave a whole cache."""

from __future__ import annotations

import dataclasses
import fcntl
import json
import os
import threading

import pytest

from generator import cache as cache_module
from generator.cache import (
    CACHE_DIR,
    SHARDS,
    BuildCache,
    CacheIndex,
    OutputRecord,
    code_version,
    shard_of,
)
from tests.test_cache_corrupt import build_warm, cold_without_search
from tests.test_cache_equivalence import edit, make_site
from tests.test_output import snapshot


def shard_names(root) -> dict[str, list[str]]:
    """index.json's list of shards of each big mapping."""
    payload = (root / CACHE_DIR / "build/index.json").read_bytes().partition(b"\n")[2]
    return json.loads(payload)["shards"]


def shard_files(root) -> set[str]:
    return {path.name for path in (root / CACHE_DIR / "build/shards").iterdir()}


def named_files(root) -> set[str]:
    return {f"{name}.json" for names in shard_names(root).values() for name in names}


def test_a_one_article_edit_rewrites_only_the_shards_that_changed(site):
    make_site(site)
    build_warm(site)
    folder = site.root / CACHE_DIR / "build/shards"
    before = shard_names(site.root)
    contents = {path.stem: json.loads(path.read_bytes()) for path in folder.iterdir()}
    written = {
        path.name: (path.stat().st_ino, path.stat().st_mtime_ns) for path in folder.iterdir()
    }
    edit(site.root / "content/articles/2021/a3.md", "Og mere.", "Og meget mere.")
    assert build_warm(site).rendered > 0
    after = shard_names(site.root)
    changed = {
        kind: [n for n in range(SHARDS) if after[kind][n] != before[kind][n]] for kind in after
    }
    assert changed["sources"] == [shard_of("content/articles/2021/a3.md")]
    assert changed["related"] == []  # a body edit changes no article's related articles
    assert changed["outputs"]  # the article's page, rendered again, has a new record
    for kind, numbers in changed.items():
        for number in numbers:  # a shard named anew holds other records, not the same ones
            new = json.loads((folder / f"{after[kind][number]}.json").read_bytes())
            assert new != contents[before[kind][number]], (kind, number)
    for name in named_files(site.root) & written.keys():  # kept: not written again
        stat = (folder / name).stat()
        assert (stat.st_ino, stat.st_mtime_ns) == written[name], name
    assert shard_files(site.root) == named_files(site.root)  # the replaced shards are gone


def an_index(records: int = 1000) -> CacheIndex:
    """Enough records that every shard holds some."""
    return CacheIndex(
        settings="settings",
        sources={f"content/articles/a{n}.md": {"digest": f"{n:032x}"} for n in range(records)},
        outputs={
            f"artikel/a{n}/index.html": OutputRecord(f"s{n}", f"d{n}", n, n) for n in range(records)
        },
        related={f"a{n}": [f"a{n + 1}", f"a{n + 2}"] for n in range(records)},
    )


def in_other_shards(keys, count: int) -> list[str]:
    chosen: dict[int, str] = {}
    for key in keys:
        chosen.setdefault(shard_of(key), key)
    return list(chosen.values())[:count]


def loaded(root) -> BuildCache:
    cache = BuildCache(root, "test")
    cache.load("settings")
    assert cache.warnings == []
    return cache


def test_saving_one_changed_source_and_two_changed_outputs_writes_three_shards_and_the_index(
    tmp_path, monkeypatch
):
    BuildCache(tmp_path, "test").save(an_index())
    assert len(shard_files(tmp_path)) == 3 * SHARDS
    cache = loaded(tmp_path)
    source = "content/articles/a7.md"
    targets = in_other_shards(cache.index.outputs, 2)
    outputs = dict(cache.index.outputs)
    for target in targets:
        outputs[target] = dataclasses.replace(outputs[target], mtime_ns=-1)
    changed = dataclasses.replace(
        cache.index,
        sources={**cache.index.sources, source: {"digest": "ny"}},
        outputs=outputs,
    )
    write = cache_module.write_atomically
    written = []
    monkeypatch.setattr(
        cache_module,
        "write_atomically",
        lambda path, data: (written.append(path.name), write(path, data)),
    )
    cache.save(changed)
    names = shard_names(tmp_path)
    assert sorted(written) == sorted(
        [
            f"{names['sources'][shard_of(source)]}.json",
            *(f"{names['outputs'][shard_of(target)]}.json" for target in targets),
            "index.json",
        ]
    )
    assert shard_files(tmp_path) == named_files(tmp_path)  # the three replaced shards are gone
    assert loaded(tmp_path).index == changed


class Killed(Exception):
    """The process dies here."""


def test_a_save_interrupted_before_the_index_leaves_the_previous_cache_whole(
    site, tmp_path, monkeypatch
):
    make_site(site)
    build_warm(site)
    folder = site.root / CACHE_DIR / "build"
    index = (folder / "index.json").read_bytes()
    shards = {path.name: path.read_bytes() for path in (folder / "shards").iterdir()}
    edit(site.root / "content/articles/2021/a3.md", "Og mere.", "Og meget mere.")

    def killed(*args):
        raise Killed

    with monkeypatch.context() as patched:
        patched.setattr(cache_module, "_write_index", killed)
        with pytest.raises(Killed):
            build_warm(site)
    assert (folder / "index.json").read_bytes() == index
    now = {path.name: path.read_bytes() for path in (folder / "shards").iterdir()}
    assert now.items() >= shards.items()  # every shard of the index, unchanged
    assert len(now) > len(shards)  # beside the new shards, written before the index
    cache = BuildCache(site.root, code_version())
    cache.load("")
    assert cache.warnings == [] and len(cache.loaded.sources) == 9
    report = build_warm(site)
    assert report.warnings == [] and report.rendered > 0
    assert snapshot(site.output) == cold_without_search(site, tmp_path)
    assert shard_files(site.root) == named_files(site.root)  # the orphans are gone


def test_two_caches_loaded_together_and_saved_one_after_the_other_leave_a_whole_cache(tmp_path):
    BuildCache(tmp_path, "test").save(an_index())
    first, second = loaded(tmp_path), loaded(tmp_path)  # a preview and a build, say
    one, other = in_other_shards(first.index.sources, 2)
    first.save(dataclasses.replace(first.index, sources={**first.index.sources, one: {"n": 1}}))
    # The second still holds the shard of `one` as it was loaded, whose file the first deleted.
    second.save(
        dataclasses.replace(second.index, sources={**second.index.sources, other: {"n": 2}})
    )
    sources = loaded(tmp_path).index.sources
    assert sources[other] == {"n": 2} and sources[one] == an_index().sources[one]


def test_a_save_waits_while_another_process_loads_or_saves(tmp_path):
    lock = tmp_path / CACHE_DIR / "build.lock"
    lock.parent.mkdir(parents=True)
    handle = os.open(lock, os.O_CREAT | os.O_RDWR)
    fcntl.flock(handle, fcntl.LOCK_EX)  # a separate open file: as another process holds it
    saved = threading.Event()

    def save():
        BuildCache(tmp_path, "test").save(an_index(10))
        saved.set()

    thread = threading.Thread(target=save, daemon=True)
    thread.start()
    try:
        assert not saved.wait(0.5)
        assert not (tmp_path / CACHE_DIR / "build/index.json").exists()
    finally:
        os.close(handle)
    assert saved.wait(10)
    assert loaded(tmp_path).index == an_index(10)
