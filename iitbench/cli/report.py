"""`iitbench report`: one report of IIT run, text-forgetting and LAWS directories (each detected by the files it
holds), as Markdown (printed, or --out FILE.md with its figures as PNG files beside it) or as ONE self-contained
HTML page (--out FILE.html).

Reads result files, never models; an interrupted run without results.json is recomputed from its samples.jsonl
(marked partial). The output depends only on the inputs: no timestamps but those the inputs record.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from urllib.parse import quote

from iitbench.cli.base import Command
from iitbench.errors import UserError


def _write(path: Path, data: str | bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")  # atomic: a reader never sees half a report
    if isinstance(data, bytes):
        tmp.write_bytes(data)
    else:
        tmp.write_text(data, encoding="utf-8")
    os.replace(tmp, path)


class ReportCommand(Command):
    name = "report"
    help = ("Report of run, forgetting and LAWS directories: accuracy ± 95% CI per config, forgetting deltas, "
            "LAWS curves and shift, provenance; Markdown or one self-contained HTML page.")
    example = "iitbench report runs/wings-tiny runs/llava-tiny runs/forgetting-wings runs/laws-wings --out report.html"

    def add_arguments(self, p: argparse.ArgumentParser) -> None:
        p.add_argument("runs", nargs="+", metavar="RUN_DIR",
                       help="directories written by `iitbench run`, `iitbench forgetting` or `iitbench laws`")
        p.add_argument("--out", default=None, help="write the report to FILE.html (one self-contained page) or "
                       "FILE.md (figures as FILE-NAME.png beside it); default: print Markdown")
        p.add_argument("--recompute", action="store_true", help="recompute run metrics from samples.jsonl")

    def run(self, args: argparse.Namespace) -> int:
        from iitbench.report.html import render_html
        from iitbench.report.inputs import load_inputs
        from iitbench.report.markdown_doc import render_markdown
        from iitbench.report.sections import build_document

        out = Path(args.out) if args.out is not None else None
        if out is not None and out.parent and not out.parent.is_dir():
            raise UserError(f"--out {out}: directory {out.parent} does not exist; create it first")
        doc = build_document(load_inputs([Path(r) for r in args.runs], recompute=args.recompute))
        if out is None:
            print(render_markdown(doc, lambda fig: None), end="")
            return 0
        if out.suffix.lower() in (".html", ".htm"):
            _write(out, render_html(doc))
        else:
            links = {}
            for fig in doc.figures:
                image = out.with_name(f"{out.stem}-{fig.name}.png")
                _write(image, fig.png)
                links[fig.name] = quote(image.name)  # a relative URL: spaces etc. percent-encoded
            _write(out, render_markdown(doc, lambda fig: links[fig.name]))
        print(f"report: {out}")
        return 0
