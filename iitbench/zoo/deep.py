"""The deep family of the reproduction study: a 12-layer base LLM (`base-deep`) and 26 MLLM recipes on it.

Why: the shipped zoo's base has 4 decoder layers, so an attention shift (1 - Pearson r over layers) is a correlation
of 4 points; MLLM-LAWS needs depth. base-deep is narrower (hidden 96) and three times deeper, trained on the same
corpus the same way as base-tiny. It is not shipped: it takes longer to build than the zoo's budget
(`iitbench zoo build --family deep --out DIR`; measured times in benchmarks/RESULTS.md).

The MLLMs vary one axis at a time around the two headline recipes, deep-naive (llava-tiny's recipe: full fine-tune
at a high LR) and deep-wings (wings-tiny's: learners + router, low LLM LR), on the shared tokenizer and siglip-tiny:
- seeds: 3 for each headline recipe, 2 for every other learning-rate scheme;
- learning-rate schemes x method: uniform high / uniform low / split (high projector, low LLM), naive and WINGS;
- which learners train (WINGS): visual only, textual only, none;
- training length x0.5 / x2 (both methods);
- text replay in the naive fine-tune: 0% (image dialogues only), ~6% (the default mix), 25% (text-only records added);
- which LLM parts the naive fine-tune trains: attention projections only, MLPs only, none (frozen LLM).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from iitbench.zoo.recipes import HIGH_LR, LLAVA_TINY, MM_DATA, WINGS_TINY, LLMRecipe, MLLMRecipe
from iitbench.zoo.sweep import sweep_recipes

BASE = "base-deep"
BASE_DEEP = replace(LLMRecipe(), name=BASE, hidden_size=96, intermediate_size=384, num_layers=12,
                    warmup_steps=100)
#: ≈ 25% of the answer turns in text: 93 single-turn text questions per text family (7 families) next to MM_DATA
REPLAY_25 = replace(MM_DATA, n_text_per_family=93)
#: no text answer turn at all: the mixed dialogues drawn from V only
REPLAY_0 = replace(MM_DATA, configs=("V",))


def _deep(recipe: MLLMRecipe, name: str, seed: int | None = None, **changes) -> MLLMRecipe:
    return replace(recipe, name=name, base=BASE, seed=seed, **changes)


def _naive_full(name: str, **stage2) -> MLLMRecipe:
    warm, full = LLAVA_TINY.stages
    return _deep(LLAVA_TINY, name, stages=(warm, replace(full, **stage2)))


def deep_recipes() -> dict[str, Any]:
    """base-deep and the 26 MLLM recipes on it, by name."""
    sweep = sweep_recipes()
    out: list[MLLMRecipe] = []
    for stem, recipe, seeds in (("deep-naive", LLAVA_TINY, (1, 2)), ("deep-wings", WINGS_TINY, (1, 2))):
        out += [_deep(recipe, stem)] + [_deep(recipe, f"{stem}-s{s}", seed=s) for s in seeds]
    for scheme in ("naive-uniform-low", "naive-split", "wings-uniform-high", "wings-uniform-low"):
        out += [_deep(sweep[f"sweep-{scheme}"], f"deep-{scheme}"),
                _deep(sweep[f"sweep-{scheme}"], f"deep-{scheme}-s1", seed=1)]
    for variant in ("wings-visual-only", "wings-textual-only", "wings-no-learners", "naive-short", "naive-long",
                    "wings-short", "wings-long"):
        out.append(_deep(sweep[f"sweep-{variant}"], f"deep-{variant}"))
    out += [_deep(LLAVA_TINY, "deep-naive-replay-0", data=REPLAY_0),
            _deep(LLAVA_TINY, "deep-naive-replay-25", data=REPLAY_25),
            _naive_full("deep-naive-attention-only", train=("projector", "llm_attention")),
            _naive_full("deep-naive-mlp-only", train=("projector", "llm_mlp")),
            _naive_full("deep-naive-frozen-llm", train=("projector",), lr_llm=HIGH_LR)]
    return {BASE: BASE_DEEP, **{r.name: r for r in sorted(out, key=lambda r: r.name)}}


FAMILIES = {"deep": deep_recipes}

__all__ = ["BASE", "BASE_DEEP", "FAMILIES", "REPLAY_0", "REPLAY_25", "deep_recipes"]
