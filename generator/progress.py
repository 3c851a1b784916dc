"""What a long build shows while it runs, and the per-phase timings after it.

A bar redrawn in place on a terminal; nothing at all when stderr is not a terminal or
CI is set, so logs stay clean.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Callable, Mapping
from typing import TextIO

Progress = Callable[[str, int, int], None]
_REDRAW_SECONDS = 0.1


def terminal_progress(stream: TextIO = sys.stderr) -> Progress | None:
    """A progress bar on `stream`, or None when nobody is watching (not a tty, or CI)."""
    if not stream.isatty() or os.environ.get("CI"):
        return None
    last = {"phase": "", "drawn": 0.0}

    def show(phase: str, done: int, total: int) -> None:
        now = time.monotonic()
        finished = done >= total
        if phase == last["phase"] and not finished and now - last["drawn"] < _REDRAW_SECONDS:
            return
        last["phase"], last["drawn"] = phase, now
        stream.write("\r" + progress_line(phase, done, total, _width()))
        if finished:
            stream.write("\n")
        stream.flush()

    return show


def progress_line(phase: str, done: int, total: int, width: int = 80) -> str:
    """`markdown  [#########-----------]  4500/10000` fitted to `width` columns."""
    counts = f" {done}/{total}"
    label = f"{phase:<10} "
    room = max(10, width - len(label) - len(counts) - 3)
    filled = room * done // total if total else room
    return f"{label}[{'#' * filled}{'-' * (room - filled)}]{counts}"


def timing_lines(timings: Mapping[str, float]) -> list[str]:
    """One line per phase, slowest marked with its share of the whole."""
    total = sum(timings.values()) or 1.0
    lines = [
        f"  {phase:<14} {seconds:8.3f} s {100 * seconds / total:5.1f} %"
        for phase, seconds in timings.items()
    ]
    lines.append(f"  {'total':<14} {sum(timings.values()):8.3f} s")
    return lines


def _width() -> int:
    return min(100, shutil.get_terminal_size((80, 20)).columns - 1)
