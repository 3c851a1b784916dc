"""Responsive images with Pillow: smaller sizes for `srcset` and WebP copies beside the original.

Every JPEG or PNG under content/static/ gets resized copies (never wider than the
original) in its own format and in WebP, plus a full-size WebP. Templates ask for an
image's `ResponsiveImage` to write width, height, srcset and a <picture> with a WebP
source, so the browser reserves the space (no layout shift) and picks the smallest file.
Encoding is slow, so results are cached by content hash in the site's .kommunenyt-cache/.
"""

from __future__ import annotations

import hashlib
import html
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from generator.errors import Problem, SiteError

if TYPE_CHECKING:
    from PIL import Image

WIDTHS = (480, 800, 1200, 1600)
JPEG_QUALITY = 82
WEBP_QUALITY = 78
CACHE_VERSION = "1"  # bump when the encoding settings change
SOURCE_FORMATS = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG"}
_EXTENSIONS = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp"}


@dataclass(frozen=True)
class Variant:
    url: str  # site-relative
    width: int
    height: int


@dataclass(frozen=True)
class ResponsiveImage:
    """One source image and the files made from it, smallest first."""

    url: str  # the original, site-relative ("static/billeder/x.jpg")
    width: int
    height: int
    mime: str  # of the original ("image/jpeg")
    sizes: tuple[Variant, ...]  # same format as the original, including the original
    webp: tuple[Variant, ...]  # WebP copies, including a full-size one

    def largest(self, max_width: int = 1200) -> Variant:
        """The biggest same-format file not wider than `max_width` (for og:image)."""
        fitting = [v for v in self.sizes if v.width <= max_width]
        return fitting[-1] if fitting else self.sizes[0]


@dataclass(frozen=True)
class ImageSet:
    """The build's images by site-relative URL, and the generated files to copy."""

    images: Mapping[str, ResponsiveImage]
    files: tuple[tuple[str, Path], ...]  # (site-relative URL, cached file)
    warnings: tuple[Problem, ...] = ()  # images that could not be read (copied as they are)

    def get(self, url: str | None) -> ResponsiveImage | None:
        return self.images.get((url or "").lstrip("/")) if url else None


def prepare_images(static_files: Sequence[tuple[str, Path]], cache_dir: Path) -> ImageSet:
    """Make (or reuse from the cache) every size of every JPEG and PNG in static_files."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    images: dict[str, ResponsiveImage] = {}
    files: list[tuple[str, Path]] = []
    used: set[Path] = set()
    warnings: list[Problem] = []
    for url, path in static_files:
        source_format = SOURCE_FORMATS.get(path.suffix.lower())
        if source_format is None:
            continue
        try:
            image, made = _prepare_one(url, path, source_format, cache_dir)
        except SiteError as exc:
            warnings.extend(exc.problems)
            continue
        images[url] = image
        files.extend(made)
        used.update(p for _, p in made)
    for stale in cache_dir.glob("*"):
        if stale.is_file() and stale not in used and not stale.name.startswith("."):
            stale.unlink(missing_ok=True)
    return ImageSet(images, tuple(files), tuple(warnings))


def _prepare_one(
    url: str, path: Path, source_format: str, cache_dir: Path
) -> tuple[ResponsiveImage, list[tuple[str, Path]]]:
    from PIL import Image, ImageOps, UnidentifiedImageError  # ≈ 10 ms: only for images

    data = path.read_bytes()
    digest = hashlib.sha256(data + CACHE_VERSION.encode()).hexdigest()[:20]
    try:
        with Image.open(path) as opened:
            opened.load()
            original = ImageOps.exif_transpose(opened)
    except (UnidentifiedImageError, OSError) as exc:
        raise SiteError(
            Problem(
                path,
                None,
                f"this image cannot be read, so it gets no smaller sizes: {exc}",
                "save it again as JPEG or PNG; until then it is copied as it is",
                severity="warning",
            )
        ) from None
    width, height = original.size
    stem = PurePosixPath(url)
    widths = [w for w in WIDTHS if w < width]
    sizes: list[Variant] = []
    webp: list[Variant] = []
    made: list[tuple[str, Path]] = []
    for target in [*widths, width]:
        target_height = max(1, round(height * target / width))
        full = target == width
        for fmt in (source_format, "WEBP"):
            if full and fmt == source_format:
                sizes.append(Variant(url, width, height))  # the original is copied as it is
                continue
            suffix = "" if full else f"-{target}w"
            variant_url = str(stem.with_name(f"{stem.stem}{suffix}{_EXTENSIONS[fmt]}"))
            cached = cache_dir / f"{digest}-{target}{_EXTENSIONS[fmt]}"
            if not cached.is_file():
                _encode(original, (target, target_height), fmt, cached)
            made.append((variant_url, cached))
            (webp if fmt == "WEBP" else sizes).append(Variant(variant_url, target, target_height))
    mime = "image/jpeg" if source_format == "JPEG" else "image/png"
    return ResponsiveImage(url, width, height, mime, tuple(sizes), tuple(webp)), made


def _encode(image: Image.Image, size: tuple[int, int], fmt: str, target: Path) -> None:
    from PIL import Image

    """Resize and save without metadata; written under a temporary name, then renamed."""
    resized = image if image.size == size else image.resize(size, Image.Resampling.LANCZOS)
    if fmt == "JPEG" and resized.mode not in ("RGB", "L"):
        resized = resized.convert("RGB")
    if fmt == "WEBP" and resized.mode not in ("RGB", "RGBA"):
        resized = resized.convert("RGBA" if "A" in resized.getbands() else "RGB")
    options: dict[str, object] = {
        "JPEG": {"quality": JPEG_QUALITY, "optimize": True, "progressive": True},
        "PNG": {"optimize": True},
        "WEBP": {"quality": WEBP_QUALITY, "method": 5},
    }[fmt]
    partial = target.with_name(f".{target.name}.{os.getpid()}.part")  # builds may run at once
    resized.save(partial, fmt, **options)
    partial.replace(target)


def srcset(variants: Sequence[Variant], href: Callable[[str], str]) -> str:
    return ", ".join(f"{href(v.url)} {v.width}w" for v in variants)


_IMG = re.compile(r"<img\b([^>]*?)\s*/?>")
_ATTRIBUTE = re.compile(r'([a-zA-Z-]+)="([^"]*)"')
BODY_SIZES = "(min-width: 44rem) 42rem, calc(100vw - 2rem)"


def responsive_html(body_html: str, images: ImageSet, base_path: str) -> str:
    """Give the <img> tags of a rendered body width, height, srcset and a WebP <source>."""

    def href(url: str) -> str:
        return base_path + url

    def upgrade(match: re.Match[str]) -> str:
        attributes = dict(_ATTRIBUTE.findall(match.group(1)))
        src = html.unescape(attributes.get("src", ""))
        if not src.startswith(base_path):
            return match.group(0)
        image = images.get(src[len(base_path) :])
        if image is None:
            return match.group(0)
        added = {
            "width": str(image.width),
            "height": str(image.height),
            "loading": "lazy",
            "decoding": "async",
            "srcset": srcset(image.sizes, href),
            "sizes": BODY_SIZES,
        }
        # Existing values are already escaped HTML; only the added ones need escaping.
        merged = {**{k: html.escape(v) for k, v in added.items()}, **attributes}
        merged["srcset"] = html.escape(added["srcset"])
        merged["sizes"] = html.escape(BODY_SIZES)
        tag = "<img " + " ".join(f'{k}="{v}"' for k, v in merged.items()) + ">"
        webp = html.escape(srcset(image.webp, href))
        return (
            f'<picture><source type="image/webp" srcset="{webp}" '
            f'sizes="{html.escape(BODY_SIZES)}">{tag}</picture>'
        )

    return _IMG.sub(upgrade, body_html)
