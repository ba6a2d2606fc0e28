"""Errors raised by wings_ref on bad input (kept free of any iitbench import: wings_ref stands alone)."""

from __future__ import annotations

import argparse


class CheckpointError(ValueError):
    """A checkpoint directory cannot be loaded; the one-line message names the file or key and what to do."""


class OneLineParser(argparse.ArgumentParser):
    """argparse with usage errors on one line (exit 2), like every other bad input of the wings_ref commands."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def check_new_output(out) -> None:
    """An output directory that is new or empty, writable, and not a file nor under one (checked before any work);
    the same rule as iitbench's outputs, kept here because wings_ref stands alone."""
    import os
    from pathlib import Path

    out = Path(out)
    if out.is_dir() and any(out.iterdir()):
        raise CheckpointError(f"{out}: output directory is not empty; choose a new one")
    for parent in (out, *out.parents):
        if parent.exists():
            if not parent.is_dir():
                raise CheckpointError(f"{out}: {'is' if parent == out else f'is under {parent}, which is'} a file, "
                                      "not a directory; choose another output")
            if not os.access(parent, os.W_OK | os.X_OK):
                raise CheckpointError(f"{out}: {parent} is not writable; choose another output")
            return


def name_some(items, limit: int = 1) -> str:
    """'a' / 'a (and 3 more)': keeps a message about many keys or files to one line."""
    items = sorted(items)
    shown = ", ".join(repr(str(item)) for item in items[:limit])
    rest = len(items) - limit
    return f"{shown} (and {rest} more)" if rest > 0 else shown


__all__ = ["CheckpointError", "OneLineParser", "check_new_output", "name_some"]
