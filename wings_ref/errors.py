"""Errors raised by wings_ref on bad input (kept free of any iitbench import: wings_ref stands alone)."""

from __future__ import annotations


class CheckpointError(ValueError):
    """A checkpoint directory cannot be loaded; the one-line message names the file or key and what to do."""


def name_some(items, limit: int = 1) -> str:
    """'a' / 'a (and 3 more)': keeps a message about many keys or files to one line."""
    items = sorted(items)
    shown = ", ".join(repr(str(item)) for item in items[:limit])
    rest = len(items) - limit
    return f"{shown} (and {rest} more)" if rest > 0 else shown


__all__ = ["CheckpointError", "name_some"]
