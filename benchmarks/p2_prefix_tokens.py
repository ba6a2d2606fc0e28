"""P2: tokens the model reads per unique token, with and without prefix sharing, on the IIT-synth `iit` suite.

Runs the embedded iit suite (4 choices, multi-turn prefixes; image turns are n/a for a text-only model) through
hf-causal on the benchmark Qwen2 (`bench_model.py`) twice: `prefix_sharing=true` (default) and `false` (the naive
one-sequence-per-candidate path). Prints tokens forwarded / tokens unique for each (goal: <= 1.3 shared, naive about
4), the wall times, and checks the two runs' predictions are identical and log-likelihoods within 1e-5.

    .venv/bin/python benchmarks/p2_prefix_tokens.py [--limit 20] [--candidates letter|text] [--batch-size 8]
    .venv/bin/python benchmarks/p2_prefix_tokens.py --model wings-tiny --candidates text   # images included

`--model SPEC` runs any adapter with a `prefix_sharing` argument instead (e.g. `wings-tiny`, `hf:DIR`): then the
image dialogues are scored too.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from bench_model import make_bench_model

from iitbench.data.manifest import load_dataset_dir
from iitbench.datasets.suites import ensure_suite
from iitbench.models import load_model
from iitbench.runner import PromptFormat, RunSettings, run_dataset

GOAL = 1.3


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=20, help="items per config")
    ap.add_argument("--candidates", default="letter", choices=["letter", "text"])
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--model", default=None, help="adapter spec (default: hf-causal on the benchmark Qwen2)")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    dataset = load_dataset_dir(ensure_suite("iit", 0))
    settings = RunSettings(batch_size=args.batch_size, limit=args.limit,
                           prompt_format=PromptFormat.for_candidates(args.candidates))
    print(f"iit suite, {args.limit} items/config, candidates {args.candidates}, load average {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as tmp:
        spec = args.model or f"hf-causal:{make_bench_model(Path(tmp) / 'model')}"
        runs = {}
        for sharing in (True, False):
            model_args = {"dtype": "float32", "prefix_sharing": sharing, "batch_size": args.batch_size}
            adapter = load_model(spec, model_args)
            t0 = time.perf_counter()
            out = run_dataset(adapter, dataset, settings, Path(tmp) / f"run-{sharing}", model_spec=spec,
                              model_args=model_args, progress=False)
            wall = time.perf_counter() - t0
            d = adapter.describe()
            ratio = d["tokens_forwarded"] / max(1, d["tokens_unique"])
            runs[sharing] = [json.loads(x) for x in (out.run_dir / "samples.jsonl").read_text().splitlines()]
            print(f"prefix_sharing={str(sharing).lower():5}  forwarded {d['tokens_forwarded']:>8}  unique "
                  f"{d['tokens_unique']:>8}  ratio {ratio:.3f}  records {out.computed}  wall {wall:.2f} s")
        ok = [r for r in runs[True] if r["status"] == "ok"]
        same = [a["prediction"] for a in runs[True]] == [b["prediction"] for b in runs[False]]
        diff = max(abs(x - y) for a, b in zip(runs[True], runs[False]) for x, y in zip(a["loglik"], b["loglik"]))
        print(f"{len(ok)} of {len(runs[True])} turns scored (n/a: images for a text-only model); predictions identical: {same}; max |loglik diff| "
              f"{diff:.2e}; goal: shared ratio <= {GOAL}")


if __name__ == "__main__":
    main()
