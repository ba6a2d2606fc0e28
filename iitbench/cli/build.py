"""`iitbench build`: turn source questions into an IIT multi-turn dialogue dataset directory."""

from __future__ import annotations

import argparse
from pathlib import Path

from iitbench.build.grammar import parse_configs
from iitbench.build.group import GROUPINGS
from iitbench.build.inputs import HF_SOURCES, load_inputs
from iitbench.build.pipeline import build_dataset
from iitbench.cli.base import Command
from iitbench.errors import UserError

DEFAULT_PER_CONFIG = 100


class BuildCommand(Command):
    name = "build"
    help = "Build an IIT dialogue dataset (synthetic, Hugging Face or local sources) into a directory."
    example = "iitbench build --source synth --configs T,TT,TTV --per-config 50 --seed 0 --out data/iit-synth"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--source", default="synth", metavar="synth|hf|DIR",
                            help="synth (offline, default), hf (the 8 real sources from the Hub) or a directory with "
                                 f"one subdirectory per real source ({', '.join(HF_SOURCES)})")
        parser.add_argument("--sources", default=None, metavar="A,B",
                            help="with hf or DIR: which real sources to use (default: all available)")
        parser.add_argument("--configs", default=None, metavar="T,TT,...",
                            help="comma-separated configs over {T,V}, last turn scored (default: T,TT,TTT,TTV,TV,V)")
        parser.add_argument("--per-config", type=int, default=DEFAULT_PER_CONFIG, metavar="N",
                            help=f"dialogues per config (default: {DEFAULT_PER_CONFIG})")
        parser.add_argument("--seed", type=int, default=0, help="selection seed (default: 0)")
        parser.add_argument("--grouping", choices=GROUPINGS, default="embedding",
                            help="context turns: nearest neighbours by sentence embedding (default) or random")
        parser.add_argument("--embedder", default=None, metavar="ID_OR_DIR",
                            help="sentence-transformers model (default: the bundled all-MiniLM-L6-v2)")
        parser.add_argument("--split", default=None,
                            help="source split (default: test for synth, each source's evaluation split otherwise)")
        parser.add_argument("--out", required=True, type=Path, metavar="DIR", help="dataset directory to (re)write")

    def run(self, args: argparse.Namespace) -> int:
        configs = parse_configs(args.configs)
        if args.per_config < 1:
            raise UserError(f"--per-config {args.per_config}: must be at least 1")
        if args.embedder and args.grouping != "embedding":
            raise UserError("--embedder only applies to --grouping embedding; drop one of them")
        split = args.split or ("test" if args.source == "synth" else None)
        inputs = load_inputs(args.source, args.sources, split, args.seed)
        card = build_dataset(inputs, args.out, configs, args.per_config, args.seed, grouping=args.grouping,
                             embedder=args.embedder, split=split)
        per_config = ", ".join(f"{c}: {n}" for c, n in card.counts_per_config.items())
        sources = ", ".join(f"{s} {n}" for s, n in card.counts_per_source.items())
        licences = "; ".join(f"{s}: {lic}" for s, lic in card.licences.items())
        print(f"Built {card.n_items} dialogues into {args.out} ({per_config}) from {len(inputs.questions)} "
              f"{inputs.kind} questions with {card.build['grouping']} grouping, seed {args.seed}. "
              f"Turns per source: {sources}. Licences: {licences}. Fingerprint {card.fingerprint[:16]}.")
        return 0
