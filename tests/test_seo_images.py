"""Responsive images: smaller sizes and WebP made with Pillow, width and height set, lazy below the fold."""

from __future__ import annotations

import io
import re

from PIL import Image

from tests.conftest import THEME_ARTICLE


def jpeg(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (30, 90, 160)).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def test_every_size_and_a_webp_copy_are_made_and_never_wider_than_the_original(theme_site):
    folder = theme_site.output / "static/billeder"
    expected = {
        "datacenter.jpg": (1200, 675),
        "datacenter-480w.jpg": (480, 270),
        "datacenter-800w.jpg": (800, 450),
        "datacenter.webp": (1200, 675),
        "datacenter-480w.webp": (480, 270),
        "datacenter-800w.webp": (800, 450),
    }
    assert {p.name for p in folder.iterdir()} == set(expected)
    for name, size in expected.items():
        with Image.open(folder / name) as image:
            assert image.size == size, name
            assert image.format == ("WEBP" if name.endswith(".webp") else "JPEG")
    original = theme_site.root / "content/static/billeder/datacenter.jpg"
    assert (folder / "datacenter.jpg").read_bytes() == original.read_bytes()


def test_hero_image_is_a_picture_with_srcset_size_and_high_priority(theme_site):
    html = theme_site.read(THEME_ARTICLE)
    figure = html[html.index('<figure class="article__image">') : html.index("</figure>")]
    assert (
        '<source type="image/webp" srcset="/static/billeder/datacenter-480w.webp 480w, ' in figure
    )
    assert (
        'srcset="/static/billeder/datacenter-480w.jpg 480w, /static/billeder/datacenter-800w.jpg 800w, /static/billeder/datacenter.jpg 1200w"'
        in figure
    )
    assert 'width="1200" height="675"' in figure
    assert 'fetchpriority="high"' in figure and "loading=" not in figure


def test_body_images_and_banners_are_lazy_with_their_size_set(theme_site):
    html = theme_site.read(THEME_ARTICLE)
    body = html[html.index('<div class="article__body">') :]
    (tag,) = re.findall(r"<img [^>]*alt=\"Serverskabe[^>]*>", body)
    assert 'loading="lazy"' in tag and 'width="1200" height="675"' in tag
    assert 'srcset="/static/billeder/datacenter-480w.jpg 480w' in tag
    banner = html[html.index('<aside class="banner"') :]
    banner = banner[: banner.index("</aside>")]
    assert 'loading="lazy"' in banner and 'width="728" height="90"' in banner
    assert "kommunal-it-konference.webp" in banner


def test_front_page_lead_image_loads_first(theme_site):
    html = theme_site.read("")
    large = html[html.index("card--large") :]
    large = large[: large.index("</article>")]
    assert 'fetchpriority="high"' in large and "loading=" not in large
    assert 'class="card__image"' in large


def test_images_are_encoded_once_and_reused_from_the_cache(site):
    site.write("content/static/foto.jpg", jpeg(2000, 1000))
    site.article(
        "a.md",
        "title: Foto\ndate: 2024-03-01\nimage: static/foto.jpg\nimage_alt: En blå flade",
    )
    site.build()
    cache = site.root / ".kommunenyt-cache/images"
    made = {p: p.stat().st_mtime_ns for p in cache.iterdir()}
    assert len(made) == 9  # 480, 800, 1200, 1600 in JPEG and WebP, and a full-size WebP
    site.build()
    assert {p: p.stat().st_mtime_ns for p in cache.iterdir()} == made
    with Image.open(site.output / "static/foto-1600w.jpg") as image:
        assert image.size == (1600, 800)
    site.write("content/static/foto.jpg", jpeg(1000, 500))
    site.build()
    assert not any(p in made for p in cache.iterdir()), "stale sizes are removed from the cache"
    assert not (site.output / "static/foto-1600w.jpg").exists()


def test_a_broken_image_is_copied_with_a_warning_instead_of_stopping_the_build(site):
    site.write("content/static/i-stykker.jpg", b"\xff\xd8\xffikke et billede")
    site.article("a.md", "title: A\ndate: 2024-03-01")
    report = site.build()
    assert [str(w.path).endswith("i-stykker.jpg") for w in report.warnings] == [True]
    assert "cannot be read" in report.warnings[0].message
    assert (site.output / "static/i-stykker.jpg").read_bytes() == b"\xff\xd8\xffikke et billede"
