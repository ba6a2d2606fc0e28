"""`iitbench laws`: MLLM-LAWS curves and the attention-shift score of one model, or a comparison of several.

Argument parsing + `iitbench.api.attention_shift` (one model) or `iitbench.api.compare_shifts` (`--compare DIR ...
--output OUT [--forgetting FDIR ...]`) + printing; see those functions for what is written.
"""

from __future__ import annotations

import argparse

from iitbench.cli.base import Command, add_common


class LawsCommand(Command):
    name = "laws"
    help = "MLLM-LAWS: per-layer attention mass on text before / image / text after, and the attention shift."
    example = "iitbench laws --model wings-tiny --suite iit --limit 50 --output runs/laws-wings-tiny"

    def add_arguments(self, p: argparse.ArgumentParser) -> None:
        from iitbench.laws.protocol import BACKENDS, HEAD_REDUCTIONS, QUERY_MODES, SEGMENT_MODES, SINK_MODES

        p.add_argument("--model", help="the model, e.g. wings-tiny, hf:DIR, hf-causal:DIR")
        p.add_argument("--model-args", default="", help="k=v,... for --model")
        p.add_argument("--data", default=None, help="a dataset directory (default: --suite)")
        p.add_argument("--suite", default="iit", help="iit (default) or another named suite / dataset directory")
        p.add_argument("--limit", type=int, default=None, help="first N image dialogues")
        p.add_argument("--head-reduction", choices=HEAD_REDUCTIONS, default=HEAD_REDUCTIONS[0])
        p.add_argument("--per-query-norm", action="store_true", help="divide masses by the number of query tokens")
        p.add_argument("--segments", choices=SEGMENT_MODES, default=SEGMENT_MODES[0])
        p.add_argument("--backend", choices=BACKENDS, default=BACKENDS[0])
        p.add_argument("--sinks", choices=SINK_MODES, default=SINK_MODES[0],
                       help="exclude: attention-sink tokens (the first token, and tokens taking >= 20%% of a layer's "
                       "mass in half the layers) leave their segment")
        p.add_argument("--queries", choices=QUERY_MODES, default=QUERY_MODES[0],
                       help="which query rows are summed: all (default, the paper's definition), after-image (from "
                       "the first token of the text after the image on: the rows that see all three segments) or "
                       "answer (the prompt's last token, whose next token is the answer)")
        p.add_argument("--reference-base", default=None, metavar="LLM",
                       help="also run this text-only LLM (the model's base) on the same dialogues without the image "
                       "and record its curves and shift next to the model's")
        p.add_argument("--reference-base-args", default="", help="k=v,... for --reference-base")
        p.add_argument("--batch-size", type=int, default=1)
        p.add_argument("--n-boot", type=int, default=1000)
        p.add_argument("--compare", nargs="+", default=None, metavar="DIR", help="laws output dirs to compare")
        p.add_argument("--forgetting", nargs="+", default=None, metavar="FDIR",
                       help="`iitbench forgetting` output dirs, one per --compare dir, same order")
        add_common(p, seed="seed of the suite and of the bootstraps",
                   output="output directory (default iitbench-runs/laws/<model>)")
        p.add_argument("--out", dest="output", help=argparse.SUPPRESS)  # older spelling of --output

    def run(self, args: argparse.Namespace) -> int:
        from iitbench.api import attention_shift, compare_shifts
        from iitbench.errors import UserError

        if args.compare:
            if not args.output:
                raise UserError("--compare needs --output DIR")
            done = compare_shifts(args.compare, args.output, forgetting_dirs=args.forgetting, n_boot=args.n_boot,
                                  seed=args.seed)
            print(f"compared {len(done.report['models'])} models; wrote {done.out_dir}")
            return 0
        if not args.model:
            raise UserError("laws: give --model NAME (or --compare DIR ...)")
        result = attention_shift(args.model, args.data or args.suite, model_args=args.model_args, limit=args.limit,
                                 head_reduction=args.head_reduction, per_query_norm=args.per_query_norm,
                                 segments=args.segments, backend=args.backend, batch_size=args.batch_size,
                                 sinks=args.sinks, queries=args.queries, reference_base=args.reference_base,
                                 reference_base_args=args.reference_base_args,
                                 seed=args.seed, n_boot=args.n_boot, device=args.device, output=args.output)
        sh, summary = result.shift, result.summary
        print(f"{args.model}: shift {sh['value']:.4f} [{sh['lo']:.4f}, {sh['hi']:.4f}] over {summary['n_used']} "
              f"samples ({summary['excluded']['count']} excluded); queries: {summary['queries_label']}; variant "
              f"{summary['variant']}; wrote {result.out_dir}")
        ref = summary.get("reference")
        if ref:
            d = ref["shift_difference"]
            print(f"reference {ref['model']['name']} (same dialogues, no image): shift {ref['shift']['value']:.4f} "
                  f"[{ref['shift']['lo']:.4f}, {ref['shift']['hi']:.4f}]; model - reference {d['value']:+.4f} "
                  f"[{d['lo']:+.4f}, {d['hi']:+.4f}] over {d['n']} paired samples")
        return 0
