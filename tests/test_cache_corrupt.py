"""A damaged or foreign build cache is discarded with a warning, never trusted."""

from __future__ import annotations

import json

import pytest

from generator.build import BuildOptions, build
from generator.cache import CACHE_DIR, digest, shard_of
from generator.config import load_config
from tests.conftest import NOW
from tests.test_cache_equivalence import make_site
from tests.test_output import snapshot


def build_warm(site):
    return build(load_config(site.root), BuildOptions(site.output, now=NOW, search=False))


def damage_truncated(index):
    index.write_bytes(index.read_bytes()[: index.stat().st_size // 2])


def damage_garbage(index):
    index.write_bytes(b"\x00\xff garbage \x13" * 100)


def damage_other_version(index):
    head, _, payload = index.read_bytes().partition(b"\n")
    header = json.loads(head)
    header["version"] = "0.0.1+gammel"
    index.write_bytes(json.dumps(header).encode() + b"\n" + payload)


def damage_one_changed_byte(index):
    data = bytearray(index.read_bytes())
    data[-5] = ord("x") if data[-5] != ord("x") else ord("y")
    index.write_bytes(bytes(data))


def damage_other_site(index):
    head, _, payload = index.read_bytes().partition(b"\n")
    header = json.loads(head)
    header["site"] = "/et/andet/site"
    index.write_bytes(json.dumps(header).encode() + b"\n" + payload)


def damage_shards_swapped(index):
    """Two shards of the sources, both intact, named in each other's place: only the index's
    own checksum tells."""
    head, _, payload = index.read_bytes().partition(b"\n")
    data = json.loads(payload)
    names = data["shards"]["sources"]
    first, second = sorted({names.index(name) for name in names})[:2]
    names[first], names[second] = names[second], names[first]
    index.write_bytes(head + b"\n" + json.dumps(data).encode())


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (damage_truncated, "damaged"),
        (damage_shards_swapped, "damaged (truncated or changed)"),
        (damage_garbage, "not a kommunenyt cache"),
        (damage_other_version, "another version (0.0.1+gammel)"),
        (damage_one_changed_byte, "damaged"),
        (damage_other_site, "another site folder"),
    ],
)
def test_a_bad_cache_index_is_discarded_with_a_warning(site, tmp_path, damage, reason):
    make_site(site)
    build_warm(site)
    # A change the damaged cache would hide if it were trusted:
    path = site.root / "content/articles/2021/a2.md"
    path.write_text(path.read_text("utf-8").replace("Tekst 2", "Ændret tekst 2"), "utf-8")
    damage(site.root / CACHE_DIR / "build/index.json")
    report = build_warm(site)
    messages = [str(w) for w in report.warnings]
    assert len(messages) == 1 and reason in messages[0], messages
    assert "the build cache was not used" in messages[0]
    assert report.rendered > 0
    assert snapshot(site.output) == cold_without_search(site, tmp_path)
    assert build_warm(site).warnings == []  # a new, good cache was written


EDITED = "content/articles/2021/a2.md"


def shard_of_the_edited_article(site):
    """The file holding the cache record of the article the test edits."""
    payload = (site.root / CACHE_DIR / "build/index.json").read_bytes().partition(b"\n")[2]
    name = json.loads(payload)["shards"]["sources"][shard_of(EDITED)]
    return site.root / CACHE_DIR / "build/shards" / f"{name}.json"


def damage_shard_deleted(site):
    shard_of_the_edited_article(site).unlink()


def damage_shard_truncated(site):
    shard = shard_of_the_edited_article(site)
    shard.write_bytes(shard.read_bytes()[: shard.stat().st_size // 2])


def damage_shard_one_changed_byte(site):
    shard = shard_of_the_edited_article(site)
    shard.write_bytes(shard.read_bytes().replace(b'"digest":"', b'"digest":"0', 1))


def damage_shard_of_another_shape(site):
    """A list where a mapping belongs, named by its own digest and listed in an index whose
    checksum is right: only the shape is wrong."""
    shard = shard_of_the_edited_article(site)
    raw = json.dumps([["content/articles/2021/a2.md", {"digest": "0" * 32}]]).encode()
    shard.with_name(f"{digest(raw)}.json").write_bytes(raw)
    index = site.root / CACHE_DIR / "build/index.json"
    head, _, payload = index.read_bytes().partition(b"\n")
    payload = payload.replace(shard.stem.encode(), digest(raw).encode())
    header = {**json.loads(head), "checksum": digest(payload)}
    index.write_bytes(json.dumps(header).encode() + b"\n" + payload)


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (damage_shard_deleted, ".json is missing"),
        (damage_shard_truncated, ".json is truncated or changed"),
        (damage_shard_one_changed_byte, ".json is truncated or changed"),
        (damage_shard_of_another_shape, ".json holds no sources"),
    ],
)
def test_a_bad_shard_of_the_cache_index_discards_the_whole_cache_with_a_warning(
    site, tmp_path, damage, reason
):
    make_site(site)
    build_warm(site)
    path = site.root / EDITED
    path.write_text(path.read_text("utf-8").replace("Tekst 2", "Ændret tekst 2"), "utf-8")
    damage(site)
    report = build_warm(site)
    messages = [str(w) for w in report.warnings]
    assert len(messages) == 1 and reason in messages[0], messages
    assert "the build cache was not used: it is damaged (shards/" in messages[0]
    assert report.rendered == report.files  # nothing of the cache was trusted
    assert snapshot(site.output) == cold_without_search(site, tmp_path)
    assert build_warm(site).warnings == []  # a new, good cache was written


def test_damaged_bodies_in_the_cache_are_rendered_again(site, tmp_path):
    make_site(site)
    build_warm(site)
    for body in (site.root / CACHE_DIR / "build/bodies").rglob("*.json"):
        body.write_text(body.read_text("utf-8").replace("Tekst", "Forfalsket"), "utf-8")
    # One new article: every feed and the page are rendered again with the cached bodies.
    site.article("2022/ny.md", "title: Ny\ndate: 2022-01-03 10:00\ntags: [Cloud, KL]", "Ny.\n")
    build_warm(site)
    html = "".join(p.read_text("utf-8") for p in site.output.rglob("*.[hx]*ml"))
    assert "Forfalsket" not in html
    assert snapshot(site.output) == cold_without_search(site, tmp_path)


def cold_without_search(site, tmp_path):
    folder = tmp_path / "cold"
    build(load_config(site.root), BuildOptions(folder, now=NOW, search=False, cache=False))
    return snapshot(folder)
