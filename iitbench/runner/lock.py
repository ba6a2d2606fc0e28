"""One writer per output directory: an OS-level file lock (filelock: fcntl on POSIX, msvcrt on Windows).

The lock lives in `DIR/.iitbench.lock` and is released by the OS when its holder exits, crashed or not, so a
killed run never blocks the next one. The holder writes who it is to `DIR/.iitbench.lock.json` (pid, host, command,
start time) so that a second writer exits 2 with one line naming it. Data-parallel ranks of one run share the
directory on purpose: only rank 0 takes the lock.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from iitbench.errors import UserError

LOCK_FILE = ".iitbench.lock"
HOLDER_FILE = ".iitbench.lock.json"


def _holder(directory: Path) -> str:
    try:
        info = json.loads((directory / HOLDER_FILE).read_text(encoding="utf-8"))
        return (f"pid {info['pid']} on {info['host']} ({info['command']}, since {info['started']})")
    except (OSError, ValueError, KeyError, TypeError):
        return "another process"


@contextmanager
def locked(directory: str | Path, flag: str = "--output") -> Iterator[Path]:
    """Hold the directory's lock for the block (creating the directory); UserError at once if another holds it."""
    from iitbench.runner.results import utc_now

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(directory / LOCK_FILE), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise UserError(f"{flag} {directory}: in use by {_holder(directory)}; wait for it to finish or choose "
                        f"another {flag}") from None
    try:
        (directory / HOLDER_FILE).write_text(json.dumps({
            "pid": os.getpid(), "host": socket.gethostname(), "started": utc_now(),
            "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]])[:200]}) + "\n", encoding="utf-8")
        yield directory
    finally:
        (directory / HOLDER_FILE).unlink(missing_ok=True)
        lock.release()


__all__ = ["HOLDER_FILE", "LOCK_FILE", "locked"]
