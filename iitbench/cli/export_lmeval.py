"""`iitbench export-lm-eval`: write IIT-synth's text families as lm-eval tasks (YAML + local JSONL)."""

from __future__ import annotations

import argparse

from iitbench.cli.base import Command


class ExportLmEvalCommand(Command):
    name = "export-lm-eval"
    help = ("Export IIT-synth's text families as lm-eval multiple-choice tasks (one per family + group "
            "iitsynth_text), with local JSONL data at absolute paths.")
    example = ("iitbench export-lm-eval --out lm-eval-tasks && python -m iitbench.lmeval run --model iitbench "
               "--model_args model=dummy --tasks iitsynth_text --include_path lm-eval-tasks")

    def add_arguments(self, p: argparse.ArgumentParser) -> None:
        p.add_argument("--out", required=True, help="output folder (pass it to lm-eval as --include_path); the YAML "
                       "files name the data by absolute path, so export again after moving it")
        p.add_argument("--seed", type=int, default=0, help="IIT-synth seed")
        p.add_argument("--n-per-family", type=int, default=50, help="questions per family")

    def run(self, args: argparse.Namespace) -> int:
        from iitbench.lmeval.tasks import export_synth_tasks
        from iitbench.runner.outputs import check_output

        check_output(args.out, "lm-eval", flag="--out")
        done = export_synth_tasks(args.out, seed=args.seed, n_per_family=args.n_per_family)
        print(f"wrote {len(done.tasks)} tasks + group {done.group} to {done.root} "
              f"({len(done.files)} files); run them with --tasks {done.group} --include_path {done.root.resolve()}")
        return 0
