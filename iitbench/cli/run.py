"""`iitbench run`: score a model on one or more suites (teacher-forced or free-running), resumably.

Suites: `iit` (default), `text`, `mm` are the embedded IIT-synth suites, built and cached on first use; `all` is the
three of them; anything else is a dataset directory (write `./iit` for a directory named like a suite).
`lm-eval:TASK[,TASK...]` runs lm-eval tasks through `iitbench.lmeval` with the same adapter (`--include-path` adds
task YAML folders); it writes lm_eval_results.json beside results.json.
`--device` is passed to adapters whose constructor takes a `device` argument (unless --model-args sets it); adapters
without one (dummy, random) ignore it.
"""

from __future__ import annotations

import argparse
import inspect
import re
from pathlib import Path
from typing import Any

from iitbench.cli.base import Command
from iitbench.errors import UserError

NAMED_SUITES = ("iit", "text", "mm")


def model_slug(spec: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", spec).strip("-") or "model"


def parse_suites(values: list[str] | None) -> list[str]:
    """Repeatable and comma-separated; `all` expands to the named suites; duplicates dropped, order kept."""
    out: list[str] = []
    for value in values or ["iit"]:
        if value.strip().startswith("lm-eval:"):  # its commas separate lm-eval tasks, not suites
            out.append(value.strip())
            continue
        for s in (v.strip() for v in value.split(",")):
            if not s:
                continue
            for name in (NAMED_SUITES if s == "all" else (s,)):
                if name not in out:
                    out.append(name)
    if not out:
        raise UserError("--suite: empty; use iit, text, mm, all or a dataset directory")
    return out


def resolve_suite(suite: str, seed: int) -> tuple[Path, str]:
    """(dataset dir, short name) of a suite; named suites are built on first use."""
    if suite in NAMED_SUITES:
        try:
            from iitbench.build.suites import ensure_suite
        except ImportError as e:
            raise UserError(f"--suite {suite}: the IIT-synth builder is unavailable ({e}); pass a dataset directory") from None
        return Path(ensure_suite(suite, seed)), suite
    path = Path(suite)
    if not path.is_dir():
        raise UserError(f"--suite {suite}: not iit, text, mm, all or an existing dataset directory")
    return path, model_slug(path.resolve().name)


def adapter_args(model: str, args: dict[str, Any], device: str | None) -> dict[str, Any]:
    """Add `device` for adapters that take it and were not given one in --model-args."""
    if device is None or "device" in args:
        return args
    from iitbench.models import MODELS, split_model_name

    cls = MODELS.get(split_model_name(model)[0])
    params = inspect.signature(cls.__init__).parameters
    if "device" in params or any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return {**args, "device": device}
    return args


class RunCommand(Command):
    name = "run"
    help = "Score a model on IIT dialogues (teacher-forced or free-running); rerun the same command to resume."
    example = "iitbench run --model random --suite iit --mode free-running --output runs/random"

    def add_arguments(self, p: argparse.ArgumentParser) -> None:
        p.add_argument("--model", required=True, help="model name, e.g. wings-tiny, hf:ID, hf-causal:DIR, random")
        p.add_argument("--model-args", default="", help="k=v,... passed to the adapter")
        p.add_argument("--suite", action="append", help="iit | text | mm | all | DATASET_DIR; repeatable or comma list "
                       "(default iit)")
        p.add_argument("--mode", default="teacher-forced", choices=["teacher-forced", "free-running"])
        p.add_argument("--free-running-source", default="score", choices=["score", "generate"],
                       help="free-running context answers: the best-scored option, or the model's generated reply "
                       "(its prediction is the option letter it names, else the best-scored one)")
        p.add_argument("--candidates", default=None, choices=["letter", "text"],
                       help="score the option letters or the option texts (default: the format the model was "
                       "trained for, letters for most models, texts for the tiny zoo)")
        p.add_argument("--batch-size", type=int, default=8, help="requests per model call (scores do not depend on it)")
        p.add_argument("--limit", type=int, default=None, help="first N items of each config, in dataset order")
        p.add_argument("--seed", type=int, default=0, help="seed of suite building and of the run")
        p.add_argument("--device", choices=["cpu", "cuda", "auto"], default=None,
                       help="passed to adapters that take a device (ignored by dummy and random)")
        p.add_argument("--output", default=None, help="run directory (default iitbench-runs/<model>/<suite>-<mode>); "
                       "with several suites each goes to OUTPUT/<suite>")
        p.add_argument("--no-progress", action="store_true", help="no progress bar")
        p.add_argument("--include-path", default=None, help="--suite lm-eval:TASK,...: a folder of extra lm-eval task "
                       "YAML files (e.g. from iitbench export-lm-eval, or local copies of Hub datasets)")

    def run(self, args: argparse.Namespace) -> int:
        from iitbench.data.manifest import load_dataset_dir
        from iitbench.models import load_model, parse_model_args
        from iitbench.report.markdown import run_table
        from iitbench.runner import PromptFormat, RunSettings, run_dataset
        from iitbench.runner.distributed import init_world, world_from_env

        suites = parse_suites(args.suite)
        if args.limit is not None and args.limit < 1:
            raise UserError(f"--limit {args.limit}: must be at least 1")
        if args.batch_size < 1:
            raise UserError(f"--batch-size {args.batch_size}: must be at least 1")
        user_args = parse_model_args(args.model_args)
        model_args = adapter_args(args.model, user_args, args.device)
        lm_suites = [s for s in suites if s.startswith("lm-eval:")]
        if lm_suites and world_from_env().distributed:
            raise UserError(f"--suite {lm_suites[0]}: lm-eval suites run in one process; launch without torchrun")
        resolved = [resolve_suite(s, args.seed) for s in suites if s not in lm_suites]  # fail before loading
        init_world()  # torchrun: join the group (and pick this rank's GPU) before the model is loaded
        adapter = load_model(args.model, model_args)
        settings = RunSettings(mode=args.mode, free_running_source=args.free_running_source,
                               batch_size=args.batch_size, limit=args.limit, seed=args.seed,
                               prompt_format=PromptFormat.for_candidates(args.candidates
                                                                         or adapter.capabilities.candidates))
        if lm_suites:
            from iitbench.lmeval.suite import run_cli_suites

            run_cli_suites(adapter, lm_suites, args, model_args, several=len(suites) > 1)
        for path, short in resolved:
            if args.output is None:
                out = Path("iitbench-runs") / model_slug(args.model) / f"{short}-{args.mode}"
            else:
                out = Path(args.output) / short if len(resolved) > 1 else Path(args.output)
            dataset = load_dataset_dir(path)
            outcome = run_dataset(adapter, dataset, settings, out, model_spec=args.model, model_args=model_args,
                                  dataset_path=str(path), progress=not args.no_progress)
            note = f" ({outcome.resumed} resumed)" if outcome.resumed else ""
            if not world_from_env().is_main:  # torchrun: rank 0 reports for all
                continue
            print(f"\n## {short} — {args.model}, {args.mode}\n")
            print(run_table(outcome.results))
            print(f"results: {outcome.run_dir / 'results.json'}{note}")
        return 0
