"""The subcommand base class."""

from __future__ import annotations

import argparse


class Command:
    """A subcommand: `name`, one-line `help`, an `example` shown in --help, arguments and `run`."""

    name: str = ""
    help: str = ""
    example: str = ""

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        pass

    def run(self, args: argparse.Namespace) -> int:
        raise NotImplementedError
