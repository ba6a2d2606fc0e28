"""Errors of the WINGS trainer: one line each, naming the file/record/key and saying what to do."""

from __future__ import annotations


def one_line(text: str) -> str:
    """Collapse whitespace so a message from user data (record ids, file names) cannot span lines."""
    return " ".join(str(text).split())


class TrainDataError(ValueError):
    """A training record or file is unusable (malformed JSON, bad conversation, missing image, ...)."""

    def __init__(self, message: str):
        super().__init__(one_line(message))


class TrainConfigError(ValueError):
    """The training config (YAML/JSON file or --override) is invalid."""

    def __init__(self, message: str):
        super().__init__(one_line(message))


__all__ = ["TrainDataError", "TrainConfigError", "one_line"]
