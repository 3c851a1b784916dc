"""Files that appear whole or not at all: written beside their place, then renamed into it."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


@contextlib.contextmanager
def atomic_file(path: Path) -> Iterator[BinaryIO]:
    """A file opened for writing that replaces `path` only once it is complete and closed;
    if writing fails, `path` is as it was and the partial file is gone."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        with partial.open("wb") as out:
            yield out
        partial.replace(path)
    finally:
        with contextlib.suppress(OSError):
            partial.unlink()


def write_atomically(path: Path, data: bytes) -> None:
    with atomic_file(path) as out:
        out.write(data)
