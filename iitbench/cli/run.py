"""`iitbench run`: score a model on one or more suites (teacher-forced or free-running), resumably.

Argument parsing + `iitbench.api.evaluate_suites` + printing. Suites: `iit` (default), `text`, `mm` (embedded
IIT-synth, built and cached on first use), `all`, a dataset directory, or `lm-eval:TASK[,TASK...]` (lm-eval tasks
through `iitbench.lmeval` with the same adapter; `--include-path` adds task YAML folders).
`--device` is passed to adapters whose constructor takes a `device` argument (unless --model-args sets it).
"""

from __future__ import annotations

import argparse

from iitbench.cli.base import Command, add_common


class RunCommand(Command):
    name = "run"
    help = "Score a model on IIT dialogues (teacher-forced or free-running); rerun the same command to resume."
    example = "iitbench run --model random --suite iit --mode free-running --output runs/random"

    def add_arguments(self, p: argparse.ArgumentParser) -> None:
        from iitbench.runner.engine import FREE_RUNNING_SOURCES, MODES
        from iitbench.runner.render import CANDIDATES

        p.add_argument("--model", required=True, help="model name, e.g. wings-tiny, hf:ID, hf-causal:DIR, random")
        p.add_argument("--model-args", default="", help="k=v,... passed to the adapter")
        p.add_argument("--suite", action="append", help="iit | text | mm | all | mme | scienceqa-img | hallusionbench | "
                       "mmbench-en | mmbench-cn | paper-mm | DATASET_DIR | lm-eval:TASK,...; repeatable or comma list "
                       "(default iit)")
        p.add_argument("--mode", default=MODES[0], choices=MODES)
        p.add_argument("--free-running-source", default=FREE_RUNNING_SOURCES[0], choices=FREE_RUNNING_SOURCES,
                       help="free-running context answers: the best-scored option, or the model's generated reply "
                       "(its prediction is the option letter it names, else the best-scored one)")
        p.add_argument("--candidates", default=None, choices=CANDIDATES,
                       help="score the option letters or the option texts (default: the format the model was "
                       "trained for, letters for most models, texts for the tiny zoo)")
        p.add_argument("--batch-size", type=int, default=8, help="requests per model call (scores do not depend on it)")
        p.add_argument("--limit", type=int, default=None, help="first N items of each config, in dataset order")
        add_common(p, seed="seed of suite building and of the run",
                   output="run directory (default iitbench-runs/<model>/<suite>-<mode>); with several suites each "
                   "goes to OUTPUT/<suite>")
        p.add_argument("--include-path", default=None, help="--suite lm-eval:TASK,...: a folder of extra lm-eval task "
                       "YAML files (e.g. from iitbench export-lm-eval, or local copies of Hub datasets)")

    def run(self, args: argparse.Namespace) -> int:
        from iitbench.api import evaluate_suites
        from iitbench.runner.distributed import world_from_env

        runs = evaluate_suites(args.model, args.suite or ["iit"], model_args=args.model_args, mode=args.mode,
                               free_running_source=args.free_running_source, candidates=args.candidates,
                               batch_size=args.batch_size, limit=args.limit, seed=args.seed, device=args.device,
                               output=args.output, progress=not args.no_progress, include_path=args.include_path)
        if not world_from_env().is_main:  # torchrun: rank 0 reports for all
            return 0
        for short, run in runs.items():
            if run.lm_eval is not None:
                print(f"\n## {short} — {args.model}\n\n{run.table}")
                print(f"results: {run.run_dir / 'results.json'} (lm-eval's: {run.run_dir / 'lm_eval_results.json'})")
                continue
            note = f" ({run.resumed} resumed)" if run.resumed else ""
            print(f"\n## {short} — {args.model}, {args.mode}\n")
            print(run.table)
            print(f"results: {run.run_dir / 'results.json'}{note}")
        return 0
