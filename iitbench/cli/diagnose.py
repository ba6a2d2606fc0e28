"""`iitbench diagnose --model MLLM --base LLM`: rival predictors of text forgetting (output shift, CKA, weight
drift, text-image mixing).

Argument parsing + `iitbench.api.diagnose` + printing; see that function for what is written. A predictor the pair
cannot give is one line on stderr (the others are still computed, exit 0).
"""

from __future__ import annotations

import argparse
import sys

from iitbench.cli.base import Command, add_common


def _fmt(entry: dict) -> str:
    if entry["value"] is None:
        return "—"
    ci = f" [{entry['lo']:.4f}, {entry['hi']:.4f}]" if entry["lo"] is not None else ""
    return f"{entry['value']:.4f}{ci}"


class DiagnoseCommand(Command):
    name = "diagnose"
    help = ("Rival predictors of text forgetting, MLLM vs its base: output shift (KL/JS), CKA per layer, weight "
            "drift, text-image mixing.")
    example = "iitbench diagnose --model wings-tiny --base base-tiny --threads 1 --output runs/diagnose-wings"

    def add_arguments(self, p: argparse.ArgumentParser) -> None:
        from iitbench.diagnose.options import PREDICTORS
        from iitbench.runner.render import CANDIDATES

        p.add_argument("--model", required=True, help="the multimodal model, e.g. wings-tiny, hf:DIR, wings:DIR")
        p.add_argument("--base", required=True, help="its base LLM, e.g. base-tiny, hf-causal:DIR")
        p.add_argument("--model-args", default="", help="k=v,... for --model")
        p.add_argument("--base-args", default="", help="k=v,... for --base")
        p.add_argument("--suite", default="text", help="text items: text (default), text-real or a dataset directory")
        p.add_argument("--iit-suite", default="iit", help="image dialogues for mixing: iit (default) or a directory")
        p.add_argument("--limit", type=int, default=None, help="first N text items (per config)")
        p.add_argument("--iit-limit", type=int, default=100, help="image dialogues for mixing (default 100)")
        p.add_argument("--predictors", default=",".join(PREDICTORS),
                       help=f"comma-separated subset of {','.join(PREDICTORS)} (default all)")
        p.add_argument("--candidates", default=None, choices=CANDIDATES,
                       help="answer format of the prompts (default: as forgetting, the format --model was trained for)")
        p.add_argument("--batch-size", type=int, default=8)
        p.add_argument("--n-boot", type=int, default=2000, help="bootstrap resamples for the CIs over items")
        p.add_argument("--keep-work", action="store_true",
                       help="keep OUTPUT/work (per-item states and logits) after a complete run")
        add_common(p, seed="seed of the suites and of the bootstraps",
                   output="default iitbench-runs/diagnose/<mllm>-vs-<base>")

    def run(self, args: argparse.Namespace) -> int:
        from iitbench.api.diagnose import diagnose
        from iitbench.diagnose.results import refusal_line

        result = diagnose(args.model, args.base, mllm_args=args.model_args, base_args=args.base_args,
                          suite=args.suite, iit_suite=args.iit_suite, predictors=args.predictors,
                          candidates=args.candidates, limit=args.limit, iit_limit=args.iit_limit,
                          batch_size=args.batch_size, seed=args.seed, n_boot=args.n_boot, device=args.device,
                          output=args.output, keep_work=args.keep_work, progress=not args.no_progress)
        for predictor, reason in result.refusals.items():
            print(f"iitbench diagnose: {refusal_line(predictor, reason)}", file=sys.stderr)
        print(f"\n{args.model} vs {args.base}:")
        for key, entry in result.summary["summary"].items():
            print(f"  {key:20s} {_fmt(entry)}")
        computed = ", ".join(result.computed) or "nothing (all predictors were done)"
        print(f"computed: {computed} in {result.seconds:.1f} s; wrote {result.out_dir / 'diagnose.json'}")
        return 0
