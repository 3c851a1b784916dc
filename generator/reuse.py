"""What a rebuild can take over from the last build instead of computing it again.

`output_intact`: the output folder is exactly as the last build left it. `reusable_signatures`
and `job_signatures`: each output file's signature (generator.deps), taken from the last
build for every file that shows none of the changed bodies when only bodies changed (the
cards key, keys.front_matter_digests), and left to the render workers in a cold build.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from generator import sources
from generator.cache import CacheIndex, OutputRecord, digest
from generator.config import SiteConfig
from generator.deps import Signatures, library_uses
from generator.library import Library
from generator.model import Article
from generator.outputs import intact
from generator.plan import CopyJob, DataJob, Job
from generator.writer import MANIFEST


def output_intact(output_dir: Path, index: CacheIndex) -> bool:
    """The output folder holds exactly the files the last build wrote, untouched."""
    if not index.outputs or not (output_dir / MANIFEST).is_file():
        return False
    return all(intact(output_dir, target, record) for target, record in index.outputs.items())


@dataclass(frozen=True)
class ReusableSignatures:
    """Only article bodies changed since the last build: its signatures still hold for
    every file that shows none of the changed bodies (see keys.front_matter_digests)."""

    previous: Mapping[str, OutputRecord]  # target → record of the last build
    changed_bodies: frozenset[str]  # slugs of the articles whose file changed


def reusable_signatures(
    cards: str, index: CacheIndex, digests: Mapping[str, str], library: Library
) -> ReusableSignatures | None:
    if not index.outputs or cards != index.cards_key:
        return None
    changed = frozenset(
        a.slug
        for a in library.articles
        if index.sources.get(a.source.as_posix(), {}).get("digest")
        != digests.get(a.source.as_posix())
    )
    return ReusableSignatures(index.outputs, changed)


def job_signatures(
    jobs: list[Job],
    targets: list[str],
    config: SiteConfig,
    texts: list[str],
    bodies: sources.Bodies,
    library: Library,
    clock: str,
    include_drafts: bool,
    reusable: ReusableSignatures | None,
    previous: Mapping[str, OutputRecord],
) -> tuple[list[str | None], Callable[[int], str]]:
    """Per job, a digest of everything its file is made from (generator.deps), and the
    function that computes one. With no previous build to compare with (a cold build) the
    list is all None: each signature is computed where its file is rendered, in parallel."""
    site_dir = config.site_dir

    def body_digest(article: Article) -> str:  # once per article (Signatures keeps it)
        return bodies.digests[site_dir / article.source]

    signatures = Signatures(config.feed_items, library_uses(texts), body_digest)
    signatures.start(library.articles)

    def sign(index: int) -> str:
        job = jobs[index]
        # The clock decides the news sitemap, and in previews the "scheduled" badges.
        extra = clock if include_drafts or isinstance(job, DataJob) else ""
        return digest(repr((signatures.job(job), extra)))

    if not previous:
        return [None] * len(jobs), sign
    result: list[str | None] = []
    for index, (job, target) in enumerate(zip(jobs, targets, strict=True)):
        if reusable is not None and not isinstance(job, CopyJob):  # copies: by their stat
            old = reusable.previous.get(target)
            shown = Signatures.bodies_shown(job, config.feed_items)
            if old is not None and not shown & reusable.changed_bodies:
                result.append(old.signature)
                continue
        result.append(sign(index))
    return result, sign
