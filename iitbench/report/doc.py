"""A small document model for reports: sections of headings, paragraphs, tables, lists and figures.

The report sections are built once as these blocks and rendered twice (HTML and Markdown), so both outputs always
carry the same tables. Text is plain data (each renderer escapes it); `Code` and `Strong` mark the only inline
styling, so nothing from a results file is ever interpreted as markup.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Union


@dataclass(frozen=True)
class Code:
    """Inline monospace text (paths, hashes)."""

    text: str


@dataclass(frozen=True)
class Strong:
    """Inline bold text."""

    text: str


Inline = Union[str, Code, Strong, tuple]  # a tuple concatenates Inline pieces


@dataclass(frozen=True)
class Para:
    text: Inline


@dataclass(frozen=True)
class Bullets:
    items: tuple[Inline, ...]


@dataclass(frozen=True)
class Table:
    """header[0] labels the row-name column; `numeric` right-aligns every column after the first."""

    header: tuple[Inline, ...]
    rows: tuple[tuple[Inline, ...], ...]
    numeric: bool = True
    wrap: bool = False  # long unbreakable values (hashes, paths): let them wrap anywhere


@dataclass(frozen=True)
class Figure:
    """A plot as SVG text (embedded in HTML) and PNG bytes (written beside a Markdown report)."""

    name: str  # file-name stem, unique within a report
    caption: str
    svg: str
    png: bytes


@dataclass(frozen=True)
class Browser:
    """The interactive sample browser: HTML only (Markdown says so in one line). `payload()` builds its data when
    the page is rendered, since thumbnails for thousands of items take time a Markdown report should not spend."""

    payload: Callable[[], dict[str, Any]]


Block = Union[Para, Bullets, Table, Figure, Browser]


@dataclass(frozen=True)
class Section:
    title: str
    anchor: str  # stable id for the table of contents
    blocks: tuple[Block, ...]
    level: int = 2


@dataclass(frozen=True)
class Document:
    title: str
    sections: tuple[Section, ...]

    @property
    def figures(self) -> list[Figure]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, Figure)]


def plain(x: Inline) -> str:
    """The text of an Inline without styling."""
    if isinstance(x, tuple):
        return "".join(plain(p) for p in x)
    return x if isinstance(x, str) else x.text
