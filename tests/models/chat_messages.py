"""Message builders for the model tests (a uniquely named module: every test dir has its own conftest)."""

from __future__ import annotations

from iitbench.data.types import TextPart
from iitbench.models import Message


def user(text: str) -> Message:
    return Message(role="user", parts=(TextPart(text),))


def assistant(text: str) -> Message:
    return Message(role="assistant", parts=(TextPart(text),))
