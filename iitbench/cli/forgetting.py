"""`iitbench forgetting --model MLLM --base LLM`: the text suite on both, paired item by item.

Argument parsing + `iitbench.api.forgetting` + printing; see that function for what is written.
"""

from __future__ import annotations

import argparse

from iitbench.cli.base import Command, add_common


class ForgettingCommand(Command):
    name = "forgetting"
    help = "Text forgetting: an MLLM vs its base LLM on the text suite, paired per item (delta, CI, McNemar)."
    example = "iitbench forgetting --model wings-tiny --base base-tiny --output runs/forgetting-wings"

    def add_arguments(self, p: argparse.ArgumentParser) -> None:
        from iitbench.runner.render import CANDIDATES

        p.add_argument("--model", required=True, help="the multimodal model, e.g. wings-tiny, hf:DIR")
        p.add_argument("--base", required=True, help="its base LLM, e.g. base-tiny, hf-causal:DIR")
        p.add_argument("--model-args", default="", help="k=v,... for --model")
        p.add_argument("--base-args", default="", help="k=v,... for --base")
        p.add_argument("--suite", default="text", help="text (default) or a dataset directory; image items are "
                       "not applicable to a text-only base and are left out of the pairing (counted)")
        p.add_argument("--candidates", default=None, choices=CANDIDATES,
                       help="default: the format --model was trained for; both models get the same prompts")
        p.add_argument("--batch-size", type=int, default=8)
        p.add_argument("--limit", type=int, default=None, help="first N items of each config")
        p.add_argument("--n-boot", type=int, default=2000, help="bootstrap resamples")
        add_common(p, seed="seed of the suite and of the bootstrap",
                   output="default iitbench-runs/forgetting/<mllm>-vs-<base>")

    def run(self, args: argparse.Namespace) -> int:
        from iitbench.api import forgetting

        result = forgetting(args.model, args.base, mllm_args=args.model_args, base_args=args.base_args,
                            suite=args.suite, candidates=args.candidates, batch_size=args.batch_size,
                            limit=args.limit, seed=args.seed, n_boot=args.n_boot, device=args.device,
                            output=args.output, progress=not args.no_progress)
        print("\n" + result.markdown)
        print(f"written: {result.out_dir / 'forgetting.json'}, forgetting.md, forgetting.png, forgetting.svg")
        return 0
