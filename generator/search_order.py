"""Make Pagefind's index byte-identical between two builds of the same pages.

Pagefind 1.x writes the entries of its filter files, and the list of filters (and sort
keys) in its metadata file, in hash-map order, which is random in every run; and it names
each of those files after a hash of its bytes. So two builds of the same site differed in
a few index files and their names. Here the entries are put in a fixed order (by their
encoded bytes: they are maps, so the order carries no meaning), the files get names from a
hash of their new bytes, and the references in the metadata and in pagefind-entry.json are
updated. The search reads exactly the same data as before.

The files are gzip-compressed "pagefind_dcd" + CBOR. Only definite-length CBOR (what
Pagefind writes) is understood; anything unexpected leaves the index as Pagefind wrote it,
which still works, only without the guarantee of identical bytes.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

_SIGNATURE = b"pagefind_dcd"
_ARRAY, _TEXT = 4, 3


class _Unexpected(ValueError):
    """The index does not look like what this module knows; leave it alone."""


def make_deterministic(bundle: Path) -> None:
    """Reorder and rename the randomly ordered files of the Pagefind bundle in `bundle`."""
    entry_path = bundle / "pagefind-entry.json"
    try:
        entry = json.loads(entry_path.read_text(encoding="utf-8"))
        renamed: dict[str, str] = {}
        for language in entry["languages"].values():
            old_meta = language["hash"]
            renamed.update(_reorder_filters(bundle, old_meta))
            language["hash"] = _reorder_meta(bundle, old_meta, renamed)
    except (_Unexpected, OSError, KeyError, TypeError, ValueError, EOFError):
        return
    entry_path.write_text(
        json.dumps(entry, ensure_ascii=False, separators=(",", ":")), encoding="utf-8"
    )


def _reorder_filters(bundle: Path, meta_hash: str) -> dict[str, str]:
    """Sort the values in each filter file of one language; return old → new file hash."""
    language = meta_hash.rsplit("_", 1)[0]
    renamed = {}
    for path in sorted((bundle / "filter").glob(f"{language}_*.pf_filter")):
        data = _decode(path)
        items = _array(data, 0)
        if len(items) != 2:
            raise _Unexpected(path.name)
        start, end = items[1]
        data = data[:start] + _sorted_array(data, start, end) + data[end:]
        old = path.name.removesuffix(".pf_filter")
        new = _name(language, data, len(old) - len(language) - 1)
        path.unlink()
        _encode(bundle / "filter" / f"{new}.pf_filter", data)
        renamed[old] = new
    return renamed


def _reorder_meta(bundle: Path, meta_hash: str, renamed: dict[str, str]) -> str:
    """Point the metadata at the renamed filter files and sort its filter and sort lists."""
    path = bundle / f"pagefind.{meta_hash}.pf_meta"
    data = _decode(path)
    for old, new in renamed.items():
        needle = _text(old)
        if data.count(needle) != 1 or len(old) != len(new):
            raise _Unexpected(old)
        data = data.replace(needle, _text(new))
    items = _array(data, 0)
    # [version, pages, index chunks, filters, sorts, meta fields]: filters and sorts are
    # maps written as lists of [name, value] pairs.
    if len(items) < 5:
        raise _Unexpected(path.name)
    for start, end in reversed(items[3:5]):
        for pair_start, pair_end in _array(data, start):
            pair = _array(data, pair_start)
            if len(pair) != 2 or data[pair[0][0]] >> 5 != _TEXT or pair_end > end:
                raise _Unexpected(path.name)
        data = data[:start] + _sorted_array(data, start, end) + data[end:]
    language = meta_hash.rsplit("_", 1)[0]
    new_hash = _name(language, data, len(meta_hash) - len(language) - 1)
    path.unlink()
    _encode(bundle / f"pagefind.{new_hash}.pf_meta", data)
    return new_hash


def _name(language: str, data: bytes, length: int) -> str:
    return f"{language}_{hashlib.blake2b(data).hexdigest()[:length]}"


def _decode(path: Path) -> bytes:
    raw = gzip.decompress(path.read_bytes())
    if not raw.startswith(_SIGNATURE):
        raise _Unexpected(path.name)
    return raw[len(_SIGNATURE) :]


def _encode(path: Path, data: bytes) -> None:
    path.write_bytes(gzip.compress(_SIGNATURE + data, mtime=0))


def _text(value: str) -> bytes:
    encoded = value.encode("utf-8")
    if len(encoded) >= 24:
        raise _Unexpected(value)
    return bytes([0x60 | len(encoded)]) + encoded


def _sorted_array(data: bytes, start: int, end: int) -> bytes:
    """The array at data[start:end] with its items in byte order."""
    items = _array(data, start)
    header = data[start : items[0][0]] if items else data[start:end]
    return header + b"".join(sorted(data[a:b] for a, b in items))


def _array(data: bytes, pos: int) -> list[tuple[int, int]]:
    """(start, end) of each item of the CBOR array at `pos`."""
    major, count, pos = _head(data, pos)
    if major != _ARRAY:
        raise _Unexpected("not an array")
    spans = []
    for _ in range(count):
        end = _skip(data, pos)
        spans.append((pos, end))
        pos = end
    return spans


def _head(data: bytes, pos: int) -> tuple[int, int, int]:
    """Major type, argument and the offset after the head of the item at `pos`."""
    if pos >= len(data):
        raise _Unexpected("truncated")
    major, info = data[pos] >> 5, data[pos] & 31
    pos += 1
    if info < 24:
        return major, info, pos
    if info > 27:
        raise _Unexpected("indefinite length")
    size = 1 << (info - 24)
    return major, int.from_bytes(data[pos : pos + size], "big"), pos + size


def _skip(data: bytes, pos: int) -> int:
    """The offset just after the CBOR item at `pos`."""
    major, value, pos = _head(data, pos)
    if major in (0, 1, 7):  # integers, simple values and floats: all in the head
        return pos
    if major in (2, 3):
        return pos + value
    if major == 6:  # a tag, then the tagged item
        return _skip(data, pos)
    for _ in range(value * (2 if major == 5 else 1)):
        pos = _skip(data, pos)
    return pos
