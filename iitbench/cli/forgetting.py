"""`iitbench forgetting --model MLLM --base LLM`: the text suite on both, paired item by item.

Both runs use the same dataset, prompt format and run settings (and are ordinary, resumable run directories under
OUTPUT/mllm and OUTPUT/base); the models are loaded one after the other, so two large models never share memory.
Writes OUTPUT/forgetting.{json,md,png,svg}: per task both accuracies, the delta with a paired bootstrap 95% CI,
McNemar's exact p-value and the per-item agreement.
"""

from __future__ import annotations

import argparse
import gc
import json
from pathlib import Path

from iitbench.cli.base import Command
from iitbench.cli.run import adapter_args, model_slug, resolve_suite

# A text-only multi-turn dialogue both models render with their own chat templates, to check the prompts are the same.
PROBE_CHAT = ({"role": "user", "content": "Which number is larger, 3 or 5?"}, {"role": "assistant", "content": "5"},
              {"role": "user", "content": "And 7 or 2?"})


class ForgettingCommand(Command):
    name = "forgetting"
    help = "Text forgetting: an MLLM vs its base LLM on the text suite, paired per item (delta, CI, McNemar)."
    example = "iitbench forgetting --model wings-tiny --base base-tiny --output runs/forgetting-wings"

    def add_arguments(self, p: argparse.ArgumentParser) -> None:
        p.add_argument("--model", required=True, help="the multimodal model, e.g. wings-tiny, hf:DIR")
        p.add_argument("--base", required=True, help="its base LLM, e.g. base-tiny, hf-causal:DIR")
        p.add_argument("--model-args", default="", help="k=v,... for --model")
        p.add_argument("--base-args", default="", help="k=v,... for --base")
        p.add_argument("--suite", default="text", help="text (default) or a dataset directory; image items are "
                       "not applicable to a text-only base and are left out of the pairing (counted)")
        p.add_argument("--candidates", default=None, choices=["letter", "text"],
                       help="default: the format --model was trained for; both models get the same prompts")
        p.add_argument("--batch-size", type=int, default=8)
        p.add_argument("--limit", type=int, default=None, help="first N items of each config")
        p.add_argument("--seed", type=int, default=0, help="seed of the suite and of the bootstrap")
        p.add_argument("--n-boot", type=int, default=2000, help="bootstrap resamples")
        p.add_argument("--device", choices=["cpu", "cuda", "auto"], default=None)
        p.add_argument("--output", default=None, help="default iitbench-runs/forgetting/<mllm>-vs-<base>")
        p.add_argument("--no-progress", action="store_true")

    def run(self, args: argparse.Namespace) -> int:
        from iitbench.data.manifest import load_dataset_dir
        from iitbench.errors import UserError
        from iitbench.metrics.forgetting import paired_forgetting
        from iitbench.models import load_model, parse_model_args
        from iitbench.report.forgetting import forgetting_markdown, forgetting_plot
        from iitbench.runner import PromptFormat, RunSettings, run_dataset
        from iitbench.runner.samplelog import read_records

        if args.batch_size < 1 or (args.limit is not None and args.limit < 1) or args.n_boot < 100:
            raise UserError("--batch-size and --limit must be at least 1, --n-boot at least 100")
        if args.suite in ("iit", "mm", "all"):
            raise UserError(f"--suite {args.suite}: forgetting compares text skills; use text or a dataset directory")
        path, _ = resolve_suite(args.suite, args.seed)
        dataset = load_dataset_dir(path)
        out = Path(args.output or Path("iitbench-runs") / "forgetting" /
                   f"{model_slug(args.model)}-vs-{model_slug(args.base)}")
        # Parse both argument lists before the (slow) first model load, so a typo fails at once.
        specs = {"mllm": (args.model, adapter_args(args.model, parse_model_args(args.model_args), args.device)),
                 "base": (args.base, adapter_args(args.base, parse_model_args(args.base_args), args.device))}
        runs, probes = {}, {}
        settings = None
        for role, (spec, margs) in specs.items():
            adapter = load_model(spec, margs)
            if settings is None:  # the MLLM's answer format, for both models: identical prompts
                settings = RunSettings(batch_size=args.batch_size, limit=args.limit, seed=args.seed,
                                       prompt_format=PromptFormat.for_candidates(args.candidates
                                                                                 or adapter.capabilities.candidates))
            outcome = run_dataset(adapter, dataset, settings, out / role, model_spec=spec, model_args=margs,
                                  dataset_path=str(path), progress=not args.no_progress)
            runs[role] = outcome.results
            probes[role] = adapter.apply_chat_template(list(PROBE_CHAT))
            del adapter
            gc.collect()
        records = {role: read_records(out / role / "samples.jsonl") for role in runs}
        summary = {
            "models": {role: {"name": r["model"]["name"], "fingerprint": r["model"]["fingerprint"],
                              "run_dir": str(out / role)} for role, r in runs.items()},
            "data": runs["mllm"]["data"],
            "template": {"prompt_hash": settings.prompt_format.hash,
                         "mllm_chat_template_hash": runs["mllm"]["model"].get("chat_template_hash"),
                         "base_chat_template_hash": runs["base"]["model"].get("chat_template_hash"),
                         # Adapters hash their templates differently; the rendered probe dialogue is what counts.
                         "rendered_probe_match": None if None in probes.values()
                         else probes["mllm"] == probes["base"],
                         "chat_templates_match": runs["mllm"]["model"].get("chat_template_hash")
                         == runs["base"]["model"].get("chat_template_hash")
                         if None in probes.values() else probes["mllm"] == probes["base"]},
            "comparison": paired_forgetting(records["mllm"], records["base"], n_boot=args.n_boot, seed=args.seed),
        }
        (out / "forgetting.json").write_text(json.dumps(summary, indent=2) + "\n")
        md = forgetting_markdown(summary)
        (out / "forgetting.md").write_text(md)
        forgetting_plot(summary, out / "forgetting")
        print("\n" + md)
        print(f"written: {out / 'forgetting.json'}, forgetting.md, forgetting.png, forgetting.svg")
        return 0
