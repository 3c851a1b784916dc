"""The persistent build cache in SITE/.kommunenyt-cache/build/ (git-ignored).

What a build learnt, so the next one redoes only what an input change affects:

- `index.json`: per source file, its content hash and validated front matter; per output
  file, the signature of its inputs (generator.deps), the hash, size and modification
  time of the bytes written; the key of the last search index and of all inputs together.
- `bodies/`: each Markdown body's HTML, with every link target it looked up, named by
  the hash of the source file it came from; read only when needed.

Everything is keyed by content hashes, and the index also by the generator's version and
code, the site folder and the settings (`settings_key`). The index starts with a line
naming its format, version and the hash of the rest: a file that is truncated, garbage or
written by another version or for another site is discarded with a warning and the build
runs as if there were no cache. A body file is checked against its own hash when read.
An output file is reused only while its size and modification time are exactly those
recorded when it was written, so a file changed by hand is rendered again.
"""

from __future__ import annotations

import functools
import hashlib
import json
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator import __version__
from generator.atomic import atomic_file, write_atomically
from generator.errors import Problem

CACHE_DIR = ".kommunenyt-cache"
FORMAT = 1
_MAGIC = "kommunenyt-build-cache"


def digest(data: bytes | str) -> str:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return hashlib.blake2b(raw, digest_size=16).hexdigest()


@functools.cache  # the code of a running process is the code it started with
def code_version() -> str:
    """The generator's version and a hash of its own code: a changed generator starts afresh."""
    package = Path(__file__).parent
    hasher = hashlib.blake2b(__version__.encode(), digest_size=16)
    for path in sorted(package.rglob("*.py")):
        hasher.update(path.relative_to(package).as_posix().encode())
        hasher.update(path.read_bytes())
    return f"{__version__}+{hasher.hexdigest()[:16]}"


@dataclass(frozen=True)
class OutputRecord:
    """One output file as the last build left it."""

    signature: str  # digest of its inputs
    digest: str  # of its bytes
    size: int
    mtime_ns: int
    indexed: bool = False  # holds a page Pagefind indexes
    search: str = ""  # digest of the part of it Pagefind reads, once known (generator.search)


@dataclass(frozen=True)
class BodyRecord:
    html: str
    lookups: dict[tuple[str, str], str | None]
    problems: tuple[Problem, ...]


@dataclass
class CacheIndex:
    """The contents of index.json."""

    settings: str = ""  # settings_key of the build that wrote it
    meta_key: str = ""  # authors.yaml and static files the front matter was checked against
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)  # rel → record
    outputs: dict[str, OutputRecord] = field(default_factory=dict)  # target → record
    search_key: str = ""
    search_files: list[str] = field(default_factory=list)
    inputs_key: str = ""  # all inputs of the last complete build
    cards_key: str = ""  # the same, but for article bodies (keys.cards_key)
    quick: list = field(default_factory=list)  # [keys.quick_key, valid until, articles, pages]
    related: dict[str, list[str]] = field(default_factory=dict)  # slug → related slugs


class BuildCache:
    """Load, query and save the cache of one site; `enabled=False` makes it forget everything."""

    def __init__(self, site_dir: Path, version: str, enabled: bool = True):
        self.folder = site_dir / CACHE_DIR / "build"
        self.version = version
        self.site = str(site_dir.resolve())
        self.enabled = enabled
        self.index = CacheIndex()
        self.loaded = CacheIndex()  # as read, even when made with other settings (a preview's)
        self.warnings: list[Problem] = []
        self._used_bodies: set[str] = set()
        self._stored_bodies = False  # some bodies were written by store_body
        self._new_bodies: dict[str, BodyRecord] = {}

    @property
    def index_path(self) -> Path:
        return self.folder / "index.json"

    def load(self, settings: str) -> None:
        """Read index.json; a damaged or foreign one is discarded with a warning."""
        if not self.enabled or not self.index_path.exists():
            return
        try:
            index = self._read_index()
        except _Rejected as exc:
            self._discard(str(exc))
            return
        self.loaded = index
        if index.settings != settings:  # site.toml, templates or options changed
            index = CacheIndex(sources={}, outputs={})  # bodies stay valid: keyed by content
        self.index = index

    def _read_index(self) -> CacheIndex:
        try:
            raw = self.index_path.read_bytes()
        except OSError as exc:
            raise _Rejected(f"it cannot be read ({exc.strerror})") from None
        head, _, payload = raw.partition(b"\n")
        try:
            header = json.loads(head)
        except ValueError:
            raise _Rejected("it is not a kommunenyt cache file") from None
        if not isinstance(header, dict) or header.get("magic") != _MAGIC:
            raise _Rejected("it is not a kommunenyt cache file")
        if header.get("format") != FORMAT or header.get("version") != self.version:
            raise _Rejected(f"it was made by another version ({header.get('version')})")
        if header.get("site") != self.site:
            raise _Rejected(f"it belongs to another site folder ({header.get('site')})")
        if header.get("checksum") != digest(payload):
            raise _Rejected("it is damaged (truncated or changed)")
        try:
            data = json.loads(payload)
            return CacheIndex(
                settings=data["settings"],
                meta_key=data["meta_key"],
                sources=data["sources"],
                outputs={k: OutputRecord(*v) for k, v in data["outputs"].items()},
                search_key=data["search_key"],
                search_files=list(data["search_files"]),
                inputs_key=data["inputs_key"],
                cards_key=data["cards_key"],
                quick=list(data["quick"]),
                related=dict(data["related"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise _Rejected(f"it is damaged ({type(exc).__name__})") from None

    def _discard(self, why: str) -> None:
        self.warnings.append(
            Problem(
                self.index_path.relative_to(self.folder.parent.parent),
                None,
                f"the build cache was not used: {why}",
                "nothing to do: this build starts afresh and writes a new cache",
                severity="warning",
            )
        )
        shutil.rmtree(self.folder, ignore_errors=True)
        self.index = CacheIndex()

    # Bodies: one file each, named by the hash of the source they came from.

    def _body_path(self, key: str) -> Path:
        return self.folder / "bodies" / key[:2] / f"{key}.json"

    def body(self, key: str) -> BodyRecord | None:
        """The body stored under `key`, if it is there and intact."""
        if not self.enabled:
            return None
        self._used_bodies.add(key)
        if key in self._new_bodies:
            return self._new_bodies[key]
        try:
            data = json.loads(self._body_path(key).read_bytes())
            if data["checksum"] != digest(data["html"]):
                raise ValueError("checksum")
            return BodyRecord(
                data["html"],
                {(k, r): h for k, r, h in data["lookups"]},
                tuple(Problem(*p) for p in data["problems"]),
            )
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            self._body_path(key).unlink(missing_ok=True)
            return None

    def add_body(self, key: str, body: BodyRecord) -> None:
        if self.enabled:
            self._used_bodies.add(key)
            self._new_bodies[key] = body

    def save(self, index: CacheIndex) -> None:
        """Write new bodies and the index (atomically), and delete bodies no longer used."""
        if not self.enabled:
            return
        try:
            for key, body in self._new_bodies.items():
                self._write_body(key, body)
            header = {
                "magic": _MAGIC,
                "format": FORMAT,
                "version": self.version,
                "site": self.site,
            }
            _write_index(self.index_path, header, _index_parts(index))
            if self._new_bodies or self._stored_bodies:
                self._remove_unused_bodies()
        except OSError as exc:  # a cache that cannot be written only makes the next build slower
            self.warnings.append(
                Problem(
                    self.folder,
                    None,
                    f"the build cache could not be saved: {exc.strerror or exc}",
                    "check the permissions of .kommunenyt-cache/; the site itself was built",
                    severity="warning",
                )
            )

    def store_body(self, key: str, body: BodyRecord) -> None:
        """Write a body now (a worker process does, so the build need not hold it)."""
        if self.enabled:
            self._write_body(key, body)

    def stored_body(self, key: str) -> None:
        """`store_body(key)` was called, maybe by a worker: keep the body at `save`."""
        self._used_bodies.add(key)
        self._stored_bodies = True

    def _write_body(self, key: str, body: BodyRecord) -> None:
        record = {
            "html": body.html,
            "checksum": digest(body.html),
            "lookups": [[k, r, h] for (k, r), h in body.lookups.items()],
            "problems": [_problem_fields(p) for p in body.problems],
        }
        write_atomically(self._body_path(key), json.dumps(record, ensure_ascii=False).encode())

    def use_bodies(self, keys: Iterable[str]) -> None:
        """Keep these bodies (still needed) when unused ones are deleted at `save`."""
        self._used_bodies.update(keys)

    def _remove_unused_bodies(self) -> None:
        folder = self.folder / "bodies"
        for sub in folder.iterdir() if folder.is_dir() else ():
            for path in sub.iterdir():
                if path.stem not in self._used_bodies:
                    path.unlink(missing_ok=True)


class _Rejected(Exception):
    """Why a cache file is not trusted."""


def _problem_fields(problem: Problem) -> list:
    return [str(problem.path), problem.line, problem.message, problem.hint, problem.severity]


def _record_fields(record: OutputRecord) -> tuple:
    return (
        record.signature,
        record.digest,
        record.size,
        record.mtime_ns,
        record.indexed,
        record.search,
    )


def _index_parts(index: CacheIndex) -> Iterator[bytes]:
    """index.json's payload in pieces (joined, one JSON object), encoded one source at a time
    so that a big site's index (~1.4 KB per source) is never held as one string."""
    members = {
        "settings": index.settings,
        "meta_key": index.meta_key,
        "sources": index.sources,
        "outputs": {k: list(_record_fields(v)) for k, v in index.outputs.items()},
        "search_key": index.search_key,
        "search_files": index.search_files,
        "inputs_key": index.inputs_key,
        "cards_key": index.cards_key,
        "quick": index.quick,
        "related": index.related,
    }
    for number, (name, value) in enumerate(members.items()):
        yield f"{'{' if number == 0 else ','}{_json(name)}:".encode()
        if isinstance(value, dict) and len(value) > _BATCH:
            keys = list(value)
            for first in range(0, len(keys), _BATCH):
                batch = {k: value[k] for k in keys[first : first + _BATCH]}
                text = _json(batch)[1:-1]  # the members, without the braces
                yield f"{'{' if first == 0 else ','}{text}".encode()
            yield b"}"
        else:
            yield _json(value).encode()
    yield b"}"


_BATCH = 500  # entries of a big mapping encoded at a time


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _write_index(path: Path, header: dict, parts: Iterable[bytes]) -> None:
    """Write `header` (with the payload's checksum) as the first line, then the payload,
    atomically; the payload is hashed while it is written, so it need not be kept."""
    slot = json.dumps({**header, "checksum": "0" * 32}).encode()  # a checksum's exact length
    hasher = hashlib.blake2b(digest_size=16)
    with atomic_file(path) as out:
        out.write(b" " * len(slot) + b"\n")
        for part in parts:
            hasher.update(part)
            out.write(part)
        out.seek(0)
        line = json.dumps({**header, "checksum": hasher.hexdigest()}).encode()
        assert len(line) == len(slot)
        out.write(line)
