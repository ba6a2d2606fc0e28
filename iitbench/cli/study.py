"""`iitbench study STUDY.yaml`: every model of a study through its analyses (argument parsing + `run_study`)."""

from __future__ import annotations

import argparse

from iitbench.cli.base import Command


class StudyCommand(Command):
    name = "study"
    help = ("Run a study: models x analyses (IIT run, text forgetting, LAWS variants), each model's jobs resumable; "
            "local processes, Slurm or submitit's local executor.")
    example = "iitbench study studies/deep-zoo.yaml && iitbench leaderboard studies/deep-zoo --out leaderboards/deep"

    def add_arguments(self, p: argparse.ArgumentParser) -> None:
        p.add_argument("study", help="the study YAML file (see iitbench/study/config.py)")
        p.add_argument("--only", nargs="+", default=None, metavar="NAME", help="run just these models of the study")
        p.add_argument("--threads", type=int, default=None, metavar="N", help="torch CPU threads")

    def run(self, args: argparse.Namespace) -> int:
        from dataclasses import replace

        from iitbench.errors import UserError
        from iitbench.runner.outputs import check_output
        from iitbench.study.config import load_study
        from iitbench.study.dispatch import run_study

        study = load_study(args.study)
        if args.only:
            unknown = sorted(set(args.only) - {m.name for m in study.models})
            if unknown:
                raise UserError(f"--only {', '.join(unknown)}: not a model of {args.study}")
            study = replace(study, models=tuple(m for m in study.models if m.name in args.only))
        try:
            check_output(study.output, "study", flag="output")
        except UserError as e:  # the output is named in the study file, not by a flag
            raise UserError(f"{args.study}: {e}") from None
        results = run_study(study)
        done = sum(v == "done" for r in results.values() for v in r.values())
        print(f"study {study.name}: {len(results)} model(s), {done} job(s) run, results in {study.output}")
        return 0
