"""`python -m wings_ref.train CONFIG.yaml [--override key=value ...]` (also under torchrun / accelerate launch)."""

from __future__ import annotations

import argparse
import logging
import sys

from ..errors import OneLineParser, unwritable_message
from .config import load_config
from .errors import TrainConfigError, TrainDataError, one_line
from .trainer import build_run, train


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = OneLineParser(prog="python -m wings_ref.train", description="Train WINGS (stage 1, 2 or naive).")
    parser.add_argument("config", help="YAML or JSON TrainConfig (see wings_ref/train/configs/)")
    parser.add_argument("--override", "-o", action="append", default=[], metavar="KEY=VALUE",
                        help="override one config key; the value is read as YAML (repeatable)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Exit 0 on success, 2 on a config/data error or an output that cannot be written (one line on stderr)."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    cfg = None
    try:
        cfg = load_config(args.config, args.override)
        log = train(build_run(cfg))
    except (TrainConfigError, TrainDataError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        # a full disk after the output check, or a callback's bad-input error raised while training (exit_code 2)
        message = unwritable_message(exc, cfg.output_dir if cfg else args.config)
        if message is None and getattr(exc, "exit_code", None) == 2:
            message = one_line(exc)
        if message is None:
            raise
        print(f"error: {message}", file=sys.stderr)
        return 2
    print(f"trained {log['global_step']} steps, final model and train_log.json in {cfg.output_dir}")
    return 0


__all__ = ["main", "parse_args"]
