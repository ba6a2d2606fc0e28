"""`iitbench report`: a Markdown table of one or more runs (rows = configs, columns = runs) with provenance lines.

Reads results.json; an interrupted run without one is recomputed from its samples.jsonl (marked partial).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from iitbench.cli.base import Command
from iitbench.errors import UserError


class ReportCommand(Command):
    name = "report"
    help = "Markdown table of run directories (accuracy ± 95% CI per config), from their results files."
    example = "iitbench report runs/wings-tiny runs/llava-tiny --out report.md"

    def add_arguments(self, p: argparse.ArgumentParser) -> None:
        p.add_argument("runs", nargs="+", metavar="RUN_DIR", help="run directories written by `iitbench run`")
        p.add_argument("--out", default=None, help="write the report to this .md file (default: print it)")
        p.add_argument("--recompute", action="store_true", help="recompute metrics from samples.jsonl")

    def run(self, args: argparse.Namespace) -> int:
        from iitbench.report import compare_table, load_run

        runs = [load_run(Path(r), recompute=args.recompute) for r in args.runs]
        text = compare_table(runs)
        if args.out is None:
            print(text, end="")
            return 0
        out = Path(args.out)
        if out.suffix.lower() not in (".md", ".markdown"):
            raise UserError(f"--out {out}: only Markdown (.md) reports for now")
        if out.parent and not out.parent.is_dir():
            raise UserError(f"--out {out}: directory {out.parent} does not exist; create it first")
        tmp = out.with_name(out.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, out)
        print(f"report: {out}")
        return 0
