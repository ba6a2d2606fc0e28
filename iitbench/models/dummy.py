"""`dummy`: the smallest complete adapter, deterministic, and the documentation of the protocol.

It "prefers" the shortest candidate: the log-likelihood of a choice is minus its length in characters, and its
token count is its number of whitespace-separated words. It takes images (it ignores them) and can generate.
Copy this file to start a new adapter; register it with one line in `iitbench/models/__init__.py` or an entry
point in your own package (group `iitbench.models`).
"""

from __future__ import annotations

from collections.abc import Sequence

from iitbench.models.protocol import Adapter, Capabilities, ChoiceRequest, ChoiceResult, GenerateRequest, GenerateResult


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
