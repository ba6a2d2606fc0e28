"""`random`: a seeded chance baseline. Scores are a hash of (seed, request key, choice), so they are identical
whatever the batch size, order or process count. Raw-text scores (`score_text`, the lm-eval bridge) hash the
context and continuation instead of the key, because lm-eval's requests carry no stable key."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence

from iitbench.models.protocol import (
    Adapter,
    Capabilities,
    ChoiceRequest,
    ChoiceResult,
    GenerateRequest,
    GenerateResult,
    TextGenerateRequest,
    TextScoreRequest,
    TextScoreResult,
    cut_at_stops,
)


def _uniform(seed: int, key: str, i: int) -> float:
    digest = hashlib.sha256(f"{seed}\0{key}\0{i}".encode()).digest()
    return (int.from_bytes(digest[:8], "big") + 0.5) / 2**64


class RandomAdapter(Adapter):
    name = "random"
    capabilities = Capabilities(images=True, generate=True)

    def __init__(self, seed: int = 0):
        self.seed = int(seed)

    def score_choices(self, requests: Sequence[ChoiceRequest]) -> list[ChoiceResult]:
        return [
            ChoiceResult(logliks=tuple(math.log(_uniform(self.seed, r.key, i)) for i in range(len(r.choices))),
                         n_tokens=tuple(1 for _ in r.choices))
            for r in requests
        ]

    def generate(self, requests: Sequence[GenerateRequest]) -> list[GenerateResult]:
        # A deterministic pick among A-D, to exercise free-running by generation.
        return [GenerateResult(text="ABCD"[int(_uniform(self.seed, r.key, -1) * 4)]) for r in requests]

    def score_text(self, requests: Sequence[TextScoreRequest]) -> list[TextScoreResult]:
        # Never "greedy": a chance baseline has no argmax token.
        return [TextScoreResult(loglik=math.log(_uniform(self.seed, f"{r.context}\0{r.continuation}", 0)),
                                n_tokens=1, is_greedy=False) for r in requests]

    def generate_text(self, requests: Sequence[TextGenerateRequest]) -> list[GenerateResult]:
        return [GenerateResult(text=cut_at_stops("ABCD"[int(_uniform(self.seed, r.prompt, -1) * 4)], r.until))
                for r in requests]
