"""Writing the planned files: reuse what the last build wrote, render the rest in parallel.

A file is reused (hard-linked from the previous output, never rewritten) when the
signature of its inputs (generator.deps) is the one recorded in the cache and the file in
the output folder is still exactly as that build left it (size and modification time).
Everything else is rendered, by several processes when there is a lot of it; a rendered
file whose bytes did not change is still linked, not rewritten (the writer checks).
The search index is reused while no indexed page changed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from generator.cache import OutputRecord, digest
from generator.plan import CopyJob, Job
from generator.writer import OutputWriter

_INDEXED = b"data-pagefind-body"

Render = Callable[[Job], bytes]
Progress = Callable[[str, int, int], None]


@dataclass
class WriteResult:
    records: dict[str, OutputRecord]
    rendered: int = 0  # files rendered (the rest were reused untouched)
    changed: int = 0  # files whose bytes changed


def intact(output_dir: Path, target: str, record: OutputRecord) -> bool:
    """The file is still exactly as the last build left it."""
    try:
        stat = os.lstat(f"{output_dir}/{target}")
    except OSError:
        return False
    return stat.st_size == record.size and stat.st_mtime_ns == record.mtime_ns


def write_outputs(
    jobs: Sequence[Job],
    targets: Sequence[str],
    signatures: Sequence[str | None],
    previous: Mapping[str, OutputRecord],
    writer: OutputWriter,
    render: Render,
    workers: int | None,
    progress: Progress | None = None,
    sign: Callable[[int], str] | None = None,
) -> WriteResult:
    """Write every job's file; a signature given as None is computed by `sign` where the
    file is rendered (a cold build: nothing to compare with, so no need to know it first)."""
    result = WriteResult({})
    reused: list[int] = []
    pending: list[int] = []
    for index, (key, signature) in enumerate(zip(targets, signatures, strict=True)):
        old = previous.get(key)
        if (
            old is not None
            and signature is not None
            and old.signature == signature
            and intact(writer.output_dir, key, old)
        ):
            reused.append(index)
        else:
            pending.append(index)
    writer.start(len(targets), len(pending))
    for index in pending:
        writer.reserve(targets[index])
    for index in reused:
        key = targets[index]
        writer.reserve(key)
        if writer.keep(key):
            result.records[key] = previous[key]
        else:
            pending.append(index)

    def one(index: int) -> tuple[OutputRecord, bool]:
        job, key = jobs[index], targets[index]
        data = job.path.read_bytes() if isinstance(job, CopyJob) else render(job)
        changed = writer.write_reserved(key, data)
        stat = os.stat(writer.current(key))
        indexed = key.endswith(".html") and _INDEXED in data
        signature = signatures[index]
        if signature is None:
            assert sign is not None, "a signature must be given or computable"
            signature = sign(index)
        record = OutputRecord(signature, digest(data), stat.st_size, stat.st_mtime_ns, indexed)
        return record, changed

    def tick(done: int) -> None:
        if progress:
            progress("rendering", min(done, len(pending)), len(pending))

    from generator.parallel import parallel_map

    for index, (record, changed) in zip(
        pending, parallel_map(one, pending, workers, tick), strict=True
    ):
        result.records[targets[index]] = record
        result.changed += changed
    if progress and pending:
        progress("rendering", len(pending), len(pending))
    result.rendered = len(pending)
    writer.changed += result.changed
    return result


def search_key(records: Mapping[str, OutputRecord], pages: Iterable[str]) -> str:
    """What one shard of the search index is made from: what Pagefind reads of its pages."""
    return digest(repr(sorted((page, records[page].search) for page in pages)))


def reuse_search(
    writer: OutputWriter,
    files: Iterable[str],
    previous: Mapping[str, OutputRecord],
    key: str,
) -> dict[str, OutputRecord] | None:
    """Link the last build's files of one shard, made from `key`; None if any is missing."""
    files = list(files)
    if not files or not all(
        f in previous
        and previous[f].signature == f"search:{key}"
        and intact(writer.output_dir, f, previous[f])
        for f in files
    ):
        return None
    records = {}
    for name in files:
        writer.reserve(name)
        if writer.keep(name):
            records[name] = previous[name]
        else:  # no hard links here: copy the bytes, which were just checked to be intact
            writer.write_reserved(name, (writer.output_dir / name).read_bytes())
            records.update(search_records(writer, [name], key))
    return records


def search_records(writer: OutputWriter, files: Iterable[str], key: str) -> dict[str, OutputRecord]:
    """Records of index files just written by Pagefind (linked or copied, not yet committed)."""
    records = {}
    for name in files:
        path = writer.current(name)
        stat = os.stat(path)
        records[name] = OutputRecord(
            f"search:{key}", digest(Path(path).read_bytes()), stat.st_size, stat.st_mtime_ns
        )
    return records
