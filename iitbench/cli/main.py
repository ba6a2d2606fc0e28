"""`iitbench` entry point: dispatch to the subcommand modules; UserError -> one line on stderr, exit 2."""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from iitbench import __version__
from iitbench.cli.base import Command
from iitbench.errors import UserError, unwritable_output

# module name -> class name; modules are imported only when their command runs (keeps `--help` fast).
COMMANDS = {
    "run": ("iitbench.cli.run", "RunCommand"),
    "build": ("iitbench.cli.build", "BuildCommand"),
    "models": ("iitbench.cli.models", "ModelsCommand"),
    "report": ("iitbench.cli.report", "ReportCommand"),
    "forgetting": ("iitbench.cli.forgetting", "ForgettingCommand"),
    "export-lm-eval": ("iitbench.cli.export_lmeval", "ExportLmEvalCommand"),
    "zoo": ("iitbench.cli.zoo", "ZooCommand"),
    "merge": ("iitbench.cli.merge", "MergeCommand"),
    "laws": ("iitbench.cli.laws", "LawsCommand"),
    "diagnose": ("iitbench.cli.diagnose", "DiagnoseCommand"),
    "study": ("iitbench.cli.study", "StudyCommand"),
    "leaderboard": ("iitbench.cli.leaderboard", "LeaderboardCommand"),
}


def _load(name: str) -> Command:
    mod, cls = COMMANDS[name]
    return getattr(importlib.import_module(mod), cls)()


class _Parser(argparse.ArgumentParser):
    """argparse with its usage errors on one line (exit 2), like every other bad input."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="iitbench",
        description="Measure what multimodal training does to a language model.",
        epilog="Example: iitbench run --model random --output runs/random",
    )
    parser.add_argument("--version", action="version", version=f"iitbench {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        cmd = _load(name)
        p = sub.add_parser(name, help=cmd.help.replace("%", "%%"), description=cmd.help,
                           epilog=f"Example:\n  {cmd.example}" if cmd.example else None,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        cmd.add_arguments(p)
        p.set_defaults(_command=cmd)
    return parser


def _set_threads(threads: int | None) -> None:
    """--threads: torch's CPU thread count (on a shared 2-core machine, 1 thread is often several times faster)."""
    if threads is None:
        return
    if threads < 1:
        raise UserError(f"--threads {threads}: must be at least 1")
    import torch

    torch.set_num_threads(threads)


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    # transformers' warnings (long inputs, remote code, load reports) would precede our one-line errors; what they
    # warn about is checked and reported by iitbench itself. TRANSFORMERS_VERBOSITY=warning brings them back.
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_command", None):
        parser.print_help()
        return 2
    try:
        _set_threads(getattr(args, "threads", None))
        return int(args._command.run(args) or 0)
    except UserError as e:
        print(f"iitbench {args.command}: error: {e}", file=sys.stderr)
        return e.exit_code
    except OSError as e:  # a disk that fills up (or a mount that turns read-only) after the output checks passed
        refused = unwritable_output(e, getattr(args, "output", None) or getattr(args, "out", None))
        if refused is None:
            raise
        print(f"iitbench {args.command}: error: {refused}", file=sys.stderr)
        return refused.exit_code
    except KeyboardInterrupt:
        print(f"iitbench {args.command}: interrupted; rerun the same command to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
