"""Output paths, checked before any work starts, the same way by every command.

A directory output must be creatable and writable, not a regular file (nor under one), and not the output of a
different command: each command's directory is recognised by the file it writes (`MARKERS`), so `laws --output
RUN_DIR` or `run --output FORGETTING_DIR` is refused instead of leaving a directory the report reads one way only.

Creatable is tested by making (and removing) a scratch entry where the output will go: permission bits
(`os.access`) say yes to root under /proc, where the real `mkdir` then fails.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from iitbench.errors import UserError

#: kind -> (the command that writes it, files that mark such a directory)
MARKERS = {
    "run": ("iitbench run", ("run.json", "samples.jsonl")),
    "forgetting": ("iitbench forgetting", ("forgetting.json",)),
    "laws": ("iitbench laws", ("laws_summary.json", "laws.npz")),
    "compare": ("iitbench laws --compare", ("laws_compare.json",)),
    "dataset": ("iitbench build", ("dataset.json", "items.jsonl")),
    "diagnose": ("iitbench diagnose", ("diagnose.json",)),
}


def _writable_ancestor(path: Path, flag: str, *, file: bool = False) -> None:
    """The nearest existing ancestor of `path` (or `path` itself, for a directory) must be a directory where an entry
    can be made."""
    for parent in (path.parents if file else (path, *path.parents)):
        if not parent.exists():
            continue
        if not parent.is_dir():
            where = "is a file" if parent == path else f"is under {parent}, which is a file"
            raise UserError(f"{flag} {path}: {where}, not a directory; choose another {flag}")
        _probe(parent, path, flag, file=file)
        return


def _probe(directory: Path, path: Path, flag: str, *, file: bool = False) -> None:
    """Create and remove a scratch directory (or file) in `directory`; refuse `path` in one line if that fails."""
    try:
        if file:
            fd, scratch = tempfile.mkstemp(prefix=".iitbench-probe-", dir=directory)
            os.close(fd)
            os.unlink(scratch)
        else:
            os.rmdir(tempfile.mkdtemp(prefix=".iitbench-probe-", dir=directory))
    except OSError as e:
        reason = e.strerror or type(e).__name__
        raise UserError(f"{flag} {path}: cannot write in {directory} ({reason}); choose another {flag}") from None


def check_output(path: str | Path, kind: str, flag: str = "--output") -> Path:
    """Refuse (UserError, one line) an output directory that cannot be written or holds another command's output."""
    path = Path(path)
    _writable_ancestor(path, flag)
    if path.is_dir():
        for other, (command, files) in MARKERS.items():
            found = [name for name in files if (path / name).exists()]
            if other != kind and found:
                raise UserError(f"{flag} {path}: holds the output of `{command}` ({found[0]}); choose another {flag}")
    return path


def check_output_file(path: str | Path, flag: str = "--out", *, parents: bool = False) -> Path:
    """Refuse a file output that is a directory or whose directory is not writable; the directory must exist unless
    `parents` (the command creates it)."""
    path = Path(path)
    if path.is_dir():
        raise UserError(f"{flag} {path}: is a directory; give a file name such as {path / 'report.html'}")
    if not parents and not path.parent.is_dir():
        raise UserError(f"{flag} {path}: directory {path.parent} does not exist; create it first")
    _writable_ancestor(path, flag, file=True)
    if path.exists() and not os.access(path, os.W_OK):
        raise UserError(f"{flag} {path}: not writable; choose another {flag}")
    return path


__all__ = ["MARKERS", "check_output", "check_output_file"]
