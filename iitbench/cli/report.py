"""`iitbench report`: one report of IIT run, text-forgetting and LAWS directories (each detected by the files it
holds), as Markdown (printed, or --out FILE.md with its figures as PNG files beside it) or as ONE self-contained
HTML page (--out FILE.html). Argument parsing + `iitbench.api.report` + printing."""

from __future__ import annotations

import argparse

from iitbench.cli.base import Command


class ReportCommand(Command):
    name = "report"
    help = ("Report of run, forgetting and LAWS directories: accuracy ± 95% CI per config, forgetting deltas, "
            "LAWS curves and shift, provenance; Markdown or one self-contained HTML page.")
    example = "iitbench report runs/wings-tiny runs/llava-tiny runs/forgetting-wings runs/laws-wings --out report.html"

    def add_arguments(self, p: argparse.ArgumentParser) -> None:
        p.add_argument("runs", nargs="+", metavar="RUN_DIR",
                       help="directories written by `iitbench run`, `iitbench forgetting` or `iitbench laws`")
        p.add_argument("--out", "--output", dest="out", default=None, help="write the report to FILE.html (one "
                       "self-contained page) or FILE.md (figures as FILE-NAME.png beside it); default: print Markdown")
        p.add_argument("--recompute", action="store_true", help="recompute run metrics from samples.jsonl")

    def run(self, args: argparse.Namespace) -> int:
        from iitbench.api import report

        done = report(args.runs, args.out, recompute=args.recompute)
        if done.path is None:
            print(done.markdown, end="")
        else:
            print(f"report: {done.path}")
        return 0
