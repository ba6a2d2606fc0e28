"""Test adapters: context-sensitive scores (so free-running differs from teacher-forced), a slowed one for the
SIGKILL test, a text-only one for n/a records, and one that records what it was asked."""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Sequence

from iitbench.models.protocol import (
    Adapter,
    Capabilities,
    ChoiceRequest,
    ChoiceResult,
    GenerateRequest,
    GenerateResult,
    Message,
)


def _context(messages: Sequence[Message]) -> str:
    return "\x1e".join(f"{m.role}:{m.text}:{[i.path for i in m.images]}" for m in messages)


def _u(*parts: str) -> float:
    d = hashlib.sha256("\0".join(parts).encode()).digest()
    return (int.from_bytes(d[:8], "big") + 0.5) / 2**64


class ContextAdapter(Adapter):
    """Log-likelihoods are a hash of the whole dialogue and the candidate: any change of context changes them."""

    name = "context"
    capabilities = Capabilities(images=True, generate=True)

    def __init__(self, delay: float = 0.0, salt: str = ""):
        self.delay = float(delay)
        self.salt = salt
        self.seen: list[ChoiceRequest] = []

    def score_choices(self, requests: Sequence[ChoiceRequest]) -> list[ChoiceResult]:
        if self.delay:
            time.sleep(self.delay * len(requests))
        self.seen.extend(requests)
        return [ChoiceResult(logliks=tuple(math.log(_u(self.salt, _context(r.messages), c)) for c in r.choices),
                             n_tokens=tuple(1 + len(c) // 4 for c in r.choices)) for r in requests]

    def generate(self, requests: Sequence[GenerateRequest]) -> list[GenerateResult]:
        # Names an option letter for 3 contexts in 4, rambles otherwise (exercises the unparseable fallback).
        out = []
        for r in requests:
            u = _u("gen", self.salt, _context(r.messages))
            out.append(GenerateResult(text=f" {'ABC'[int(u * 4)]}. because" if u < 0.75 else "I am not sure"))
        return out


class TextOnlyAdapter(ContextAdapter):
    name = "text-only"
    capabilities = Capabilities(images=False, generate=True)
