"""`report`: one report of run, forgetting and LAWS directories (`iitbench report`), read from their files.

Markdown (returned; written to FILE.md with its figures as PNG files beside it) or ONE self-contained HTML page
(FILE.html). An interrupted run without results.json is recomputed from its samples.jsonl (marked partial). The
output depends only on the inputs: no timestamps but those the inputs record.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote

from iitbench.api.results import ReportOutput
from iitbench.errors import UserError
from iitbench.runner.outputs import check_output_file


def _write(path: Path, data: str | bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")  # atomic: a reader never sees half a report
    try:
        if isinstance(data, bytes):
            tmp.write_bytes(data)
        else:
            tmp.write_text(data, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise UserError(f"--out {path}: cannot write it ({e.strerror}); choose a writable file path") from None


def report(dirs: Sequence[str | Path], out: str | Path | None = None, *, recompute: bool = False) -> ReportOutput:
    """Report over `dirs` (each detected by the files it holds); `out` ending in .html/.htm writes the HTML page,
    any other name Markdown plus one PNG per figure; None writes nothing."""
    from iitbench.report.html import render_html
    from iitbench.report.inputs import load_inputs
    from iitbench.report.markdown_doc import render_markdown
    from iitbench.report.sections import build_document

    if not dirs:
        raise UserError("report: give at least one run, forgetting or LAWS directory")
    path = check_output_file(out) if out is not None else None
    doc = build_document(load_inputs([Path(d) for d in dirs], recompute=recompute))
    if path is None:
        return ReportOutput(markdown=render_markdown(doc, lambda fig: None))
    if path.suffix.lower() in (".html", ".htm"):
        _write(path, render_html(doc))
        return ReportOutput(markdown=render_markdown(doc, lambda fig: None), path=path)
    links, figures = {}, []
    for fig in doc.figures:
        image = path.with_name(f"{path.stem}-{fig.name}.png")
        _write(image, fig.png)
        figures.append(image)
        links[fig.name] = quote(image.name)  # a relative URL: spaces etc. percent-encoded
    markdown = render_markdown(doc, lambda fig: links[fig.name])
    _write(path, markdown)
    return ReportOutput(markdown=markdown, path=path, figures=tuple(figures))


__all__ = ["report"]
