"""`iitbench leaderboard STUDY_DIR --out DIR`: a study's tables, claims and plot (argument parsing + one call)."""

from __future__ import annotations

import argparse

from iitbench.cli.base import Command


class LeaderboardCommand(Command):
    name = "leaderboard"
    help = ("Tables (Markdown + CSV), REPRODUCTION.md and a plot from a study's small result files "
            "(model.json, results.json, scored.csv, forgetting.json, laws_summary.json).")
    example = "iitbench leaderboard leaderboards/studies/deep-zoo --out leaderboards/deep"

    def add_arguments(self, p: argparse.ArgumentParser) -> None:
        p.add_argument("study", help="a study's output directory (written by `iitbench study`)")
        p.add_argument("--out", "--output", dest="out", required=True, help="directory for the tables")

    def run(self, args: argparse.Namespace) -> int:
        from pathlib import Path

        from iitbench.runner.outputs import check_output
        from iitbench.study.leaderboard import write_leaderboard

        check_output(args.out, "leaderboard", flag="--out")
        command = f"iitbench leaderboard {Path(args.study).as_posix()} --out {Path(args.out).as_posix()}"
        written = write_leaderboard(args.study, args.out, command)
        print(f"wrote {len(written)} files to {args.out}")
        return 0
