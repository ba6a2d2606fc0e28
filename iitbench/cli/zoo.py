"""`iitbench zoo build|list`: train the tiny model zoo (deterministic, resumable) or list its models and cards."""

from __future__ import annotations

import argparse
from pathlib import Path

from iitbench.cli.base import Command

DEFAULT_LEADERBOARD = Path("leaderboards") / "zoo.md"


class ZooCommand(Command):
    name = "zoo"
    help = "Build the tiny model zoo (tokenizer, siglip-tiny, base-tiny, llava-tiny, wings-tiny) or list it."
    example = "iitbench zoo build --only llava-tiny wings-tiny --seed 0   |   iitbench zoo list"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="zoo_action", metavar="ACTION", required=True)
        build = sub.add_parser("build", help="train zoo models into --out (skips models whose card is current)")
        build.add_argument("--only", nargs="+", default=None, metavar="NAME",
                           help="models to build (default: all five shipped models; with --sweep: all sweep variants); "
                                "names from `iitbench zoo list`")
        build.add_argument("--out", "--output", dest="out", type=Path, default=None, metavar="DIR",
                           help="output directory (default: the shipped weights, iitbench/zoo/weights)")
        build.add_argument("--seed", type=int, default=0, help="training seed (default: 0)")
        build.add_argument("--family", default=None, choices=["deep", "real"],
                           help="build a study family into --out (deep: a 12-layer base and 26 MLLMs on it; "
                           "iitbench/zoo/deep.py; real: MLLMs on SmolLM2-135M-Instruct and merges, "
                           "iitbench/zoo/real.py); with --only, just the named ones")
        build.add_argument("--sweep", action="store_true",
                           help="build the sweep variants (ablations; with --only, just the named ones) into --out; "
                                "never into the shipped weights")
        build.add_argument("--work-dir", type=Path, default=None, metavar="DIR",
                           help="intermediate training stages and data (default: the iitbench cache)")
        build.add_argument("--leaderboard", type=Path, default=None, metavar="FILE",
                           help=f"markdown table written from the cards (default: {DEFAULT_LEADERBOARD})")
        build.add_argument("--no-eval", action="store_true", help="skip the suite evaluations (cards get no scores)")
        build.add_argument("--force", action="store_true", help="rebuild even when a card is current")
        build.add_argument("--threads", type=int, default=None, metavar="N",
                           help="torch CPU threads (training runs on the CPU by design: bit-reproducible weights)")
        sub.add_parser("list", help="list the zoo models, their recipe hashes and whether weights are built")

    def run(self, args: argparse.Namespace) -> int:
        if args.zoo_action == "list":
            print(list_zoo(), end="")
            return 0
        from iitbench.runner.outputs import check_output, check_output_file
        from iitbench.zoo import WEIGHTS_DIR
        from iitbench.zoo.train import train_zoo

        out = args.out if args.out is not None else WEIGHTS_DIR
        # the zoo leaderboard is written from the shipped models' and sweep's cards, not from a study family
        leaderboard = args.leaderboard or (DEFAULT_LEADERBOARD if args.family is None else None)
        check_output(out, "zoo", flag="--out")  # before hours of training, like every command's outputs
        if args.work_dir is not None:
            check_output(args.work_dir, "zoo", flag="--work-dir")
        if leaderboard is not None:
            check_output_file(leaderboard, "--leaderboard", parents=True)
        built = train_zoo(out, only=args.only, seed=args.seed, sweep=args.sweep, family=args.family,
                          work_dir=args.work_dir,
                          leaderboard=leaderboard, evaluate=not args.no_eval, force=args.force)
        print(f"Built {len(built)} zoo model(s) into {out}: {', '.join(built)}. Leaderboard: {leaderboard}")
        return 0


def list_zoo(weights: Path | None = None) -> str:
    """One line per model: name, kind, recipe hash (12), status of the shipped weights; then the sweep variants."""
    from iitbench.zoo import WEIGHTS_DIR
    from iitbench.zoo.cards import read_card
    from iitbench.zoo.recipes import RECIPES, recipe_hash
    from iitbench.zoo.sweep import sweep_recipes
    from iitbench.zoo.train import STAGES

    weights = WEIGHTS_DIR if weights is None else Path(weights)
    lines = [f"{'name':<28} {'kind':<15} {'recipe':<12}  weights"]
    for name, recipe, where in [(n, RECIPES[n], "shipped") for n in STAGES] + \
                               [(n, r, "sweep") for n, r in sweep_recipes().items()]:
        status = "sweep (build with --sweep --out DIR)" if where == "sweep" else "missing"
        if where == "shipped":
            try:
                card = read_card(weights / name)
                current = card.get("recipe", {}).get("kind") == type(recipe).__name__
                status = f"built (seed {card.get('seed')}, recipe {card.get('recipe_hash', '')[:12]})" + \
                         ("" if current else " stale")
            except (OSError, ValueError):
                pass
        lines.append(f"{name:<28} {type(recipe).__name__:<15} {recipe_hash(recipe)[:12]:<12}  {status}")
    return "\n".join(lines) + "\n"


__all__ = ["ZooCommand", "list_zoo"]
