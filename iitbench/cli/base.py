"""The subcommand base class and the options every long-running command shares."""

from __future__ import annotations

import argparse

from iitbench.models.hf_common import DEVICES


class Command:
    """A subcommand: `name`, one-line `help`, an `example` shown in --help, arguments and `run`."""

    name: str = ""
    help: str = ""
    example: str = ""

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        pass

    def run(self, args: argparse.Namespace) -> int:
        raise NotImplementedError


def add_common(p: argparse.ArgumentParser, *, seed: str = "seed", output: str = "output directory",
               device: bool = True) -> None:
    """--seed, --device, --output, --threads and --no-progress, the same on every long-running command."""
    p.add_argument("--seed", type=int, default=0, help=f"{seed} (default 0)")
    if device:
        p.add_argument("--device", choices=DEVICES, default=None,
                       help="passed to adapters that take a device (ignored by dummy and random)")
    p.add_argument("--output", default=None, help=output)
    p.add_argument("--threads", type=int, default=None, metavar="N",
                   help="torch CPU threads (default: torch's choice; on a busy machine 1 is often fastest)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
