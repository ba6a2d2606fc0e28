"""Render a report Document as ONE self-contained HTML page: inline CSS, figures as base64 SVG data URIs (each
figure keeps its own element ids), no external resources. All text from data is HTML-escaped; the only script is
the sample browser's (inline, see `browser.py`), which puts data into the page with textContent, never as markup."""

from __future__ import annotations

import base64
from html import escape

from iitbench import __version__
from iitbench.report.doc import Browser, Bullets, Code, Document, Figure, Inline, Para, Section, Strong, Table

CSS = """
html{background:#fff}
body{font:14px/1.45 -apple-system,"Segoe UI",Roboto,"DejaVu Sans",Arial,sans-serif;color:#1b1f24;
 margin:0 auto;padding:24px 32px 48px;max-width:1180px;background:#fff}
h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:32px 0 8px;padding-bottom:4px;border-bottom:2px solid #d0d7de}
p{margin:8px 0}.meta{color:#57606a;font-size:12px}
nav ul{margin:4px 0 0;padding-left:20px}nav li{margin:1px 0}
.tw{display:inline-block;vertical-align:top;max-width:100%;overflow-x:auto;margin:8px 28px 14px 0}
.tw.full{display:block;margin-right:0}
table{border-collapse:collapse;font-size:13px;font-variant-numeric:tabular-nums}
th,td{border:1px solid #d0d7de;padding:4px 9px;vertical-align:top}
th{background:#f3f5f7;text-align:left;font-weight:600}
tbody tr:nth-child(even){background:#fafbfc}
table.num td:not(:first-child),table.num th:not(:first-child){text-align:right;white-space:nowrap}
table.wrap{table-layout:fixed;width:100%}table.wrap td,table.wrap th{word-break:break-all}
table.wrap td:first-child,table.wrap th:first-child{width:190px;word-break:normal}
code{font:12px/1.3 "DejaVu Sans Mono",Menlo,Consolas,monospace;background:#f3f5f7;padding:1px 3px;border-radius:3px;
 word-break:break-all}
figure{display:inline-block;vertical-align:top;max-width:100%;margin:8px 0 18px}figure img{max-width:100%;height:auto;border:1px solid #eaeef2}
figcaption{color:#57606a;font-size:12px;margin-top:4px}
ul.items li{margin:2px 0}
"""


def inline_html(x: Inline) -> str:
    if isinstance(x, tuple):
        return "".join(inline_html(p) for p in x)
    if isinstance(x, Code):
        return f"<code>{escape(x.text)}</code>"
    if isinstance(x, Strong):
        return f"<strong>{escape(x.text)}</strong>"
    return escape(str(x))


def _table(t: Table) -> str:
    cls = " ".join(c for c, on in (("num", t.numeric), ("wrap", t.wrap)) if on)
    box = "tw full" if t.wrap else "tw"  # wrapping tables take the full width; others may sit beside a figure
    head = "".join(f"<th>{inline_html(h)}</th>" for h in t.header)
    body = "\n".join("<tr>" + "".join(f"<td>{inline_html(c)}</td>" for c in row) + "</tr>" for row in t.rows)
    return (f'<div class="{box}"><table class="{cls}">\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>'
            f"</table></div>")


def _figure(f: Figure) -> str:
    data = base64.b64encode(f.svg.encode("utf-8")).decode("ascii")
    return (f'<figure id="fig-{escape(f.name)}"><img alt="{escape(f.caption)}" src="data:image/svg+xml;base64,'
            f'{data}"><figcaption>{escape(f.caption)}</figcaption></figure>')


def _block(b) -> str:
    if isinstance(b, Para):
        return f"<p>{inline_html(b.text)}</p>"
    if isinstance(b, Bullets):
        return '<ul class="items">' + "".join(f"<li>{inline_html(i)}</li>" for i in b.items) + "</ul>"
    if isinstance(b, Table):
        return _table(b)
    if isinstance(b, Figure):
        return _figure(b)
    if isinstance(b, Browser):
        from iitbench.report.browser import render_browser

        return render_browser(b.payload())
    raise TypeError(f"unknown report block {type(b).__name__}")


def _section(s: Section) -> str:
    body = "\n".join(_block(b) for b in s.blocks)
    return f'<section id="{escape(s.anchor)}">\n<h{s.level}>{escape(s.title)}</h{s.level}>\n{body}\n</section>'


def render_html(doc: Document) -> str:
    toc = "".join(f'<li><a href="#{escape(s.anchor)}">{escape(s.title)}</a></li>' for s in doc.sections)
    sections = "\n".join(_section(s) for s in doc.sections)
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{escape(doc.title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
            f"<h1>{escape(doc.title)}</h1>\n<p class=\"meta\">Written by iitbench {escape(__version__)} "
            f"from result files only.</p>\n<nav><ul>{toc}</ul></nav>\n{sections}\n</body>\n</html>\n")
