"""An adapter that answers from a table: item id -> option index (scoring) or reply text (generation), so the
benchmarks' metrics can be checked against values computed by hand."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from iitbench.models.protocol import (
    Adapter,
    Capabilities,
    ChoiceRequest,
    ChoiceResult,
    GenerateRequest,
    GenerateResult,
)


def _item(key: str) -> str:
    return key.rsplit("#", 1)[0]  # request keys are "<item id>#<turn>" (iitbench.runner.engine.TurnTask.key)


class TableAdapter(Adapter):
    name = "table"
    capabilities = Capabilities(images=True, generate=True)

    def __init__(self, choices: Mapping[str, int], replies: Mapping[str, str] | None = None):
        self.choices = dict(choices)
        self.replies = dict(replies or {})

    def score_choices(self, requests: Sequence[ChoiceRequest]) -> list[ChoiceResult]:
        out = []
        for r in requests:
            pick = self.choices[_item(r.key)]
            out.append(ChoiceResult(logliks=tuple(0.0 if i == pick else -5.0 for i in range(len(r.choices))),
                                    n_tokens=tuple(1 for _ in r.choices)))
        return out

    def generate(self, requests: Sequence[GenerateRequest]) -> list[GenerateResult]:
        return [GenerateResult(text=self.replies[_item(r.key)]) for r in requests]
