"""A damaged or foreign build cache is discarded with a warning, never trusted."""

from __future__ import annotations

import json

import pytest

from generator.build import BuildOptions, build
from generator.cache import CACHE_DIR
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


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (damage_truncated, "damaged"),
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
