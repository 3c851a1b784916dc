"""Markdown → HTML the way Danish editors write it.

Python-Markdown with the usual extensions, Danish quotation marks (»…«), and one
newsroom rule: a paragraph opened by a dash ("talestreg") is a dialogue quote, not a
one-item bullet list. Links to other Markdown files and to content/static/ are turned
into site URLs, and links that lead nowhere are reported with their line.
"""

from __future__ import annotations

import posixpath
import re
import xml.etree.ElementTree as etree
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import markdown
from markdown.extensions import Extension
from markdown.inlinepatterns import DelimiterProcessor
from markdown.treeprocessors import InlineProcessor, Treeprocessor

from generator.slugs import slugify

# A dialogue quote is a full sentence: at least this many words, ending in . ! or ?
# (possibly followed by a closing quotation mark or parenthesis).
DIALOGUE_MIN_WORDS = 6
_SENTENCE_END = re.compile(r"[.!?…][»«\"'”’)]*$")
DIALOGUE_DASH = "– "


def is_dialogue_text(text: str) -> bool:
    """True when a lone list item reads like a quoted sentence rather than a list entry."""
    words = text.split()
    return len(words) >= DIALOGUE_MIN_WORDS and bool(_SENTENCE_END.search(text.strip()))


class DialogueQuotes(Treeprocessor):
    """Turn `<ul><li>Long sentence.</li></ul>` into `<p class="replik">– Long sentence.</p>`."""

    def run(self, root: etree.Element) -> None:
        for parent in list(root.iter()):
            for index, child in enumerate(list(parent)):
                if child.tag == "ul" and self._is_dialogue(child):
                    paragraph = self._as_paragraph(child[0])
                    paragraph.tail = child.tail
                    parent[index] = paragraph

    @staticmethod
    def _is_dialogue(ul: etree.Element) -> bool:
        if len(ul) != 1 or ul[0].tag != "li":
            return False
        item = ul[0]
        if any(el.tag in ("ul", "ol", "table", "pre", "blockquote") for el in item.iter()):
            return False
        blocks = [el for el in item if el.tag == "p"]
        if len(blocks) > 1:
            return False
        return is_dialogue_text("".join(item.itertext()))

    @staticmethod
    def _as_paragraph(item: etree.Element) -> etree.Element:
        source = (
            item[0] if len(item) and item[0].tag == "p" and not (item.text or "").strip() else item
        )
        paragraph = etree.Element("p", {"class": "replik"})
        paragraph.text = DIALOGUE_DASH + (source.text or "").lstrip()
        for child in source:
            paragraph.append(child)
        return paragraph


@dataclass
class LinkContext:
    """What the link rewriter needs to know about the document being rendered."""

    resolve_markdown: Callable[[str], str | None]  # content-relative .md path → href
    static_href: Callable[[str], str | None]  # content-relative static path → href, None if missing
    source_dir: str  # folder of the current file, relative to content/
    broken: list[str]


class SiteLinks(Treeprocessor):
    """Rewrite links to .md files and static files into site URLs; record broken ones."""

    def __init__(self, md: markdown.Markdown, context_getter: Callable[[], LinkContext | None]):
        super().__init__(md)
        self.context_getter = context_getter

    def run(self, root: etree.Element) -> None:
        context = self.context_getter()
        for element in root.iter():
            if element.tag == "img":
                element.set("loading", "lazy")
                element.set("decoding", "async")
            attribute = {"a": "href", "img": "src"}.get(element.tag)
            if attribute is None or context is None:
                continue
            value = element.get(attribute)
            if value is None:
                continue
            rewritten = self._rewrite(value, context)
            if rewritten is not None:
                element.set(attribute, rewritten)

    @staticmethod
    def _rewrite(value: str, context: LinkContext) -> str | None:
        parts = urlsplit(value)
        if parts.scheme or parts.netloc or not parts.path or value.startswith("/"):
            return None
        path = parts.path
        fragment = f"#{parts.fragment}" if parts.fragment else ""
        candidates = [
            posixpath.normpath(posixpath.join(context.source_dir, path)),
            posixpath.normpath(path),
        ]
        if path.endswith(".md"):
            for candidate in candidates:
                href = context.resolve_markdown(candidate)
                if href:
                    return href + fragment
            context.broken.append(value)
            return None
        for candidate in candidates:
            if candidate.startswith("static/"):
                href = context.static_href(candidate)
                if href:
                    return href + fragment
        if path.startswith(("static/", "../")):
            context.broken.append(value)
        return None


_ALIGN = re.compile(r"text-align:\s*(left|right|center);?")


class ScrollableTables(Treeprocessor):
    """Wrap tables in a focusable region so wide tables scroll on phones (WCAG 1.4.10).

    Column alignment becomes a class instead of the style attribute Python-Markdown writes:
    the pages' Content-Security-Policy allows no inline styles.
    """

    def run(self, root: etree.Element) -> None:
        for parent in list(root.iter()):
            for index, child in enumerate(list(parent)):
                if child.tag == "table":
                    for cell in (c for c in child.iter() if c.tag in ("th", "td")):
                        align = _ALIGN.fullmatch(cell.get("style", "").strip())
                        if align:
                            del cell.attrib["style"]
                            cell.set("class", f"align-{align.group(1)}")
                    wrapper = etree.Element(
                        "div",
                        {
                            "class": "tabel",
                            "role": "region",
                            "aria-label": "Tabel",
                            "tabindex": "0",
                        },
                    )
                    wrapper.tail = child.tail
                    child.tail = "\n"
                    wrapper.text = "\n"
                    wrapper.append(child)
                    parent[index] = wrapper


_SMARTY_TRIGGERS = re.compile(r"['\"]|--|\.\.\.")


class QuickSmarty(InlineProcessor):
    """The smarty extension's pass (quotes, dashes, ellipses), skipping text it cannot change.

    Every smarty pattern needs a quote, "--" or "..."; most text in an article has none,
    and trying some twenty patterns on it anyway doubled the time of a whole conversion.
    """

    def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:
        if not _SMARTY_TRIGGERS.search(data):
            return data
        return InlineProcessor._InlineProcessor__handleInline(self, data, patternIndex)


# What each inline pattern of Python-Markdown and our extensions needs to find before it
# can match. Text containing none of these characters comes out of the inline pass as it
# went in, so the pass can skip it (two thirds of a news article's paragraphs).
_INLINE_TRIGGERS = {
    "backtick": "`\\",
    "escape": "\\",
    "reference": "[",
    "link": "[",
    "image_link": "[",
    "image_reference": "[",
    "short_reference": "[",
    "short_image_ref": "[",
    "autolink": "<",
    "automail": "<",
    "linebreak": "  \n",
    "html": "<",
    "entity": "&",
    "em_strong": "*",  # before Python-Markdown 3.11; later a DelimiterProcessor
    "em_strong2": "_",
    "not_strong": "*_",
    "footnote": "[",
}


def _triggers_of(name: str, pattern: object) -> str | None:
    """The characters `pattern` needs to match; None when not known for sure."""
    if isinstance(pattern, DelimiterProcessor):  # emphasis: its tokens, e.g. * and _
        return "".join(pattern.tokens)
    return _INLINE_TRIGGERS.get(name)


class QuickInline(InlineProcessor):
    """Python-Markdown's inline pass, skipping text that no inline pattern can match.

    Each of the ~15 patterns is otherwise tried, one Python call each, on every text node.
    The shortcut is only taken while every registered pattern is one whose trigger
    characters are known; an unknown pattern (another extension) turns it off.
    """

    def __init__(self, md: markdown.Markdown):
        super().__init__(md)
        self._triggers: re.Pattern[str] | None = None
        self._checked_for: tuple[str | None, ...] | None = None

    def _trigger_pattern(self) -> re.Pattern[str] | None:
        triggers = tuple(
            _triggers_of(item.name, self.inlinePatterns[item.name])
            for item in self.inlinePatterns._priority
        )
        if triggers != self._checked_for:
            self._checked_for = triggers
            if all(t is not None for t in triggers):
                singles = sorted({c for t in triggers for c in t if t != "  \n"})
                self._triggers = re.compile("[" + re.escape("".join(singles)) + "]|  \n")
            else:
                self._triggers = None
        return self._triggers

    def run(self, tree: etree.Element, ancestors: list[str] | None = None) -> etree.Element:
        self._trigger_pattern()
        return super().run(tree, ancestors)

    def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:
        if self._triggers is not None and not self._triggers.search(data):
            return data
        return InlineProcessor._InlineProcessor__handleInline(self, data, patternIndex)


class _KommunenytExtension(Extension):
    def __init__(self, context_getter: Callable[[], LinkContext | None]):
        super().__init__()
        self.context_getter = context_getter

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.treeprocessors.register(QuickInline(md), "inline", 20)
        if "smarty" in md.treeprocessors:
            smarty = QuickSmarty(md)
            smarty.inlinePatterns = md.treeprocessors["smarty"].inlinePatterns
            md.treeprocessors.register(smarty, "smarty", 6)
        md.treeprocessors.register(DialogueQuotes(md), "kommunenyt_dialogue", 4)
        md.treeprocessors.register(SiteLinks(md, self.context_getter), "kommunenyt_links", 3)
        md.treeprocessors.register(ScrollableTables(md), "kommunenyt_tables", 2)


class MarkdownRenderer:
    """One configured Python-Markdown instance, reset between documents."""

    def __init__(self) -> None:
        self._context: LinkContext | None = None
        self._md = markdown.Markdown(
            extensions=[
                "tables",
                "footnotes",
                "fenced_code",
                "attr_list",
                "sane_lists",
                "toc",
                "smarty",
                _KommunenytExtension(lambda: self._context),
            ],
            extension_configs={
                "toc": {"slugify": slugify, "toc_depth": "2-4"},
                "footnotes": {
                    "BACKLINK_TITLE": "Tilbage til fodnote {} i teksten",
                    "SUPERSCRIPT_TEXT": "{}",
                },
                "smarty": {
                    "substitutions": {
                        "left-double-quote": "&raquo;",
                        "right-double-quote": "&laquo;",
                    },
                },
            },
            output_format="html",
        )

    def render(self, text: str, context: LinkContext | None = None) -> str:
        self._context = context
        try:
            self._md.reset()
            return self._md.convert(text)
        finally:
            self._context = None


def line_of(body: str, needle: str, first_line: int) -> int:
    """The file line where `needle` first appears in a body starting at `first_line`."""
    index = body.find(needle)
    return first_line if index < 0 else first_line + body.count("\n", 0, index)
