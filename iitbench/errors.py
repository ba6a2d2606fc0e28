"""User-facing errors.

`UserError` is bad input or usage: the CLI prints its one-line message and exits with code 2. Anything else
escaping a command is a bug (exit code 1). Messages name the file/item/flag and say what to do.
"""

from __future__ import annotations

import errno

#: OSError numbers that mean "this output cannot take the bytes" (full disk, quota, read-only mount, file size
#: limit): the user's machine, not a bug, so the CLI reports them like bad input (exit 2, one line).
UNWRITABLE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG})


class UserError(Exception):
    """Bad input or usage; the message is one line that names the culprit and the fix."""

    exit_code = 2


class DataError(UserError):
    """A dataset manifest, item or image is invalid."""


class ModelError(UserError):
    """A model name, its arguments or its files are unusable."""


def unwritable_output(exc: BaseException, output: object = None) -> UserError | None:
    """The UserError for an OSError that says an output cannot be written (UNWRITABLE_ERRNOS), else None.

    `output` names the command's output when the error has no file name (a `write` on a full disk has none)."""
    if not isinstance(exc, OSError) or exc.errno not in UNWRITABLE_ERRNOS:
        return None
    where = exc.filename if exc.filename is not None else (output if output is not None else "the output")
    return UserError(f"{where}: cannot write ({exc.strerror}); free space or choose another output, then rerun")
