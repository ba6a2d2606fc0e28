"""Errors raised by wings_ref on bad input, and the output checks of its tools (wings_ref stands alone: it imports
no evaluation package)."""

from __future__ import annotations

import argparse
import errno

# OSError numbers that mean "this output cannot take the bytes" (full disk, quota, read-only mount, file size limit):
# the machine, not a bug, so the tools report them in one line with exit 2 (as iitbench does, iitbench/errors.py).
UNWRITABLE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG})


class CheckpointError(ValueError):
    """A checkpoint directory cannot be loaded; the one-line message names the file or key and what to do."""


class OneLineParser(argparse.ArgumentParser):
    """argparse with usage errors on one line (exit 2), like every other bad input of the wings_ref commands."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def unwritable(out) -> str | None:
    """Why the directory `out` cannot be created and written, or None when it can: the nearest existing ancestor must
    be a directory where an entry can be made. Tested by making (and removing) a scratch directory there, because
    permission bits (`os.access`) say yes to root under /proc, where the real `mkdir` then fails."""
    import os
    import tempfile
    from pathlib import Path

    out = Path(out)
    for parent in (out, *out.parents):
        if parent.exists():
            if not parent.is_dir():
                return f"{'is' if parent == out else f'is under {parent}, which is'} a file, not a directory"
            try:
                os.rmdir(tempfile.mkdtemp(prefix=".wings-probe-", dir=parent))
            except OSError as exc:
                return f"cannot write in {parent} ({exc.strerror or type(exc).__name__})"
            return None
    return None


def check_new_output(out) -> None:
    """An output directory that is new or empty, writable, and not a file nor under one (checked before any work)."""
    # the same rule as iitbench's outputs (iitbench/runner/outputs.py), kept here because wings_ref stands alone
    from pathlib import Path

    out = Path(out)
    if out.is_dir() and any(out.iterdir()):
        raise CheckpointError(f"{out}: output directory is not empty; choose a new one")
    why = unwritable(out)
    if why:
        raise CheckpointError(f"{out}: {why}; choose another output")


def unwritable_message(exc: BaseException, output) -> str | None:
    """The one-line message for an OSError that says `output` cannot be written (UNWRITABLE_ERRNOS), else None."""
    if not isinstance(exc, OSError) or exc.errno not in UNWRITABLE_ERRNOS:
        return None
    where = exc.filename if exc.filename is not None else output
    return f"{where}: cannot write ({exc.strerror}); free space or choose another output, then rerun"


def name_some(items, limit: int = 1) -> str:
    """'a' / 'a (and 3 more)': keeps a message about many keys or files to one line."""
    items = sorted(items)
    shown = ", ".join(repr(str(item)) for item in items[:limit])
    rest = len(items) - limit
    return f"{shown} (and {rest} more)" if rest > 0 else shown


__all__ = ["CheckpointError", "OneLineParser", "check_new_output", "name_some", "unwritable", "unwritable_message"]
