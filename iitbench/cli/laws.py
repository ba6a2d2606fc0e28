"""`iitbench laws`: MLLM-LAWS curves and the attention-shift score of one model, or a comparison of several.

One model: the scored turn of every item with an image (earlier turns answered with the gold answer) is rendered, its tokens are split
into V_before / V_image / V_after (plus other, between, marker), and the attention mass each layer sends to each
segment is extracted; OUTPUT/laws.npz, laws_summary.json and laws_curves.png/.svg are written.
Compare: `--compare DIR ... --output OUT [--forgetting FDIR ...]` overlays the curves, plots shift per model and,
with forgetting results paired in order, shift against the text-accuracy delta with Pearson r and a bootstrap CI.
"""

from __future__ import annotations

import argparse
import json
import platform
from pathlib import Path

from iitbench.cli.base import Command


class LawsCommand(Command):
    name = "laws"
    help = "MLLM-LAWS: per-layer attention mass on text before / image / text after, and the attention shift."
    example = "iitbench laws --model wings-tiny --suite iit --limit 50 --output runs/laws-wings-tiny"

    def add_arguments(self, p: argparse.ArgumentParser) -> None:
        p.add_argument("--model", help="the model, e.g. wings-tiny, hf:DIR, hf-causal:DIR")
        p.add_argument("--model-args", default="", help="k=v,... for --model")
        p.add_argument("--data", default=None, help="a dataset directory (default: --suite)")
        p.add_argument("--suite", default="iit", help="iit (default) or another named suite / dataset directory")
        p.add_argument("--limit", type=int, default=None, help="first N items")
        p.add_argument("--head-reduction", choices=["sum", "mean"], default="sum")
        p.add_argument("--per-query-norm", action="store_true", help="divide masses by the number of query tokens")
        p.add_argument("--segments", choices=["content", "all-text"], default="content")
        p.add_argument("--backend", choices=["auto", "eager"], default="auto")
        p.add_argument("--batch-size", type=int, default=1)
        p.add_argument("--seed", type=int, default=0, help="seed of the suite and of the bootstraps")
        p.add_argument("--n-boot", type=int, default=1000)
        p.add_argument("--device", choices=["cpu", "cuda", "auto"], default=None)
        p.add_argument("--output", "--out", dest="output", default=None, help="output directory")
        p.add_argument("--compare", nargs="+", default=None, metavar="DIR", help="laws output dirs to compare")
        p.add_argument("--forgetting", nargs="+", default=None, metavar="FDIR",
                       help="`iitbench forgetting` output dirs, one per --compare dir, same order")

    def run(self, args: argparse.Namespace) -> int:
        from iitbench.errors import UserError

        if args.n_boot < 100:
            raise UserError("--n-boot must be at least 100")
        if args.compare:
            return compare(args)
        if not args.model:
            raise UserError("laws: give --model NAME (or --compare DIR ...)")
        return analyse(args)


def _requests(dataset, limit: int | None):
    from iitbench.laws.protocol import LawsRequest
    from iitbench.runner.render import PromptFormat, render

    fmt = PromptFormat()
    # Only dialogues with an image have a shift; text-only items are skipped (counted in the summary), and
    # --limit counts the image dialogues.
    items = [item for item in dataset.items if item.has_image]
    items = items[:limit] if limit else items
    out = []
    for item in items:
        answers = [fmt.context_answer(item.turns[j], item.turns[j].answer) for j in range(item.scored_turn)]
        out.append(LawsRequest(key=f"{item.id}#{item.scored_turn}",
                               messages=render(item, item.scored_turn, dataset.root, fmt, answers)))
    return out


def analyse(args: argparse.Namespace) -> int:
    import numpy
    import torch
    import transformers

    from iitbench import __version__
    from iitbench.cli.run import adapter_args, model_slug, resolve_suite
    from iitbench.data.manifest import load_dataset_dir
    from iitbench.errors import ModelError, UserError
    from iitbench.laws.plots import plot_curves
    from iitbench.laws.protocol import LawsOptions
    from iitbench.laws.store import write_laws
    from iitbench.models import load_model, parse_model_args

    if args.limit is not None and args.limit < 1:
        raise UserError("--limit must be at least 1")
    options = LawsOptions(head_reduction=args.head_reduction, per_query_norm=args.per_query_norm,
                          segments=args.segments, backend=args.backend, batch_size=args.batch_size)
    margs = adapter_args(args.model, parse_model_args(args.model_args), args.device)
    adapter = load_model(args.model, margs)
    if not adapter.capabilities.attention or not hasattr(adapter, "attention_mass"):
        raise ModelError(f"--model {args.model}: this model cannot expose its attention (no LAWS); use a wings, hf "
                         f"or hf-causal model")
    path = Path(args.data) if args.data else resolve_suite(args.suite, args.seed)[0]
    dataset = load_dataset_dir(path)
    requests = _requests(dataset, args.limit)
    results = adapter.attention_mass(requests, options)
    header = {
        "model": {"name": args.model, "args": margs, **adapter.describe()},
        "data": {"path": str(path), "name": dataset.card.name, "fingerprint": dataset.fingerprint,
                 "n": len(requests), "skipped_without_image": sum(not i.has_image for i in dataset.items)},
        "settings": {"head_reduction": options.head_reduction, "per_query_norm": options.per_query_norm,
                     "segments": options.segments, "backend": options.backend, "batch_size": options.batch_size,
                     "n_boot": args.n_boot, "seed": args.seed, "prompt_hash": _prompt_hash()},
        "versions": {"iitbench": __version__, "torch": torch.__version__, "transformers": transformers.__version__,
                     "numpy": numpy.__version__, "python": platform.python_version()},
    }
    out = Path(args.output or Path("iitbench-runs") / "laws" / model_slug(args.model))
    summary = write_laws(out, results, header, args.n_boot, args.seed)
    plot_curves(summary, out / "laws_curves")
    sh = summary["shift"]
    print(f"{args.model}: shift {sh['value']:.4f} [{sh['lo']:.4f}, {sh['hi']:.4f}] over {summary['n_used']} samples "
          f"({summary['excluded']['count']} excluded); wrote {out}")
    return 0


def _prompt_hash() -> str:
    from iitbench.runner.render import PromptFormat

    return PromptFormat().hash


def compare(args: argparse.Namespace) -> int:
    from iitbench.errors import DataError, UserError
    from iitbench.laws.curves import correlation
    from iitbench.laws.plots import plot_compare, plot_shift_vs_forgetting
    from iitbench.laws.store import read_summary

    if not args.output:
        raise UserError("--compare needs --output DIR")
    if args.forgetting and len(args.forgetting) != len(args.compare):
        raise UserError(f"--forgetting: give one directory per --compare directory ({len(args.compare)}), "
                        f"got {len(args.forgetting)}")
    summaries = [read_summary(Path(d)) for d in args.compare]
    names = [s["model"]["name"] for s in summaries]
    out = Path(args.output)
    plot_compare(summaries, names, out / "laws_compare")
    report = {"models": [{"name": n, "dir": str(d), "shift": s["shift"], "settings": s["settings"]}
                         for n, d, s in zip(names, args.compare, summaries)]}
    if args.forgetting:
        deltas = []
        for d in args.forgetting:
            path = Path(d) / "forgetting.json"
            try:
                deltas.append(float(json.loads(path.read_text(encoding="utf-8"))["comparison"]["overall"]["delta"]))
            except (OSError, ValueError, KeyError, TypeError):
                raise DataError(f"{path}: no comparison.overall.delta; run `iitbench forgetting` first") from None
        shifts = [s["shift"]["value"] for s in summaries]
        corr = correlation(shifts, deltas, n_boot=args.n_boot, seed=args.seed).to_json() if len(shifts) >= 3 else None
        plot_shift_vs_forgetting(shifts, deltas, names, corr, out / "laws_shift_vs_forgetting")
        report["forgetting"] = {"dirs": list(args.forgetting), "deltas": deltas, "pearson": corr}
    (out / "laws_compare.json").write_text(json.dumps(report, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"compared {len(names)} models; wrote {out}")
    return 0
