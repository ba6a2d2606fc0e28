"""`dummy`: the smallest complete adapter, deterministic, and the documentation of the protocol.

It "prefers" the shortest candidate (also for raw text: `score_text` gives minus the continuation's length, and a
continuation is "greedy" when it is the configured `reply`): the log-likelihood of a choice is minus its length in characters, and its
token count is its number of whitespace-separated words. It takes images (it ignores them) and can generate.
Copy this file to start a new adapter; register it with one line in `iitbench/models/__init__.py` or an entry
point in your own package (group `iitbench.models`).
"""

from __future__ import annotations

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


class DummyAdapter(Adapter):
    name = "dummy"
    capabilities = Capabilities(images=True, generate=True)

    def __init__(self, reply: str = "A"):
        self.reply = reply

    def score_choices(self, requests: Sequence[ChoiceRequest]) -> list[ChoiceResult]:
        return [
            ChoiceResult(logliks=tuple(-float(len(c)) for c in r.choices),
                         n_tokens=tuple(max(1, len(c.split())) for c in r.choices))
            for r in requests
        ]

    def generate(self, requests: Sequence[GenerateRequest]) -> list[GenerateResult]:
        return [GenerateResult(text=self.reply) for _ in requests]

    def score_text(self, requests: Sequence[TextScoreRequest]) -> list[TextScoreResult]:
        return [TextScoreResult(loglik=-float(len(r.continuation)), n_tokens=max(1, len(r.continuation.split())),
                                is_greedy=r.continuation.strip() == self.reply) for r in requests]

    def generate_text(self, requests: Sequence[TextGenerateRequest]) -> list[GenerateResult]:
        return [GenerateResult(text=cut_at_stops(self.reply, r.until)) for r in requests]
