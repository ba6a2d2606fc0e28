"""`iitbench merge --model MLLM --base LLM --alpha A --out DIR`: an MLLM's LLM interpolated toward its base LLM.

Argument parsing + `iitbench.merge.merge_models` + printing; see that module for the formula and the output.
"""

from __future__ import annotations

import argparse

from iitbench.cli.base import Command


class MergeCommand(Command):
    name = "merge"
    help = ("Interpolate an MLLM's LLM weights toward its base LLM (alpha * MLLM + (1 - alpha) * base; projector and "
            "learners kept): a wings: checkpoint with provenance, no training.")
    example = "iitbench merge --model llava-tiny --base base-tiny --alpha 0.5 --out merged/llava-tiny-050"

    def add_arguments(self, p: argparse.ArgumentParser) -> None:
        p.add_argument("--model", required=True, help="the MLLM: wings:DIR, a checkpoint directory, llava-tiny, ...")
        p.add_argument("--base", required=True, help="the LLM it was trained from: base-tiny, smollm2-135m, "
                       "hf-causal:DIR or a directory")
        p.add_argument("--alpha", required=True, help="weight of the MLLM in [0, 1]: 1 = the MLLM, 0 = the base "
                       "LLM (with the MLLM's projector and learners); no extrapolation")
        p.add_argument("--out", "--output", dest="out", required=True, metavar="DIR",
                       help="output directory (new or empty; rerunning the same merge into it is a no-op)")
        p.add_argument("--threads", type=int, default=None, metavar="N", help="torch CPU threads")

    def run(self, args: argparse.Namespace) -> int:
        from iitbench.merge import merge_models

        result = merge_models(args.model, args.base, args.alpha, args.out)
        prov = result.provenance
        state = "up to date" if result.reused else f"{prov['tensors']['interpolated']} LLM tensors interpolated"
        print(f"merged {prov['mllm']['path']} with {prov['base']['path']} at alpha {prov['alpha']}: {state} -> "
              f"{result.out} (load it as wings:{result.out})")
        return 0


__all__ = ["MergeCommand"]
