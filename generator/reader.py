"""Find the site's source files and split each into front matter and Markdown.

Only reading happens here: bytes → text (UTF-8, BOM, CRLF and NFD tolerated) → YAML
mapping with the line of every key, so later phases can point at the exact line.
"""

from __future__ import annotations

import fnmatch
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from generator.errors import ProblemList

_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
# The longest real article is well under 200 kB; a source of megabytes is a mistake (a pasted
# PDF, a data dump), and rendering it would take minutes and gigabytes. See docs/security.md.
MAX_SOURCE_BYTES = 2 * 1024 * 1024


class FrontMatterLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """A safe YAML loader that leaves dates as text, so we parse them with clear errors."""


FrontMatterLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class SourceFile:
    """One Markdown file, split but not yet interpreted."""

    path: Path  # absolute
    rel: Path  # relative to the site folder, used in every message
    meta: MappingProxyType[str, Any]
    key_lines: MappingProxyType[str, int]
    body: str
    body_line: int  # line number of the body's first line in the file

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, 1)


def discover(folder: Path, pattern: str, site_dir: Path, problems: ProblemList) -> list[Path]:
    """Files under `folder` matching `pattern`, sorted, refusing links that leave the site.

    `pattern` is "*.md" (this folder) or "**/<name pattern>" (and every folder below).
    Hidden files and folders are skipped, and so are linked folders (not descended
    into). One directory scan per folder: a site has tens of thousands of articles.
    """
    if not folder.is_dir():
        return []
    root = site_dir.resolve()
    recursive = pattern.startswith("**/")
    name_pattern = pattern.removeprefix("**/")
    # A link anywhere on the way from the site folder down to `folder` makes every file
    # below it a file reached through a link.
    linked_above = any(p.is_symlink() for p in (folder, *folder.parents) if p != root)
    found: list[Path] = []
    pending = [folder]
    while pending:
        current = pending.pop()
        try:
            entries = list(os.scandir(current))
        except OSError:
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue  # editor swap files, .DS_Store, .git and the like
            path = current / entry.name
            is_link = entry.is_symlink()
            if entry.is_dir(follow_symlinks=False):
                if recursive:
                    pending.append(path)
                continue
            if not fnmatch.fnmatchcase(entry.name, name_pattern):
                continue
            is_file = entry.is_file()
            linked_folder = is_link and entry.is_dir()
            if not is_file and not linked_folder:
                continue
            if is_link or linked_above:
                target = path.resolve()
                if not target.is_relative_to(root):
                    problems.add(
                        _rel(path, site_dir),
                        1,
                        f"symbolic link points outside the site folder (to {target})",
                        "copy the file into the site instead of linking to it",
                    )
                    continue
            if linked_folder:
                continue  # a link to a folder within the site: harmless, and not descended into
            if "\\" in entry.name:
                problems.add(
                    _rel(path, site_dir),
                    1,
                    "the file name holds a backslash (\\), which web servers on Windows read "
                    "as a folder",
                    "rename the file without backslashes",
                )
                continue
            found.append(path)
    return sorted(found, key=lambda path: path.parts)


def strip_control_characters(text: str) -> str:
    """Remove C0/C1 control characters (but tab and newline): invalid in HTML and XML."""
    return _CONTROL_CHARACTERS.sub("", text)


def read_text(
    path: Path, site_dir: Path, problems: ProblemList, data: bytes | None = None
) -> str | None:
    """Decode a file (or `data`, its bytes already read) as UTF-8 (with or without BOM),
    normalised to LF and NFC."""
    rel = _rel(path, site_dir)
    size = path.stat().st_size if data is None else len(data)
    if size > MAX_SOURCE_BYTES:
        problems.add(
            rel,
            1,
            f"the file is {size / 1024 / 1024:.1f} MB; a text file may be at most "
            f"{MAX_SOURCE_BYTES // 1024 // 1024} MB",
            "split it into several articles, or put large data in content/static/ and link to it",
        )
        return None
    if data is None:
        data = path.read_bytes()
    if b"\x00" in data[:8192]:
        problems.add(
            rel,
            1,
            "this looks like a binary file, not Markdown text",
            "remove it or give it another extension than .md",
        )
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problems.add(
            rel,
            line,
            f"the file is not UTF-8 (byte 0x{data[exc.start]:02x})",
            "save the file with UTF-8 encoding in your editor",
        )
        return None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Control characters are invisible, invalid in HTML and XML feeds, and never meant.
    return unicodedata.normalize("NFC", strip_control_characters(text))


def split_source(
    path: Path, site_dir: Path, problems: ProblemList, data: bytes | None = None
) -> SourceFile | None:
    """Read `path` (unless its bytes are given) and parse its YAML front matter; report
    problems with their line."""
    rel = _rel(path, site_dir)
    text = read_text(path, site_dir, problems, data)
    if text is None:
        return None
    if not text.strip():
        problems.add(
            rel, 1, "the file is empty", "start it with front matter: ---, title: …, date: …, ---"
        )
        return None
    lines = text.split("\n")
    if lines[0].strip() != "---":
        problems.add(
            rel,
            1,
            "the file does not start with front matter",
            "put a line with --- first, then title: and date:, then another ---",
        )
        return None
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
    if end is None:
        problems.add(
            rel, 1, "the front matter is never closed", "add a line with --- after the last key"
        )
        return None
    yaml_text = "\n".join(lines[1:end])
    parsed = _parse_yaml(yaml_text, rel, problems)
    if parsed is None:
        return None
    meta, key_lines = parsed
    body = "\n".join(lines[end + 1 :])
    return SourceFile(path, rel, MappingProxyType(meta), MappingProxyType(key_lines), body, end + 2)


def _parse_yaml(text: str, rel: Path, problems: ProblemList) -> tuple[dict, dict] | None:
    """Parse a mapping, returning it with {key: file line}. Line 1 of the file is `---`."""
    loader = FrontMatterLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            problems.add(rel, 2, "the front matter is empty", "add at least title: and date:")
            return None
        if not isinstance(node, yaml.MappingNode):
            problems.add(
                rel,
                node.start_mark.line + 2,
                "the front matter must be key: value lines",
                "write one key per line, like title: Min overskrift",
            )
            return None
        key_lines: dict[str, int] = {}
        for key_node, _ in node.value:
            key = str(key_node.value)
            line = key_node.start_mark.line + 2
            if key in key_lines:
                problems.add(
                    rel,
                    line,
                    f"the key {key!r} appears twice (also line {key_lines[key]})",
                    "keep only one of them",
                )
            key_lines[key] = line
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 2 if mark else None
        what = exc.problem or str(exc)
        hint = "check the quoting: a value with ': ' or starting with a quote must be quoted"
        source_line = (
            text.split("\n")[mark.line] if mark and mark.line < text.count("\n") + 1 else ""
        )
        if "\t" in what or "\t" in source_line:
            hint = "YAML does not allow tabs: indent with spaces"
        problems.add(rel, line, f"invalid YAML in the front matter: {what}", hint)
        return None
    except yaml.YAMLError as exc:
        problems.add(rel, None, f"invalid YAML in the front matter: {exc}", "check the syntax")
        return None
    finally:
        loader.dispose()
    return {str(k): v for k, v in data.items()}, key_lines


def _rel(path: Path, site_dir: Path) -> Path:
    try:
        return path.relative_to(site_dir)
    except ValueError:
        return path
