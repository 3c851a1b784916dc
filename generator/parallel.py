"""Spread a cold build's heavy loops (Markdown, templates) over forked worker processes.

Python runs one thread of Python at a time, so both cores need two processes. Workers are
forked after the content is read, so they start with everything in memory and nothing is
sent to them; each sends back only its results, pickled through a pipe. Items are dealt out
round-robin in small runs of neighbours and the results put back in input order, so the
output never depends on the number of workers.

A failing item stops the build with the same SiteError as in one process; a worker that
dies or is killed is an error too, never a silently missing result. Workers die with the
build (PR_SET_PDEATHSIG on Linux), so a killed build leaves no process writing behind it.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pickle
import signal
import traceback
from collections.abc import Callable, Sequence
from typing import TypeVar

from generator.errors import Problem, SiteError

Item = TypeVar("Item")
Result = TypeVar("Result")
Tick = Callable[[int], None]  # called with the number of items done so far (by this process)

MIN_ITEMS_PER_WORKER = 64  # below this a fork costs more than it saves
BLOCK = 12  # neighbouring items a worker takes at a time
_PR_SET_PDEATHSIG = 1


def available_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def worker_count(requested: int | None, items: int) -> int:
    """How many processes to use: `requested` (None: every core), fewer for little work."""
    wanted = available_cores() if requested is None else max(1, requested)
    if not hasattr(os, "fork"):
        return 1
    return max(1, min(wanted, items // MIN_ITEMS_PER_WORKER))


def parallel_map(
    function: Callable[[Item], Result],
    items: Sequence[Item],
    jobs: int | None,
    tick: Tick | None = None,
) -> list[Result]:
    """[function(item) for item in items], computed by up to `jobs` processes."""
    workers = worker_count(jobs, len(items))
    if workers == 1:
        return _run(function, items, tick)
    blocks = _blocks(len(items), workers)
    shares = [[items[i] for i in indices] for indices in blocks]
    children: list[tuple[int, int]] = []
    try:
        for share in shares[1:]:
            children.append(_fork(function, share))
        mine = _run(function, shares[0], tick and (lambda done: tick(done * workers)))
        results = [mine] + [_collect(pid, fd) for pid, fd in children]
        children = []
    finally:
        for pid, fd in children:  # an error or Ctrl+C here: stop the others
            with contextlib.suppress(OSError):
                os.close(fd)
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                os.waitpid(pid, 0)
    merged: list[Result] = [None] * len(items)  # type: ignore[list-item]
    for indices, share_results in zip(blocks, results, strict=True):
        for index, result in zip(indices, share_results, strict=True):
            merged[index] = result
    return merged


def _blocks(count: int, workers: int) -> list[list[int]]:
    """Item indices per worker: runs of BLOCK neighbours, dealt round-robin.

    Neighbours cost about the same (so the shares balance) and often read the same data
    (the three formats of one feed, the pages of one list), which a worker then has at hand.
    """
    shares: list[list[int]] = [[] for _ in range(workers)]
    for start in range(0, count, BLOCK):
        shares[(start // BLOCK) % workers].extend(range(start, min(start + BLOCK, count)))
    return shares


def _run(function: Callable[[Item], Result], items: Sequence[Item], tick: Tick | None) -> list:
    results = []
    for done, item in enumerate(items, start=1):
        results.append(function(item))
        if tick and done % 100 == 0:
            tick(done)
    return results


def _fork(function: Callable[[Item], Result], share: Sequence[Item]) -> tuple[int, int]:
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid:
        os.close(write_fd)
        return pid, read_fd
    # The worker: compute, send one pickled answer, and leave without running the parent's
    # exit handlers or flushing its buffers.
    status = 0
    try:
        os.close(read_fd)
        _die_with_parent()
        try:
            answer: tuple = ("ok", _run(function, share, None))
        except SiteError as exc:
            answer = ("problems", exc.problems)
        except BaseException as exc:
            answer = ("crash", f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}")
        with os.fdopen(write_fd, "wb") as pipe:
            pickle.dump(answer, pipe, protocol=pickle.HIGHEST_PROTOCOL)
    except BaseException:
        status = 1
    finally:
        os._exit(status)


def _collect(pid: int, fd: int) -> list:
    with os.fdopen(fd, "rb") as pipe:
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    try:
        kind, value = pickle.loads(data)
    except Exception:
        kind, value = "crash", f"a worker process ended with status {status}"
    if kind == "ok":
        return value
    if kind == "problems":
        raise SiteError(value)
    raise SiteError(
        Problem(
            "build",
            None,
            f"internal error in a worker process: {value.strip().splitlines()[0]}",
            "build again with --jobs 1 --debug to see where, and report it",
        )
    )


def _die_with_parent() -> None:
    """Ask Linux to kill this worker when the build process dies (SIGKILL included)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass
