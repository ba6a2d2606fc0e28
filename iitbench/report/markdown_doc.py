"""Render a report Document as Markdown (the twin of the HTML page): the same sections and tables, figures as
relative image links to PNG files written beside the report. Data text is escaped so it never becomes markup."""

from __future__ import annotations

import re
from collections.abc import Callable

from iitbench.report.doc import Browser, Bullets, Code, Document, Figure, Inline, Para, Strong, Table

_SPECIAL = re.compile(r"([\\`*|<>])")


def md_escape(text: str) -> str:
    """Backslash-escape what would start Markdown/HTML markup or break a table cell."""
    return _SPECIAL.sub(r"\\\1", text).replace("\n", " ")


def inline_md(x: Inline) -> str:
    if isinstance(x, tuple):
        return "".join(inline_md(p) for p in x)
    if isinstance(x, Code):
        text = x.text.replace("|", "\\|").replace("\n", " ")
        fence = "``" if "`" in text else "`"
        return f"{fence}{' ' if fence == '``' else ''}{text}{' ' if fence == '``' else ''}{fence}"
    if isinstance(x, Strong):
        return f"**{md_escape(x.text)}**"
    return md_escape(str(x))


def _table(t: Table) -> list[str]:
    sep = "|---|" + ("---:|" if t.numeric else "---|") * (len(t.header) - 1)
    return (["| " + " | ".join(inline_md(h) for h in t.header) + " |", sep]
            + ["| " + " | ".join(inline_md(c) for c in row) + " |" for row in t.rows])


def render_markdown(doc: Document, figure_link: Callable[[Figure], str | None]) -> str:
    """`figure_link` maps a figure to the relative path of its image (None: the figure is only named)."""
    lines = [f"# {md_escape(doc.title)}", ""]
    for s in doc.sections:
        lines += ["#" * s.level + f" {md_escape(s.title)}", ""]
        for b in s.blocks:
            if isinstance(b, Para):
                lines.append(inline_md(b.text))
            elif isinstance(b, Bullets):
                lines += [f"- {inline_md(i)}" for i in b.items]
            elif isinstance(b, Table):
                lines += _table(b)
            elif isinstance(b, Figure):
                link = figure_link(b)
                alt = md_escape(b.caption).replace("[", "\\[").replace("]", "\\]")
                lines.append(f"![{alt}]({link})" if link else
                             f"*Figure {md_escape(b.name)}: {md_escape(b.caption)} (written with --out FILE.md)*")
            elif isinstance(b, Browser):
                lines.append("*The sample browser is interactive and in the HTML report only (`--out FILE.html`).*")
            else:
                raise TypeError(f"unknown report block {type(b).__name__}")
            lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"
