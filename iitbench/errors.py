"""User-facing errors.

`UserError` is bad input or usage: the CLI prints its one-line message and exits with code 2. Anything else
escaping a command is a bug (exit code 1). Messages name the file/item/flag and say what to do.
"""

from __future__ import annotations


class UserError(Exception):
    """Bad input or usage; the message is one line that names the culprit and the fix."""

    exit_code = 2


class DataError(UserError):
    """A dataset manifest, item or image is invalid."""


class ModelError(UserError):
    """A model name, its arguments or its files are unusable."""
